"""The per-month table: trades, wins, PnL (BTC, USD), fees and equity at each month's end.

A trade belongs to the UTC month of its exit. Months run from the start to the end of
trading; a trade that closed after the end of trading (a position a HALT kept, SPEC E7) goes
to one last row labelled ``after end of trading``, whose equity is the end of the data's. So
the rows always sum to the totals over every closed trade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from accountbuilder_runner.reporting.collector import EquityPath
from accountbuilder_runner.reporting.facts import TradeFacts

ZERO = Decimal(0)
AFTER = "after end of trading"


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: str
    trades: int
    wins: int
    pnl_btc: Decimal
    pnl_usd: Decimal
    fees_btc: Decimal
    fees_usd: Decimal
    end_equity_usd: float | None
    end_equity_btc: float | None

    def cells(self) -> tuple:
        """The row as the HTML and terminal tables show it."""
        return (
            self.month,
            self.trades,
            self.wins,
            f"{self.pnl_btc:.8f}",
            f"{self.pnl_usd:.2f}",
            f"{self.fees_btc:.8f}",
            f"{self.fees_usd:.2f}",
            "" if self.end_equity_usd is None else f"{self.end_equity_usd:.2f}",
            "" if self.end_equity_btc is None else f"{self.end_equity_btc:.8f}",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "trades": self.trades,
            "wins": self.wins,
            "pnl_btc": _btc(self.pnl_btc),
            "pnl_usd": float(round(self.pnl_usd, 2)),
            "fees_btc": _btc(self.fees_btc),
            "fees_usd": float(round(self.fees_usd, 2)),
            "end_equity_usd": _round(self.end_equity_usd, 2),
            "end_equity_btc": _round(self.end_equity_btc, 8),
        }


MONTH_COLUMNS = (
    "month",
    "trades",
    "wins",
    "pnl_btc",
    "pnl_usd",
    "fees_btc",
    "fees_usd",
    "end_equity_usd",
    "end_equity_btc",
)


def _btc(x: Decimal) -> str:
    """BTC to 10 decimals, as ``trades.csv``."""
    return format(x.quantize(Decimal("1e-10")), "f")


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def month_of(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m")


def _next_month_ms(month: str) -> int:
    year, mon = int(month[:4]), int(month[5:])
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return int(datetime(year, mon, 1, tzinfo=UTC).timestamp() * 1000)


def _equity_at(path: EquityPath, ts_ms: int) -> tuple[float | None, float | None]:
    """Equity at the last candle close at or before ``ts_ms``."""
    i = int(np.searchsorted(path.ts_ms, ts_ms, "right")) - 1
    if i < 0:
        return None, None
    return float(path.equity_usd[i]), float(path.equity_btc[i])


def _row(label: str, trades: Sequence[TradeFacts], equity: tuple) -> MonthRow:
    return MonthRow(
        label,
        len(trades),
        sum(1 for t in trades if t.is_win),
        sum((t.pnl_btc for t in trades), ZERO),
        sum((t.pnl_usd for t in trades), ZERO),
        sum((t.fee_btc for t in trades), ZERO),
        sum((t.fee_usd for t in trades), ZERO),
        *equity,
    )


def month_table(
    trades: Sequence[TradeFacts], path: EquityPath, start_ms: int, trading_end_ms: int
) -> list[MonthRow]:
    """One row per UTC month of the trading period (and the after-the-end row if needed)."""
    rows = []
    month = month_of(start_ms)
    while True:
        until = min(_next_month_ms(month), trading_end_ms + 1)
        these = [t for t in trades if month_of(t.exit_ms) == month and t.exit_ms <= trading_end_ms]
        rows.append(_row(month, these, _equity_at(path, until - 1)))
        if until > trading_end_ms:
            break
        month = month_of(until)
    after = [t for t in trades if t.exit_ms > trading_end_ms]
    if after:
        rows.append(_row(AFTER, after, _equity_at(path, int(path.ts_ms[-1]))))
    return rows


def totals(rows: Sequence[MonthRow]) -> MonthRow:
    """The sum of the rows (the equity is the last row's)."""
    last = rows[-1] if rows else None
    return MonthRow(
        "total",
        sum(r.trades for r in rows),
        sum(r.wins for r in rows),
        sum((r.pnl_btc for r in rows), ZERO),
        sum((r.pnl_usd for r in rows), ZERO),
        sum((r.fees_btc for r in rows), ZERO),
        sum((r.fees_usd for r in rows), ZERO),
        None if last is None else last.end_equity_usd,
        None if last is None else last.end_equity_btc,
    )
