"""Entry block timers (SPEC D6): each has a reason and an expiry (UTC ms)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accountbuilder.domain.reasons import ReasonCode

HOUR_MS = 3_600_000
TAKER_FAILURE_BLOCK_MS = HOUR_MS  # G4: a failed taker entry blocks entries for 1 hour
ANTI_FLAP_BLOCK_MS = HOUR_MS  # B5
# The exchange refused an entry our own gates accepted (insufficient balance, a rejected
# parameter …): it would refuse the next one too, so entries wait before the next attempt
# instead of spending a client id and two REST calls a minute on it.
ENTRY_REFUSED_BLOCK_MS = 5 * 60_000

BLOCK_REASONS = frozenset(
    {
        ReasonCode.BLOCK_ANTI_FLAP,
        ReasonCode.BLOCK_TAKER_FAILURE,
        ReasonCode.BLOCK_RECOVERY,
        ReasonCode.BLOCK_LATENCY,
        ReasonCode.BLOCK_RECONCILE,
        ReasonCode.BLOCK_STORE,
        ReasonCode.BLOCK_CLOCK,
        ReasonCode.BLOCK_ENTRY_REFUSED,
    }
)


@dataclass(frozen=True, slots=True)
class Block:
    """Entries are refused while ``now_ms < until_ms``."""

    reason: ReasonCode
    until_ms: int

    def runs(self, now_ms: int) -> bool:
        return now_ms < self.until_ms


@dataclass(frozen=True, slots=True)
class Blocks:
    """The block timers, at most one per reason (the later expiry wins)."""

    items: tuple[Block, ...] = ()

    def add(self, reason: ReasonCode, until_ms: int) -> Blocks:
        """Start or extend the block of ``reason`` (a shorter one never cuts a longer one)."""
        if reason not in BLOCK_REASONS:
            raise ValueError(f"{reason} is not a block reason")
        current = self.until(reason)
        if current is not None and current >= until_ms:
            return self
        kept = tuple(b for b in self.items if b.reason is not reason)
        return Blocks((*kept, Block(reason, until_ms)))

    def clear(self, reason: ReasonCode) -> Blocks:
        """End the block of ``reason`` now (e.g. latency back to normal)."""
        return Blocks(tuple(b for b in self.items if b.reason is not reason))

    def until(self, reason: ReasonCode) -> int | None:
        return next((b.until_ms for b in self.items if b.reason is reason), None)

    def active(self, now_ms: int) -> tuple[Block, ...]:
        """Running blocks, the one ending last first."""
        return tuple(sorted((b for b in self.items if b.runs(now_ms)), key=lambda b: -b.until_ms))

    def prune(self, now_ms: int) -> Blocks:
        return Blocks(tuple(b for b in self.items if b.runs(now_ms)))

    def to_dict(self) -> dict[str, Any]:
        return {"items": [{"reason": b.reason.value, "until_ms": b.until_ms} for b in self.items]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Blocks:
        return cls(tuple(Block(ReasonCode(b["reason"]), int(b["until_ms"])) for b in data["items"]))
