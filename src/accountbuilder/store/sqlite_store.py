"""``SqliteStore``: the runner's one place for state on disk (SPEC G2, I1–I4).

Stdlib ``sqlite3``, WAL journal, foreign keys on, a schema version with migrations. One
connection per store, used from the thread that opened it. The runner opens it read-write
(``SqliteStore.open``); ``accountbuilder status`` opens the same file read-only
(``SqliteStore.open_readonly``) while the runner writes. The store never reads the clock:
every write takes ``ts_ms`` from the caller.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from accountbuilder.domain.enums import MainState, StopStatus
from accountbuilder.domain.lifecycle import OrderTransition
from accountbuilder.records.daily_metrics import DailyMetrics
from accountbuilder.records.decision_log import DecisionRecord, DecisionRun
from accountbuilder.records.halt_log import HaltRecord
from accountbuilder.records.trade_log import TradeRecord
from accountbuilder.store import decisions, journal, orders, runtime, session
from accountbuilder.store.connection import Database
from accountbuilder.store.decisions import DecisionWrite, DecisionWriter
from accountbuilder.store.errors import UnreadableStoreError
from accountbuilder.store.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    check_readable,
    migrate,
)
from accountbuilder.store.orders import OrderRecord
from accountbuilder.store.runtime import OwnerRecord, RequestOutcome
from accountbuilder.store.session import SessionRevision
from accountbuilder.store.status import StatusView, read_status


class SqliteStore:
    """Session state, intents, trade/halt/decision logs and daily metrics in one SQLite file."""

    def __init__(
        self,
        db: Database,
        schema_version: int,
        *,
        collapse_rejections: bool = False,
        compare_figures: bool = False,
        keep_session_revisions: int = session.MIN_KEEP,
    ) -> None:
        self._db = db
        self.schema_version = schema_version
        self._keep = keep_session_revisions
        self._decisions = DecisionWriter(
            db, collapse=collapse_rejections, compare_figures=compare_figures
        )

    # ------------------------------------------------------------------------- open / close
    @classmethod
    def open(
        cls,
        path: str | Path,
        now_ms: int,
        *,
        collapse_rejections: bool = False,
        compare_figures: bool = False,
        keep_session_revisions: int = session.MIN_KEEP,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> SqliteStore:
        """Open (or create) the store for writing; migrate it, stamping steps with ``now_ms``.

        ``path`` may be ``":memory:"`` (backtests, tests). ``collapse_rejections`` stores runs
        of identical consecutive rejections as one row with a count.
        """
        db = _opened(lambda: Database.open(path), path)
        version = _checked(db, lambda: migrate(db, now_ms, migrations))
        return cls(
            db,
            version,
            collapse_rejections=collapse_rejections,
            compare_figures=compare_figures,
            keep_session_revisions=keep_session_revisions,
        )

    @classmethod
    def open_readonly(cls, path: str | Path, *, latest: int = LATEST_VERSION) -> SqliteStore:
        """Open an existing store for reading only (safe while a runner writes to it)."""
        db = _opened(lambda: Database.open(path, readonly=True), path)
        return cls(db, _checked(db, lambda: check_readable(db, latest)))

    @property
    def path(self) -> str:
        return self._db.path

    @property
    def readonly(self) -> bool:
        return self._db.readonly

    def close(self) -> None:
        """Flush buffered decisions (writer only), then close the connection."""
        try:
            if not self.readonly and self._decisions.pending:
                self._decisions.flush()
        finally:
            self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------- session (I4)
    def save_session(self, doc: Mapping[str, Any], ts_ms: int) -> int:
        """Commit ``doc`` durably as the next revision (Decimals become exact strings)."""
        with self._db.write(durable=True) as conn:
            return session.insert_revision(conn, doc, ts_ms, self._keep)

    def load_session(self) -> dict[str, Any] | None:
        """The latest intact session document, or None if none was ever saved."""
        found = self.load_session_revision()
        return None if found is None else found.doc

    def load_session_revision(self) -> SessionRevision | None:
        """The latest intact revision with its number and time."""
        with self._db.read() as conn:
            return session.latest_revision(conn)

    def session_revisions(self) -> list[int]:
        with self._db.read() as conn:
            return session.revisions(conn)

    def save_machines(self, main_state: MainState, stop_status: StopStatus, ts_ms: int) -> int:
        """Set ``doc["machines"]`` of the session document and commit a new revision."""
        with self._db.write(durable=True) as conn:
            latest = session.latest_revision(conn)
            doc = dict(latest.doc) if latest else {}
            doc["machines"] = {
                "main": MainState(main_state),
                "stop_status": StopStatus(stop_status),
            }
            return session.insert_revision(conn, doc, ts_ms, self._keep)

    # ------------------------------------------------------------------------- orders (G2)
    def record_order_moves(self, moves: Sequence[OrderTransition]) -> None:
        """Commit accepted order moves durably; the creations BEFORE the orders are sent.

        Raise ``DuplicateIntentError`` for a second creation of a client id (SPEC G2: sent at
        most once) and ``IntentTransitionError`` for a move the lifecycle table forbids.
        """
        if not moves:
            return
        with self._db.write(durable=True) as conn:
            orders.record_moves(conn, moves)

    def commit_round(
        self, doc: Mapping[str, Any] | None, moves: Sequence[OrderTransition], ts_ms: int
    ) -> int | None:
        """One durable transaction: the session document (I4) and the round's order moves.

        Either both are on disk before the round's commands are sent, or neither is.
        """
        with self._db.write(durable=True) as conn:
            revision = None
            if doc is not None:
                revision = session.insert_revision(conn, doc, ts_ms, self._keep)
            orders.record_moves(conn, moves)
            return revision

    def order(self, client_id: str) -> OrderRecord | None:
        with self._db.read() as conn:
            return orders.fetch_order(conn, client_id)

    def live_orders(self) -> list[OrderRecord]:
        """Orders that may still rest, fill or protect, oldest first (restart, status)."""
        with self._db.read() as conn:
            return orders.live_orders(conn)

    def all_orders(self) -> list[OrderRecord]:
        with self._db.read() as conn:
            return orders.all_orders(conn)

    def order_history(self, client_id: str) -> list[tuple[str | None, str, str | None, int]]:
        with self._db.read() as conn:
            return orders.order_history(conn, client_id)

    # ------------------------------------------------------------------------- trades, halts
    def record_trade(self, record: TradeRecord) -> bool:
        """Commit a trade entry/exit record (SPEC I1); False if it was already stored."""
        with self._db.write(durable=True) as conn:
            return journal.insert_trade(conn, record)

    def record_halt(self, record: HaltRecord) -> None:
        """Commit a halt event with its context snapshot (SPEC I2)."""
        with self._db.write(durable=True) as conn:
            journal.insert_halt(conn, record)

    def trades_on_day(self, day: str) -> list[TradeRecord]:
        with self._db.read() as conn:
            return journal.trades_on_day(conn, day)

    def trades_between(self, start_ms: int, end_ms: int) -> list[TradeRecord]:
        with self._db.read() as conn:
            return journal.trades_between(conn, start_ms, end_ms)

    def open_halts(self) -> list[HaltRecord]:
        with self._db.read() as conn:
            return journal.open_halts(conn)

    def recent_halts(self, limit: int = 10) -> list[HaltRecord]:
        with self._db.read() as conn:
            return journal.recent_halts(conn, limit)

    # ------------------------------------------------------------------------- decisions
    @property
    def pending_decisions(self) -> int:
        return self._decisions.pending

    def add_decision(self, record: DecisionRecord) -> None:
        """Buffer a decision; it is written by the next ``flush_decisions`` (or ``close``)."""
        self._decisions.add(record)

    def flush_decisions(self) -> DecisionWrite:
        """Write the buffered decisions in one transaction."""
        return self._decisions.flush()

    def write_decisions(self, records: Iterable[DecisionRecord]) -> DecisionWrite:
        """Write ``records`` (any iterable, consumed lazily) in one transaction, now."""
        return self._decisions.write(records)

    def last_decisions(self, limit: int = 20) -> list[DecisionRun]:
        with self._db.read() as conn:
            return decisions.last_decisions(conn, limit)

    def decision_count(self) -> tuple[int, int]:
        """``(rows, decisions)`` stored."""
        with self._db.read() as conn:
            return decisions.decision_count(conn)

    # ------------------------------------------------------------------------- daily metrics
    def upsert_daily_metrics(self, metrics: Iterable[DailyMetrics], ts_ms: int) -> None:
        """Insert or replace the rows of the given days (SPEC I3), in one transaction."""
        with self._db.write(durable=False) as conn:
            for day in metrics:
                journal.upsert_daily(conn, day, ts_ms)

    def daily_metrics(
        self, *, last: int | None = None, day: str | None = None
    ) -> list[DailyMetrics]:
        with self._db.read() as conn:
            return journal.daily_rows(conn, last=last, day=day)

    # ------------------------------------------------------------------------- runtime
    def record_owner(self, owner: OwnerRecord) -> None:
        """Record the process that took the store's lock (its PID, start time, command)."""
        with self._db.write(durable=True) as conn:
            runtime.insert_owner(conn, owner)

    def record_rest_call(self, ts_ms: int, protective: bool, window_ms: int) -> None:
        """Record a granted REST call before it is sent (F1 across restarts)."""
        with self._db.write(durable=False) as conn:  # survives a process crash (WAL)
            runtime.insert_rest_call(conn, ts_ms, protective, window_ms)

    def rest_calls_since(self, since_ms: int) -> list[int]:
        with self._db.read() as conn:
            return runtime.rest_calls_since(conn, since_ms)

    def record_request(self, outcome: RequestOutcome) -> bool:
        """Record what became of an operator request; False if it was already answered."""
        with self._db.write(durable=True) as conn:
            return runtime.insert_request(conn, outcome)

    def request_answered(self, request_id: str) -> bool:
        with self._db.read() as conn:
            return runtime.answered(conn, request_id)

    def recent_requests(self, limit: int = 10) -> list[RequestOutcome]:
        with self._db.read() as conn:
            return runtime.recent_requests(conn, limit)

    def checkpoint(self) -> None:
        """Copy every committed page from the WAL into the main file, and empty the WAL."""
        self._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------------- status
    def status(
        self,
        day: str,
        *,
        n_decisions: int = 20,
        n_halts: int = 10,
        n_days: int = 7,
        calls_since_ms: int | None = None,
    ) -> StatusView:
        """Everything ``accountbuilder status`` shows, read in one consistent snapshot."""
        return read_status(
            self._db,
            day,
            n_decisions=n_decisions,
            n_halts=n_halts,
            n_days=n_days,
            calls_since_ms=calls_since_ms,
        )

    def snapshot(self) -> AbstractContextManager[object]:
        """Hold one read snapshot across several queries (``with store.snapshot(): ...``)."""
        return self._db.read()

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` answer (``"ok"`` when the file is sound)."""
        with self._db.read() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _unreadable(path: object, error: Exception) -> UnreadableStoreError:
    return UnreadableStoreError(
        f"{path}: SQLite cannot use this file ({error}): is it a damaged store, another "
        "file, or in a read-only directory? Point --state / store_path at a good store"
    )


def _opened(open_db: Callable[[], Database], path: object) -> Database:
    try:
        return open_db()
    except sqlite3.Error as e:
        raise _unreadable(path, e) from e


def _checked(db: Database, step: Callable[[], int]) -> int:
    """Run the schema step (migrate or check); close ``db`` if it fails."""
    try:
        return step()
    except (sqlite3.Error, UnicodeDecodeError) as e:  # a damaged page may hold bad UTF-8
        db.close()
        raise _unreadable(db.path, e) from e
    except BaseException:
        db.close()
        raise
