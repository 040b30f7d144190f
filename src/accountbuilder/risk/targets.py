"""Account targets (SPEC H2, H3): start time, review flag, 18-month failure, success, hard stop."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accountbuilder.constants import (
    FAILURE_AFTER_DAYS,
    HARD_STOP_EQUITY_USD,
    REVIEW_AFTER_DAYS,
    REVIEW_EQUITY_USD,
    SUCCESS_EQUITY_USD,
)
from accountbuilder.domain.enums import Outcome
from accountbuilder.domain.reasons import ReasonCode

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """H2/H3 verdict at one moment: the outcome, the review flag and a HALT reason if any."""

    outcome: Outcome
    review_required: bool
    halt: ReasonCode | None
    elapsed_days: Decimal
    peak_equity_usd: Decimal

    def figures(self) -> dict[str, object]:
        return {
            "outcome": self.outcome.value,
            "elapsed_days": self.elapsed_days,
            "peak_equity_usd": self.peak_equity_usd,
            "review_required": self.review_required,
        }


@dataclass(frozen=True, slots=True)
class Targets:
    """The persisted start time, the highest USD equity seen and when SUCCESS was reached."""

    start_ms: int | None = None
    peak_equity_usd: Decimal = Decimal(0)
    success_ms: int | None = None

    def observe(self, equity_usd: Decimal, now_ms: int) -> Targets:
        """Record an equity reading; the first one fixes the start time (H2)."""
        start = now_ms if self.start_ms is None else self.start_ms
        success = self.success_ms
        if success is None and equity_usd >= SUCCESS_EQUITY_USD:
            success = now_ms
        peak = self.peak_equity_usd
        if start == self.start_ms and success == self.success_ms and equity_usd <= peak:
            return self  # nothing new: no copy
        return Targets(start, max(peak, equity_usd), success)

    def assess(self, equity_usd: Decimal, now_ms: int) -> TargetStatus:
        """H2/H3 at ``now_ms`` with the current equity included.

        H3: ``equity_usd < 80`` → HALT (manual). H2: ``≥ 1000`` ever → SUCCESS (sticky);
        18 months without it → HALT (failure); 12 months without ever ``≥ 200`` → review flag.
        """
        seen = self.observe(equity_usd, now_ms)
        elapsed_ms = now_ms - (seen.start_ms or now_ms)
        days = Decimal(elapsed_ms) / DAY_MS
        review = (
            elapsed_ms >= REVIEW_AFTER_DAYS * DAY_MS and seen.peak_equity_usd < REVIEW_EQUITY_USD
        )
        halt: ReasonCode | None = None
        outcome = Outcome.RUNNING
        if seen.success_ms is not None:
            outcome = Outcome.SUCCESS
        elif elapsed_ms >= FAILURE_AFTER_DAYS * DAY_MS:
            outcome, halt = Outcome.FAILURE, ReasonCode.EIGHTEEN_MONTH_FAILURE
        if halt is None and equity_usd < HARD_STOP_EQUITY_USD:
            halt = ReasonCode.EQUITY_BELOW_80
        return TargetStatus(outcome, review, halt, days, seen.peak_equity_usd)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_ms": self.start_ms,
            "peak_equity_usd": str(self.peak_equity_usd),
            "success_ms": self.success_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Targets:
        start, success = data["start_ms"], data["success_ms"]
        return cls(
            None if start is None else int(start),
            Decimal(data["peak_equity_usd"]),
            None if success is None else int(success),
        )
