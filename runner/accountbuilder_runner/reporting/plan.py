"""The plan's targets (SPEC H2, H3; the user's plan §1.1-1.2) at one moment.

"Target: $100 → $1,000 within 6–12 months (max 18). Review Trigger: 12 months without $200.
Hard Failure: 18 months without $1,000. Balance < $80 ⇒ HALT (manual reset only)."

``plan_targets`` gives the account's start and age, the review flag with the day it was
raised, each mark (12 and 18 months) as days to go or the day it passed, the $200 and
SUCCESS days, and ``outcome_line`` says the result in those words. Pure: a backtest passes
the end of trading, ``status`` passes now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accountbuilder.constants import (
    FAILURE_AFTER_DAYS,
    HARD_STOP_EQUITY_USD,
    REVIEW_AFTER_DAYS,
    REVIEW_EQUITY_USD,
    SUCCESS_EQUITY_USD,
)
from accountbuilder.domain.enums import Outcome

DAY_MS = 86_400_000
Iso = Callable[[int | None], str | None]


@dataclass(frozen=True, slots=True)
class Mark:
    """A deadline counted from the start: still ahead (``days_left``) or passed."""

    name: str
    at_ms: int
    passed: bool
    days_left: float | None

    def to_json(self, iso: Iso) -> dict[str, Any]:
        left = None if self.days_left is None else round(self.days_left, 2)
        return {"at": iso(self.at_ms), "passed": self.passed, "days_left": left}

    def text(self, iso: Iso) -> str:
        day = (iso(self.at_ms) or "")[:10]
        if self.passed:
            return f"{self.name}: passed on {day}"
        return f"{self.name}: {self.days_left:.1f} days to go ({day})"


@dataclass(frozen=True, slots=True)
class PlanTargets:
    start_ms: int
    at_ms: int  # the moment measured (end of trading in a backtest, now in status)
    reached_200_ms: int | None
    success_ms: int | None
    review_ms: int | None  # when the H2 review flag was raised (None: not raised)
    review_mark: Mark
    deadline_mark: Mark

    @property
    def age_days(self) -> float:
        return (self.at_ms - self.start_ms) / DAY_MS

    def day_of(self, ts_ms: int | None) -> float | None:
        return None if ts_ms is None else (ts_ms - self.start_ms) / DAY_MS

    def to_json(self, iso: Iso) -> dict[str, Any]:
        def event(ts: int | None) -> dict[str, Any] | None:
            return None if ts is None else {"at": iso(ts), "day": round(self.day_of(ts), 2)}

        return {
            "account_start": iso(self.start_ms),
            "measured_at": iso(self.at_ms),
            "age_days": round(self.age_days, 2),
            "review_flag": {"raised": self.review_ms is not None, **(event(self.review_ms) or {})},
            "reached_200": event(self.reached_200_ms),
            "success": event(self.success_ms),
            "mark_12_months": self.review_mark.to_json(iso),
            "mark_18_months": self.deadline_mark.to_json(iso),
        }


def _mark(name: str, start_ms: int, days: int, at_ms: int) -> Mark:
    mark = start_ms + days * DAY_MS
    if at_ms >= mark:
        return Mark(name, mark, True, None)
    return Mark(name, mark, False, (mark - at_ms) / DAY_MS)


def plan_targets(
    start_ms: int,
    at_ms: int,
    reached_200_ms: int | None,
    success_ms: int | None,
) -> PlanTargets:
    """The targets at ``at_ms``: the review flag is raised at the 12-month mark when $200 was
    not reached before it (H2), if the account was still trading then (``at_ms`` ≥ mark)."""
    review = _mark("12-month review", start_ms, REVIEW_AFTER_DAYS, at_ms)
    deadline = _mark("18-month deadline", start_ms, FAILURE_AFTER_DAYS, at_ms)
    missed = reached_200_ms is None or reached_200_ms > review.at_ms
    review_ms = review.at_ms if review.passed and missed else None
    return PlanTargets(start_ms, at_ms, reached_200_ms, success_ms, review_ms, review, deadline)


def _when(t: PlanTargets, ts_ms: int | None, iso: Iso) -> str:
    return f"after {t.day_of(ts_ms):.1f} days ({(iso(ts_ms) or '')[:10]})"


HALT_WORDS = {
    "EQUITY_BELOW_80": f"Hard stop: balance under ${HARD_STOP_EQUITY_USD}",
    "LIQUIDATION_WARNING": "Hard stop: liquidation warning",
    "LIQUIDATION_EVENT": "Hard stop: liquidation event",
}


def outcome_line(
    t: PlanTargets,
    outcome: Outcome,
    start_usd: str | None,
    halt: tuple[int, str] | None,
    iso: Iso,
) -> str:
    """The result in the plan's words (one sentence, then the review trigger if raised)."""
    goal = (
        f"${SUCCESS_EQUITY_USD:,}"
        if start_usd is None
        else f"${start_usd} → ${SUCCESS_EQUITY_USD:,}"
    )
    if outcome is Outcome.SUCCESS:
        line = f"Target {goal} reached {_when(t, t.success_ms, iso)}, within 18 months."
    elif outcome is Outcome.FAILURE:
        line = f"Hard Failure: 18 months without ${SUCCESS_EQUITY_USD:,} (target {goal})."
    elif outcome is Outcome.HALTED and halt is not None:
        words = HALT_WORDS.get(halt[1], f"HALT on {halt[1]}")
        line = f"{words} {_when(t, halt[0], iso)} ⇒ HALT (manual reset only); target {goal} not reached."
    else:
        line = (
            f"Still trading after {t.age_days:.1f} days: target {goal} not reached yet; "
            f"{t.deadline_mark.text(iso)}."
        )
    if t.review_ms is not None:
        line += (
            f" Review Trigger: 12 months without ${REVIEW_EQUITY_USD}"
            f" (flag raised {(iso(t.review_ms) or '')[:10]})."
        )
    return line
