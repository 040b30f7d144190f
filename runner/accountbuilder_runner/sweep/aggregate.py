"""``sweep.json``: the answer per start equity, as shares with Wilson 95 % intervals.

For each start equity (ERROR rows counted, and left out of every share):

- ``reached_200_by_month_12``: runs with $200 by day 365. A run counts as a *no* when it got
  to day 365 without $200, or stopped trading (HALT, FAILURE) before; a run still trading when
  its window was cut by the end of the data, short of day 365 and without $200, cannot tell
  and is left out (``n`` says how many runs count);
- ``reached_1000_by_month_18``: SUCCESS (H2: $1,000 within 548 days); a *no* is a HALT, a
  FAILURE or 548 days traded; a cut window still trading is left out;
- ``outcomes`` and ``halted_by_reason``: shares of the runs (manual HALTs by first reason);
- ``median_days_traded``; ``review_flag``: share of runs whose H2 flag was raised;
- ``survival``: Kaplan–Meier share of accounts still trading at each month (a HALT ends an
  account; SUCCESS, FAILURE at 18 months and the end of a window are censored).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accountbuilder.constants import FAILURE_AFTER_DAYS, REVIEW_AFTER_DAYS
from accountbuilder_runner.sweep.rows import ERROR, SweepRow

Z95 = 1.959963984540054
MONTH_DAYS = 365 / 12
STOPPED = ("HALTED", "FAILURE")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of ``k`` successes in ``n`` (None for ``n = 0``)."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Share:
    k: int
    n: int

    def to_json(self) -> dict[str, Any]:
        ci = wilson(self.k, self.n)
        return {
            "share": None if self.n == 0 else round(self.k / self.n, 4),
            "ci95": None if ci is None else [round(ci[0], 4), round(ci[1], 4)],
            "k": self.k,
            "n": self.n,
        }


def _by(rows: Sequence[SweepRow], yes, no) -> Share:
    decided = [r for r in rows if yes(r) or no(r)]
    return Share(sum(1 for r in decided if yes(r)), len(decided))


def reached_200_by_12(rows: Sequence[SweepRow]) -> Share:
    def yes(r):
        return r.reached_200_day is not None and r.reached_200_day <= REVIEW_AFTER_DAYS

    def no(r):
        return not yes(r) and (r.days_traded >= REVIEW_AFTER_DAYS or r.outcome in STOPPED)

    return _by(rows, yes, no)


def reached_1000_by_18(rows: Sequence[SweepRow]) -> Share:
    def yes(r):
        return r.outcome == "SUCCESS"

    def no(r):
        return r.outcome in STOPPED or (not yes(r) and r.days_traded >= FAILURE_AFTER_DAYS)

    return _by(rows, yes, no)


def survival(rows: Sequence[SweepRow], months: int) -> list[dict[str, float]]:
    """Kaplan–Meier: the share still trading at the end of each month 0..``months``."""
    # (time, 0 for a HALT, 1 censored): at equal times the HALT comes first, as usual
    times = sorted((r.days_traded, 0 if r.outcome == "HALTED" else 1) for r in rows)
    curve, s, i = [], 1.0, 0
    for month in range(months + 1):
        t = month * MONTH_DAYS
        while i < len(times) and times[i][0] <= t:
            at_risk = len(times) - i
            if times[i][1] == 0:
                s *= 1 - 1 / at_risk
            i += 1
        curve.append({"month": month, "still_trading": round(s, 4)})
    return curve


def summary_for(rows: Sequence[SweepRow], months: int) -> dict[str, Any]:
    """The figures of one start equity's runs."""
    ok = [r for r in rows if r.outcome != ERROR]
    outcomes = Counter(r.outcome for r in ok)
    halts = Counter(r.halt_reason for r in ok if r.outcome == "HALTED" and r.halt_reason)
    days = [r.days_traded for r in ok]
    return {
        "runs": len(rows),
        "errors": len(rows) - len(ok),
        "reached_200_by_month_12": reached_200_by_12(ok).to_json(),
        "reached_1000_by_month_18": reached_1000_by_18(ok).to_json(),
        "outcomes": {o: Share(outcomes[o], len(ok)).to_json() for o in sorted(outcomes)},
        "halted_by_reason": {h: Share(halts[h], len(ok)).to_json() for h in sorted(halts)},
        "review_flag": Share(sum(1 for r in ok if r.review_flag), len(ok)).to_json(),
        "median_days_traded": round(statistics.median(days), 2) if days else None,
        "survival": survival(ok, months),
    }


def aggregate(rows: Sequence[SweepRow], months: int) -> dict[str, dict[str, Any]]:
    """``summary_for`` each start equity, keyed by it (as written in ``sweep.csv``)."""
    keys = sorted({r.start_equity_usd for r in rows}, key=float)
    return {k: summary_for([r for r in rows if r.start_equity_usd == k], months) for k in keys}
