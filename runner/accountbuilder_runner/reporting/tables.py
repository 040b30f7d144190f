"""``trades.csv``, ``halts.csv`` and ``decisions.csv`` (columns documented in docs/backtest.md).

Times are UTC ISO 8601; prices have 2 decimals, BTC amounts 10, USD amounts 4 (rounded half
even from the exact Decimals of the records), so the same candles give byte-identical files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder_runner.reporting.collector import ClosedTrade, DecisionRow
from accountbuilder_runner.reporting.summary import iso

TRADE_COLUMNS = (
    "entry_ts",
    "exit_ts",
    "side",
    "contracts",
    "entry_price",
    "stop_price",
    "take_profit_price",
    "exit_price",
    "entry_stage",
    "leverage",
    "max_loss_btc",
    "loss_at_stop_btc",
    "liquidity",
    "fee_btc",
    "funding_btc",
    "pnl_btc",
    "pnl_usd",
    "win",
    "exit_reason",
    "equity_usd_after",
)
HALT_COLUMNS = ("ts", "reason", "kind", "event", "lifted_ts", "cooldown_ts")
DECISION_COLUMNS = (
    "ts",
    "last_ts",
    "count",
    "accepted",
    "reason",
    "stage",
    "contracts",
    "side",
)

PRICE, BTC, USD = Decimal("0.01"), Decimal("1e-10"), Decimal("0.0001")


def _q(value: Decimal | None, step: Decimal) -> str:
    """Fixed-point text (never ``6.9E-7``) rounded to ``step``."""
    return "" if value is None else format(value.quantize(step), "f")


def trade_rows(trades: Iterable[ClosedTrade]) -> list[tuple]:
    """One row per closed trade; ``pnl_btc`` is after fees and funding (SPEC H1), ``win`` is
    ``pnl_btc > 0``."""
    rows = []
    for t in trades:
        x = t.exit
        rows.append(
            (
                iso(t.entry_ts_ms),
                iso(x.ts_ms),
                x.side.value,
                x.contracts,
                _q(x.entry_price, PRICE),
                _q(x.stop_price, PRICE),
                _q(x.take_profit_price, PRICE),
                _q(x.exit_price, PRICE),
                x.stage.value,
                str(x.leverage),
                _q(x.max_loss_btc, BTC),
                _q(x.loss_at_stop_btc, BTC),
                x.liquidity.value,
                _q(x.actual_fee_btc, BTC),
                _q(x.funding_btc, BTC),
                _q(x.pnl_btc, BTC),
                _q(x.pnl_usd, USD),
                int(x.is_win),
                x.exit_reason.value,
                _q(x.equity_usd, USD),
            )
        )
    return rows


def halt_rows(entries: Sequence[HaltLogEntry]) -> list[tuple]:
    """One row per reason raised; ``lifted_ts`` is when entries were allowed again.

    A temporary HALT ends in COOLDOWN after 5 calm minutes (``cooldown_ts``) and is lifted when
    the cooldown is over; a manual HALT is lifted by a reset. Empty: still in force at the end.
    """
    rows, open_ = [], []
    cooldown = None
    for e in entries:
        if e.event in (HaltLogEvent.RAISED, HaltLogEvent.ESCALATED):
            if not open_:
                cooldown = None
            open_.append([e.ts_ms, e.reason.value, e.kind.value, e.event.value])
        elif e.event is HaltLogEvent.COOLDOWN_STARTED:
            cooldown = e.ts_ms
        elif e.event in (HaltLogEvent.LIFTED, HaltLogEvent.RESET):
            rows += [(iso(o[0]), *o[1:], iso(e.ts_ms), iso(cooldown)) for o in open_]
            open_, cooldown = [], None
    rows += [(iso(o[0]), *o[1:], "", iso(cooldown) or "") for o in open_]
    rows.sort(key=lambda r: r[0])
    return rows


def decision_rows(runs: Iterable[DecisionRow]) -> list[tuple]:
    """Runs of identical consecutive rejections as one row with ``count`` and ``last_ts``."""
    return [
        (
            iso(r.ts_ms),
            iso(r.last_ts_ms),
            r.count,
            int(r.accepted),
            r.reason,
            r.stage,
            r.contracts,
            r.side,
        )
        for r in runs
    ]


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write a CSV with ``\\n`` line ends (the same bytes on every platform)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
