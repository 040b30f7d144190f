"""Fee spike detection (SPEC G10) and its 24-hour tightening window (D8)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SPIKE_RATIO = Decimal("1.5")
HOUR_MS = 3_600_000


def fee_ratio(actual_fee_btc: Decimal, estimated_fee_btc: Decimal) -> Decimal | None:
    """G10: ``actual / estimated``; None when the estimate is not positive (a rebate)."""
    if estimated_fee_btc <= 0:
        return None
    return actual_fee_btc / estimated_fee_btc


def is_spike(actual_fee_btc: Decimal, estimated_fee_btc: Decimal) -> bool:
    """G10: ratio above 1.5; with a rebate estimate, any positive charge is a spike."""
    ratio = fee_ratio(actual_fee_btc, estimated_fee_btc)
    if ratio is None:
        return actual_fee_btc > 0
    return ratio > SPIKE_RATIO


@dataclass(frozen=True, slots=True)
class FeeSpike:
    """End of the current tightening window (UTC ms) and the ratio that started it."""

    until_ms: int | None = None
    last_ratio: Decimal | None = None

    def on_fill(
        self, actual_fee_btc: Decimal, estimated_fee_btc: Decimal, now_ms: int, hours: int = 24
    ) -> FeeSpike:
        """G10/D8: a spike starts (or restarts) a window of ``hours`` from ``now_ms``."""
        if not is_spike(actual_fee_btc, estimated_fee_btc):
            return self
        return FeeSpike(now_ms + hours * HOUR_MS, fee_ratio(actual_fee_btc, estimated_fee_btc))

    def active(self, now_ms: int) -> bool:
        """D8: K × 1.5 and maker-only while this is True."""
        return self.until_ms is not None and now_ms < self.until_ms

    def to_dict(self) -> dict[str, Any]:
        ratio = None if self.last_ratio is None else str(self.last_ratio)
        return {"until_ms": self.until_ms, "last_ratio": ratio}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeeSpike:
        until, ratio = data["until_ms"], data["last_ratio"]
        return cls(None if until is None else int(until), None if ratio is None else Decimal(ratio))
