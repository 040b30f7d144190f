"""Which runs a sweep makes: start dates (``--every``), windows (``--months``), start equities.

A start falls on a calendar boundary — the first day of a quarter (Jan, Apr, Jul, Oct) or of a
month — or every N days, from the first day that has the replay's 31 days of history before it
(or ``--from``). A start is kept while the data holds at least one step (``--every``) after
it. Each window runs ``--months`` months as SPEC H2 counts them, ``ceil(months × 365 / 12)``
days (12 months = 365 days, the review; 18 months = 548 days, the failure deadline), so an
18-month window always reaches H2's deadline; it is cut at the end of the data (``--to``),
and a cut window is marked ``complete = False``. Each (start, start equity) is one ``RunTask``: exactly the
``backtest --from START --to END --start-equity-usd USD`` of that window.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from accountbuilder.marketdata.candles import CandleArrays
from accountbuilder_runner.replay import HISTORY_DAYS

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Every:
    """The step between starts: ``quarter``, ``month`` or ``days`` N."""

    unit: str
    days: int = 0

    def next(self, d: date) -> date:
        if self.unit == "days":
            return d + timedelta(days=self.days)
        return add_months(d, 3 if self.unit == "quarter" else 1)

    def first_on_or_after(self, d: date) -> date:
        """The first boundary on or after ``d`` (any day for ``days``)."""
        if self.unit == "days":
            return d
        months = 3 if self.unit == "quarter" else 1
        first = date(d.year, ((d.month - 1) // months) * months + 1, 1)
        return first if first == d else add_months(first, months)


def parse_every(text: str) -> Every:
    """``quarter``, ``month`` or ``Nd`` (``30d``): the argparse type of ``--every``."""
    if text in ("quarter", "month"):
        return Every(text)
    found = re.fullmatch(r"([1-9]\d*)d", text)
    if found is None:
        raise argparse.ArgumentTypeError(f"--every: quarter, month or Nd (e.g. 30d), not {text!r}")
    return Every("days", int(found.group(1)))


def parse_equities(text: str) -> tuple[Decimal, ...]:
    """``100,300``: the argparse type of ``--start-equity-usd`` (positive, comma-separated)."""
    try:
        values = tuple(Decimal(part.strip()) for part in text.split(","))
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a list of amounts: {text!r}") from None
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"amounts must be > 0: {text!r}")
    return values


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in range(d.day, 0, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)  # unreachable: day 1 always exists


def window_days(months: int) -> int:
    """SPEC H2's months in days: 12 → 365, 18 → 548."""
    return math.ceil(months * 365 / 12)


def day_of(ts_ms: int) -> date:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).date()


@dataclass(frozen=True, slots=True)
class Window:
    start: date
    to: date  # inclusive
    complete: bool


def windows(
    arrays: CandleArrays,
    every: Every,
    months: int,
    from_day: date | None = None,
    to_day: date | None = None,
) -> list[Window]:
    """Every window of ``arrays`` (see the module doc)."""
    first_day = day_of(int(arrays.ts_ms[0])) + timedelta(days=HISTORY_DAYS)
    last_day = day_of(int(arrays.ts_ms[-1]) + arrays.timeframe_ms - 1)
    if to_day is not None:
        last_day = min(last_day, to_day)
    start = every.first_on_or_after(max(first_day, from_day or first_day))
    out = []
    while every.next(start) <= last_day + timedelta(days=1):
        end = start + timedelta(days=window_days(months) - 1)
        out.append(Window(start, min(end, last_day), end <= last_day))
        start = every.next(start)
    return out


@dataclass(frozen=True, slots=True)
class RunTask:
    """One backtest of the sweep; ``path`` set: a Monte Carlo path (``montecarlo``)."""

    run_id: str  # also the report directory, relative to the sweep's --out
    data: str
    source: str
    start: str  # YYYY-MM-DD
    to: str  # YYYY-MM-DD, inclusive
    complete: bool
    start_equity_usd: Decimal
    plot: bool = True
    path: int | None = None
    seed: int | None = None
    block_days: float | None = None


def stem(source: str) -> str:
    return source.removesuffix(".gz").removesuffix(".csv")


def run_id(source: str, label: str, usd: Decimal) -> str:
    """A run's id and report directory: ``runs/<file stem>/<label>_<usd>usd``."""
    return f"runs/{stem(source)}/{label}_{format(usd.normalize(), 'f')}usd"


def tasks_for(
    data: str,
    arrays: CandleArrays,
    wins: Sequence[Window],
    equities: Sequence[Decimal],
    *,
    plot: bool = True,
) -> list[RunTask]:
    """One task per (window, start equity), in start order."""
    return [
        RunTask(
            run_id(arrays.source, w.start.isoformat(), usd),
            data,
            arrays.source,
            w.start.isoformat(),
            w.to.isoformat(),
            w.complete,
            usd,
            plot,
        )
        for w in wins
        for usd in equities
    ]
