"""One row of ``sweep.csv`` per run: what the report says, at the end of trading.

Equity, the hold-BTC equity and the trading-vs-price split are measured at the **end of
trading** (the HALT, SUCCESS or FAILURE moment; the end of the window if still trading), never
after it (docs/backtest.md, "two moments"). A run that crashed is an ``ERROR`` row naming the
exception and its traceback file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from accountbuilder_runner.reporting.summary import Summary, first_manual_halt
from accountbuilder_runner.sweep.schedule import RunTask

DAY_MS = 86_400_000
ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class SweepRow:
    file: str
    start: str
    start_equity_usd: str
    window_to: str
    window_complete: bool
    path: int | None
    outcome: str
    halt_reason: str | None = None
    halt_day: float | None = None
    days_traded: float | None = None
    trades: int | None = None
    winrate: float | None = None
    max_drawdown_pct: float | None = None
    reached_200_day: float | None = None
    reached_1000_day: float | None = None
    review_flag: bool | None = None
    end_equity_usd: float | None = None
    end_equity_btc: float | None = None
    hold_btc_usd: float | None = None
    price_effect_usd: float | None = None
    trading_effect_usd: float | None = None
    trading_share: float | None = None
    report: str = ""
    error: str | None = None
    traceback: str | None = None
    elapsed_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# elapsed_s is left out of the CSV: the same sweep gives the same bytes on any engine
COLUMNS = tuple(f.name for f in fields(SweepRow) if f.name != "elapsed_s")


def _task_fields(task: RunTask) -> dict[str, Any]:
    return {
        "file": task.source,
        "start": task.start,
        "start_equity_usd": format(task.start_equity_usd.normalize(), "f"),
        "window_to": task.to,
        "window_complete": task.complete,
        "path": task.path,
        "report": task.run_id,
    }


def _day(summary: Summary, ts_ms: int | None) -> float | None:
    return None if ts_ms is None else round(summary.report.plan.day_of(ts_ms), 2)


def row_of(task: RunTask, summary: Summary, elapsed_s: float) -> SweepRow:
    """The row of a finished run."""
    r, f = summary.report, summary.figures
    a = r.end_of_trading.attribution
    halt = first_manual_halt(summary.collector)
    share = a.share(a.trading_effect_usd)
    return SweepRow(
        **_task_fields(task),
        outcome=f["outcome"],
        halt_reason=None if halt is None else halt[1],
        halt_day=None if halt is None else _day(summary, halt[0]),
        days_traded=round(r.end_of_trading.days, 2),
        trades=f["trades"],
        winrate=f["winrate"],
        max_drawdown_pct=round(r.drawdown.pct, 2),
        reached_200_day=_day(summary, r.plan.reached_200_ms),
        reached_1000_day=_day(summary, r.plan.success_ms),
        review_flag=r.plan.review_ms is not None,
        end_equity_usd=round(float(a.usd), 2),
        end_equity_btc=round(float(a.btc), 8),
        hold_btc_usd=round(float(a.hold_btc_usd), 2),
        price_effect_usd=round(float(a.price_effect_usd), 2),
        trading_effect_usd=round(float(a.trading_effect_usd), 2),
        trading_share=None if share is None else round(float(share), 4) + 0.0,  # never -0.0
        elapsed_s=round(elapsed_s, 3),
    )


def error_row(task: RunTask, error: str, traceback_file: str | None, elapsed_s: float) -> SweepRow:
    """The row of a run that crashed (``error``: the exception's one-line message)."""
    return SweepRow(
        **_task_fields(task),
        outcome=ERROR,
        error=error,
        traceback=traceback_file,
        elapsed_s=round(elapsed_s, 3),
    )


def cell(value: Any) -> str:
    """A value as ``sweep.csv`` writes it (booleans 1/0, none empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def write_csv(path: Path, rows: Iterable[SweepRow]) -> None:
    """``sweep.csv``: the columns of ``SweepRow``; empty cells for none."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(cell(getattr(row, c)) for c in COLUMNS)
