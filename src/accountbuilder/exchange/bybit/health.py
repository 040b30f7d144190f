"""What the Bybit adapter measured or refused since start, for ``status`` (issue 15 §1, 16 §7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accountbuilder.exchange.bybit.clock_sync import ClockReading


@dataclass(frozen=True, slots=True)
class ExchangeHealth:
    """What the adapter measured or refused since start (``status`` shows it)."""

    clock: ClockReading | None
    invalid_position_answers: int  # REST and stream answers that could not be the position
    invalid_wallet_frames: int
    dropped_frames: int
    fills_recovered: int  # executions the private stream missed, read back by REST

    def to_dict(self) -> dict[str, Any]:
        clock = self.clock
        return {
            "clock_offset_ms": None if clock is None else clock.offset_ms,
            "clock_in_sync": None if clock is None else clock.in_sync(),
            "clock_measured_ms": None if clock is None else clock.measured_ms,
            "invalid_position_answers": self.invalid_position_answers,
            "invalid_wallet_frames": self.invalid_wallet_frames,
            "dropped_frames": self.dropped_frames,
            "fills_recovered": self.fills_recovered,
        }
