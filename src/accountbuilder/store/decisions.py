"""Gate decisions, written in batches: one transaction and one ``executemany`` per flush.

With ``collapse=True`` identical consecutive rejections share one row (``count``, first and
last ``ts_ms``), also across flushes: the writer remembers the last row it wrote and adds to
it when the next flush starts with the same rejection. Records are consumed lazily, so a batch
may be a generator; a batch is all-or-none (a crash mid-batch leaves none of it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from accountbuilder.records.codec import dumps, loads
from accountbuilder.records.decision_log import (
    DecisionRecord,
    DecisionRun,
    collapse_runs,
    run_key,
    single_runs,
)
from accountbuilder.store.connection import Database

_INSERT = (
    "INSERT INTO decisions (ts_ms, last_ts_ms, count, accepted, reason, stage, contracts, side, "
    "signal_id, figures_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_EXTEND = "UPDATE decisions SET count = count + ?, last_ts_ms = ?, figures_json = ? WHERE id = ?"
_SELECT = (
    "SELECT ts_ms, last_ts_ms, count, accepted, reason, stage, contracts, side, signal_id, "
    "figures_json FROM decisions"
)


@dataclass(frozen=True, slots=True)
class DecisionWrite:
    """What one write did: decisions consumed, rows inserted, existing rows extended."""

    decisions: int = 0
    rows_inserted: int = 0
    rows_extended: int = 0


@dataclass(frozen=True, slots=True)
class _Tail:
    rowid: int
    key: Hashable | None


def _row(run: DecisionRun) -> tuple[Any, ...]:
    r = run.record
    return (
        run.first_ts_ms,
        run.last_ts_ms,
        run.count,
        int(r.accepted),
        r.reason and r.reason.value,
        r.stage and r.stage.value,
        r.contracts,
        r.side and r.side.value,
        r.signal_id,
        dumps(r.figures),
    )


class DecisionWriter:
    """Buffers decisions and writes them in one cheap transaction per flush."""

    def __init__(self, db: Database, *, collapse: bool, compare_figures: bool = False) -> None:
        self._db = db
        self._collapse = collapse
        self._compare_figures = compare_figures
        self._buffer: list[DecisionRecord] = []
        self._tail: _Tail | None = None

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def add(self, record: DecisionRecord) -> None:
        self._buffer.append(record)

    def flush(self) -> DecisionWrite:
        """Write the buffered decisions in one transaction; keep them if the write fails."""
        result = self.write(self._buffer)
        self._buffer = []
        return result

    def write(self, records: Iterable[DecisionRecord]) -> DecisionWrite:
        """Write ``records`` now, all in one transaction (lazily consumed)."""
        runs = self._runs(records)
        first = next(runs, None)
        if first is None:
            return DecisionWrite()
        counter = _Counter()
        with self._db.write(durable=False) as conn:
            tail = self._tail
            if tail is not None and tail.key is not None and tail.key == self._key(first):
                conn.execute(_EXTEND, (first.count, first.last_ts_ms, _row(first)[-1], tail.rowid))
                extended, last, rest = 1, first, runs
            else:
                extended, last, rest = 0, None, chain([first], runs)
            conn.executemany(_INSERT, (_row(run) for run in counter.track(rest)))
            if counter.last is not None:
                last = counter.last
                tail = _Tail(conn.execute("SELECT last_insert_rowid()").fetchone()[0], None)
        self._tail = _Tail(tail.rowid, self._key(last))
        decisions = counter.decisions + (first.count if extended else 0)
        return DecisionWrite(decisions, counter.rows, extended)

    def _runs(self, records: Iterable[DecisionRecord]) -> Iterator[DecisionRun]:
        if self._collapse:
            return collapse_runs(records, compare_figures=self._compare_figures)
        return single_runs(records)

    def _key(self, run: DecisionRun) -> Hashable | None:
        if not self._collapse:
            return None
        return run_key(run.record, compare_figures=self._compare_figures)


class _Counter:
    """Counts runs as ``executemany`` pulls them, and remembers the last one."""

    def __init__(self) -> None:
        self.rows = 0
        self.decisions = 0
        self.last: DecisionRun | None = None

    def track(self, runs: Iterable[DecisionRun]) -> Iterator[DecisionRun]:
        for run in runs:
            self.rows += 1
            self.decisions += run.count
            self.last = run
            yield run


def _run_from_row(row: tuple[Any, ...]) -> DecisionRun:
    first_ts, last_ts, count, accepted, reason, stage, contracts, side, signal_id, figures = row
    record = DecisionRecord(
        last_ts, bool(accepted), reason, stage, contracts, side, signal_id, loads(figures)
    )
    return DecisionRun(record, count, first_ts)


def last_decisions(conn: sqlite3.Connection, limit: int) -> list[DecisionRun]:
    """The newest ``limit`` decision rows, newest first."""
    rows = conn.execute(f"{_SELECT} ORDER BY id DESC LIMIT ?", (limit,))
    return [_run_from_row(r) for r in rows]


def decision_count(conn: sqlite3.Connection) -> tuple[int, int]:
    """``(rows, decisions)``: stored rows and the decisions they stand for."""
    rows, decisions = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(count), 0) FROM decisions"
    ).fetchone()
    return rows, decisions
