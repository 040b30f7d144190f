"""E2: exchange latency tracker (REST round trips and WS event ages).

A sample at or above the limit (5.0 s) starts a latency block: cancel pending entry orders and
block entries. The block ends once every sample has been below the limit for the recovery time
(60 s **default**), counted from the first clean sample after the last high one. Until a clean
sample arrives the end is not known: ``until_ms`` is then ``now + recovery`` (the earliest it
could be), so it moves on each tick; silence proves nothing. Re-read the status every tick.

The live adapter reports a REST call that timed out as a sample of its elapsed time, so a hung
endpoint counts as high latency. A negative WS event age (local clock behind the exchange's)
counts as 0; a NaN or infinite sample counts as high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.actions import EntryBlock

LATENCY_LIMIT_MS = 5_000  # SPEC E2: 5.0 s
LATENCY_RECOVERY_MS = 60_000  # SPEC E2 (default): below the limit for 60 s


@dataclass(frozen=True, slots=True)
class LatencyStatus:
    """Whether E2 blocks entries at ``now_ms`` and why."""

    blocked: bool
    until_ms: int | None = None  # earliest end of the block; None when not blocked
    last_high_ms: int | None = None  # when the latest sample at/above the limit arrived
    last_high_value_ms: float | None = None
    last_high_source: str | None = None  # "rest" or "ws"
    clean_since_ms: int | None = None
    limit_ms: int = LATENCY_LIMIT_MS
    recovery_ms: int = LATENCY_RECOVERY_MS

    def block(self) -> EntryBlock | None:
        """The E2 block (cancel entry orders + block entries), or None when not blocked."""
        if not self.blocked:
            return None
        return EntryBlock(
            reason=ReasonCode.BLOCK_LATENCY,
            until_ms=self.until_ms,
            cancel_entry_orders=True,
            release=f"latency < {self.limit_ms} ms for {self.recovery_ms} ms",
        )

    def figures(self) -> dict[str, object]:
        return {
            "latency_ms": self.last_high_value_ms,
            "source": self.last_high_source,
            "at_ms": self.last_high_ms,
            "limit_ms": self.limit_ms,
            "clean_since_ms": self.clean_since_ms,
            "until_ms": self.until_ms,
        }


class LatencyTracker:
    """Fed with latency samples; ``status(now_ms)`` says whether E2 blocks entries."""

    def __init__(
        self, limit_ms: int = LATENCY_LIMIT_MS, recovery_ms: int = LATENCY_RECOVERY_MS
    ) -> None:
        if limit_ms <= 0 or recovery_ms <= 0:
            raise ValueError("latency limit and recovery time must be positive")
        self.limit_ms = limit_ms
        self.recovery_ms = recovery_ms
        self._last_high_ms: int | None = None
        self._last_high_value: float | None = None
        self._last_high_source: str | None = None
        self._clean_since_ms: int | None = None

    @classmethod
    def from_config(cls, config: EmergencyConfig) -> LatencyTracker:
        """Limit and recovery time from ``emergency_config.yaml`` (tighten-only there)."""
        limit_ms = int(config.latency_block_s * 1000)
        return cls(
            limit_ms=min(limit_ms, LATENCY_LIMIT_MS), recovery_ms=config.latency_recovery_s * 1000
        )

    def on_rest_round_trip(self, now_ms: int, rtt_ms: float) -> None:
        """Record one REST round trip (or a timed-out call's elapsed time)."""
        self._sample(now_ms, rtt_ms, "rest")

    def on_ws_event_age(self, now_ms: int, age_ms: float) -> None:
        """Record one WS event's age: local receive time minus the exchange's timestamp."""
        self._sample(now_ms, max(age_ms, 0) if math.isfinite(age_ms) else age_ms, "ws")

    def status(self, now_ms: int) -> LatencyStatus:
        """Blocked from the first high sample until ``recovery_ms`` of clean samples."""
        if self._last_high_ms is None:
            return LatencyStatus(False, limit_ms=self.limit_ms, recovery_ms=self.recovery_ms)
        clean = self._clean_since_ms
        until = now_ms + self.recovery_ms if clean is None else clean + self.recovery_ms
        return LatencyStatus(
            blocked=now_ms < until,
            until_ms=until if now_ms < until else None,
            last_high_ms=self._last_high_ms,
            last_high_value_ms=self._last_high_value,
            last_high_source=self._last_high_source,
            clean_since_ms=self._clean_since_ms,
            limit_ms=self.limit_ms,
            recovery_ms=self.recovery_ms,
        )

    def _sample(self, now_ms: int, value_ms: float, source: str) -> None:
        if not math.isfinite(value_ms) or value_ms >= self.limit_ms:
            self._last_high_ms = now_ms
            self._last_high_value = float(value_ms)
            self._last_high_source = source
            self._clean_since_ms = None
        elif self._last_high_ms is not None and self._clean_since_ms is None:
            self._clean_since_ms = now_ms
