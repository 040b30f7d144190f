"""A consistent read of everything ``accountbuilder status`` shows, in one snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from accountbuilder.records.daily_metrics import DailyMetrics
from accountbuilder.records.decision_log import DecisionRun
from accountbuilder.records.halt_log import HaltRecord
from accountbuilder.records.trade_log import TradeRecord
from accountbuilder.store import decisions, journal, orders, runtime, session
from accountbuilder.store.connection import Database
from accountbuilder.store.migrations import stored_version
from accountbuilder.store.orders import OrderRecord
from accountbuilder.store.runtime import OwnerRecord, RequestOutcome
from accountbuilder.store.session import SessionRevision


@dataclass(frozen=True, slots=True)
class StatusView:
    """What the store holds at one moment (all parts read in the same transaction)."""

    schema_version: int
    session: SessionRevision | None
    live_orders: tuple[OrderRecord, ...]
    last_decisions: tuple[DecisionRun, ...]
    trades_today: tuple[TradeRecord, ...]
    open_halts: tuple[HaltRecord, ...]
    recent_halts: tuple[HaltRecord, ...]
    daily_metrics: tuple[DailyMetrics, ...]
    owner: OwnerRecord | None = None  # the last process that took the store's lock
    requests: tuple[RequestOutcome, ...] = ()  # operator requests answered, newest first
    rest_calls_ms: tuple[int, ...] = ()  # recorded REST calls of the last window (F1)


def read_status(
    db: Database,
    day: str,
    *,
    n_decisions: int = 20,
    n_halts: int = 10,
    n_days: int = 7,
    calls_since_ms: int | None = None,
) -> StatusView:
    """Read the status of the store for UTC ``day`` (``YYYY-MM-DD``) in one snapshot.

    In WAL mode this never blocks the runner and never sees half of a runner's transaction.
    """
    with db.read() as conn:
        return StatusView(
            schema_version=stored_version(conn, db.path),
            session=session.latest_revision(conn),
            live_orders=tuple(orders.live_orders(conn)),
            last_decisions=tuple(decisions.last_decisions(conn, n_decisions)),
            trades_today=tuple(journal.trades_on_day(conn, day)),
            open_halts=tuple(journal.open_halts(conn)),
            recent_halts=tuple(journal.recent_halts(conn, n_halts)),
            daily_metrics=tuple(journal.daily_rows(conn, last=n_days)),
            owner=runtime.last_owner(conn),
            requests=tuple(runtime.recent_requests(conn, n_halts)),
            rest_calls_ms=tuple(
                () if calls_since_ms is None else runtime.rest_calls_since(conn, calls_since_ms)
            ),
        )
