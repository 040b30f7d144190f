"""Per-UTC-day entry counts (SPEC B6 trades per day, G4 one taker entry per day)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DAY_MS = 86_400_000


def utc_day(now_ms: int) -> int:
    """Days since the epoch (UTC): the day an event at ``now_ms`` counts toward."""
    return now_ms // DAY_MS


@dataclass(frozen=True, slots=True)
class DailyCounts:
    """Entries counted on UTC day ``day``: all entries, and those entered by taker (G4)."""

    day: int = 0
    trades: int = 0
    taker_entries: int = 0

    def on_first_fill(self, now_ms: int, taker: bool = False) -> DailyCounts:
        """B6: an entry counts toward its UTC day when its first fill arrives."""
        base = self if utc_day(now_ms) == self.day else DailyCounts(utc_day(now_ms))
        return DailyCounts(base.day, base.trades + 1, base.taker_entries + int(taker))

    def trades_on(self, now_ms: int) -> int:
        return self.trades if utc_day(now_ms) == self.day else 0

    def taker_entries_on(self, now_ms: int) -> int:
        return self.taker_entries if utc_day(now_ms) == self.day else 0

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day, "trades": self.trades, "taker_entries": self.taker_entries}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DailyCounts:
        return cls(int(data["day"]), int(data["trades"]), int(data["taker_entries"]))
