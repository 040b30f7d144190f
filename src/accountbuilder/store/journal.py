"""Trade log (SPEC I1), halt log (SPEC I2) and daily metrics (SPEC I3) tables.

Each record is stored whole as JSON (its ``to_dict()``) next to the columns queries filter
on. A trade record is written once per (kind, signal id, client id, order id): replaying the
same fill after a restart does not log the trade twice (the first write wins).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from accountbuilder.records.codec import dumps, loads
from accountbuilder.records.daily_metrics import DailyMetrics, utc_day
from accountbuilder.records.halt_log import HaltEvent, HaltRecord
from accountbuilder.records.trade_log import TradeExitRecord, TradeRecord, trade_from_dict


def insert_trade(conn: sqlite3.Connection, record: TradeRecord) -> bool:
    """Store a trade entry or exit; return False if that record was already stored."""
    is_exit = isinstance(record, TradeExitRecord)
    cur = conn.execute(
        "INSERT OR IGNORE INTO trades (kind, ts_ms, day, signal_id, client_id, order_id, side, "
        "contracts, stage, pnl_btc, exit_reason, record_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.KIND,
            record.ts_ms,
            utc_day(record.ts_ms),
            record.signal_id,
            record.client_id,
            record.order_id,
            record.side.value,
            record.contracts,
            record.stage.value,
            str(record.pnl_btc) if is_exit else None,
            record.exit_reason.value if is_exit else None,
            dumps(record),
        ),
    )
    return cur.rowcount == 1


def trades_on_day(conn: sqlite3.Connection, day: str) -> list[TradeRecord]:
    """The trade records of one UTC day (``YYYY-MM-DD``), in time order."""
    rows = conn.execute("SELECT record_json FROM trades WHERE day = ? ORDER BY ts_ms, id", (day,))
    return [trade_from_dict(loads(r[0])) for r in rows]


def trades_between(conn: sqlite3.Connection, start_ms: int, end_ms: int) -> list[TradeRecord]:
    """The trade records with ``start_ms <= ts_ms < end_ms``, in time order."""
    rows = conn.execute(
        "SELECT record_json FROM trades WHERE ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, id",
        (start_ms, end_ms),
    )
    return [trade_from_dict(loads(r[0])) for r in rows]


def insert_halt(conn: sqlite3.Connection, record: HaltRecord) -> None:
    """Append a halt event to the halt log."""
    conn.execute(
        "INSERT INTO halts (ts_ms, day, reason, kind, event, who, why, context_json, "
        "record_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.ts_ms,
            utc_day(record.ts_ms),
            record.reason.value,
            record.kind.value,
            record.event.value,
            record.who,
            record.why,
            dumps(record.context),
            dumps(record),
        ),
    )


def _halts(rows: Any) -> list[HaltRecord]:
    return [HaltRecord.from_dict(loads(r[0])) for r in rows]


def recent_halts(conn: sqlite3.Connection, limit: int) -> list[HaltRecord]:
    """The newest ``limit`` halt events, newest first."""
    return _halts(conn.execute("SELECT record_json FROM halts ORDER BY id DESC LIMIT ?", (limit,)))


def open_halts(conn: sqlite3.Connection) -> list[HaltRecord]:
    """The raised/escalated events since the last event that ended a HALT, oldest first.

    A HALT is one state with one or more reasons: a reset, a cooldown start or a lift ends all
    of them. The session document is the authority on HALT; this is the halt log's view.
    """
    closing = ", ".join(f"'{e.value}'" for e in HaltEvent if e.closes)
    opening = ", ".join(f"'{e.value}'" for e in HaltEvent if e.opens)
    rows = conn.execute(
        f"SELECT record_json FROM halts WHERE event IN ({opening}) AND id > "
        f"(SELECT COALESCE(MAX(id), 0) FROM halts WHERE event IN ({closing})) ORDER BY id"
    )
    return _halts(rows)


def upsert_daily(conn: sqlite3.Connection, metrics: DailyMetrics, ts_ms: int) -> None:
    """Insert or replace the row of ``metrics.day``."""
    conn.execute(
        "INSERT INTO daily_metrics (day, ts_ms, trades, wins, pnl_btc, halts, metrics_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day) DO UPDATE SET ts_ms = excluded.ts_ms, "
        "trades = excluded.trades, wins = excluded.wins, pnl_btc = excluded.pnl_btc, "
        "halts = excluded.halts, metrics_json = excluded.metrics_json",
        (
            metrics.day,
            ts_ms,
            metrics.trades,
            metrics.wins,
            str(metrics.pnl_btc),
            metrics.halts,
            dumps(metrics),
        ),
    )


def daily_rows(
    conn: sqlite3.Connection, *, last: int | None = None, day: str | None = None
) -> list[DailyMetrics]:
    """Daily metrics, oldest first: one ``day``, the ``last`` N days, or all."""
    if day is not None:
        rows = conn.execute("SELECT metrics_json FROM daily_metrics WHERE day = ?", (day,))
    elif last is not None:
        rows = conn.execute(
            "SELECT metrics_json FROM (SELECT day, metrics_json FROM daily_metrics "
            "ORDER BY day DESC LIMIT ?) ORDER BY day",
            (last,),
        )
    else:
        rows = conn.execute("SELECT metrics_json FROM daily_metrics ORDER BY day")
    return [DailyMetrics.from_dict(loads(r[0])) for r in rows]
