"""Stage anti-flap (SPEC B5): more than 2 stage changes within 1 hour block entries for 1 hour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accountbuilder.domain.enums import Stage

WINDOW_MS = 3_600_000
MAX_CHANGES = 2
BLOCK_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class AntiFlap:
    """The last evaluated stage and the times (UTC ms) of stage changes in the last hour."""

    last_stage: Stage | None = None
    changes_ms: tuple[int, ...] = ()

    def observe(self, stage: Stage, now_ms: int) -> AntiFlap:
        """Record the stage of an entry evaluation; a different stage is a change (B1, B5)."""
        if stage is self.last_stage and all(t > now_ms - WINDOW_MS for t in self.changes_ms):
            return self  # the same stage, nothing aged out: no copy
        changes = tuple(t for t in self.changes_ms if t > now_ms - WINDOW_MS)
        if self.last_stage is not None and stage is not self.last_stage:
            changes = (*changes, now_ms)
        return AntiFlap(stage, changes)

    def changes_within_hour(self, now_ms: int) -> int:
        return sum(1 for t in self.changes_ms if t > now_ms - WINDOW_MS)

    def tripped(self, now_ms: int) -> bool:
        """B5: more than 2 changes within the last hour."""
        return self.changes_within_hour(now_ms) > MAX_CHANGES

    def to_dict(self) -> dict[str, Any]:
        stage = None if self.last_stage is None else self.last_stage.value
        return {"last_stage": stage, "changes_ms": list(self.changes_ms)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AntiFlap:
        stage = data["last_stage"]
        return cls(
            None if stage is None else Stage(stage), tuple(int(t) for t in data["changes_ms"])
        )
