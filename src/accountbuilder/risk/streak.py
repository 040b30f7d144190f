"""Streak size multiplier (SPEC D5)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

RUN_LENGTH = 3
MIN_MULTIPLIER = Decimal("0.25")
MAX_MULTIPLIER = Decimal("1.0")
LOSS_FACTOR = Decimal("0.5")
WIN_FACTOR = Decimal("1.5")


@dataclass(frozen=True, slots=True)
class Streak:
    """The size multiplier and the current run (``run_wins`` True for wins, None before any)."""

    multiplier: Decimal = MAX_MULTIPLIER
    run_wins: bool | None = None
    run_len: int = 0

    def on_trade_closed(self, win: bool) -> Streak:
        """D5: 3 losses in a row → ``max(m × 0.5, 0.25)``; 3 wins → ``min(m × 1.5, 1.0)``.

        The run counter restarts each time the rule fires (also when the multiplier is
        already at its bound and does not move).
        """
        run = self.run_len + 1 if self.run_wins is win else 1
        if run < RUN_LENGTH:
            return Streak(self.multiplier, win, run)
        if win:
            m = min(self.multiplier * WIN_FACTOR, MAX_MULTIPLIER)
        else:
            m = max(self.multiplier * LOSS_FACTOR, MIN_MULTIPLIER)
        return Streak(m, None, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "multiplier": str(self.multiplier),
            "run_wins": self.run_wins,
            "run_len": self.run_len,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Streak:
        return cls(Decimal(data["multiplier"]), data["run_wins"], int(data["run_len"]))
