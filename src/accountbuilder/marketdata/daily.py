"""Roll 1-minute candles into UTC daily candles (for ATR when only minute klines arrive)."""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 86_400_000


@dataclass(slots=True)
class DailyRoller:
    """Accumulate minute candles; ``add`` returns the finished day when a new day starts."""

    day_start_ms: int | None = None
    high: float = 0.0
    low: float = 0.0
    open: float = 0.0
    close: float = 0.0

    def add(
        self, ts_ms: int, o: float, h: float, lo: float, c: float
    ) -> tuple[int, float, float, float, float] | None:
        day = ts_ms - ts_ms % DAY_MS
        finished = None
        if self.day_start_ms is not None and day > self.day_start_ms:
            finished = (self.day_start_ms, self.open, self.high, self.low, self.close)
            self.day_start_ms = None
        if self.day_start_ms is None:
            self.day_start_ms, self.open, self.high, self.low = day, o, h, lo
        else:
            self.high, self.low = max(self.high, h), min(self.low, lo)
        self.close = c
        return finished

    def to_dict(self) -> dict:
        return {
            "day_start_ms": self.day_start_ms,
            "ohlc": [self.open, self.high, self.low, self.close],
        }

    @classmethod
    def from_dict(cls, d: dict) -> DailyRoller:
        o, h, lo, c = d["ohlc"]
        return cls(d["day_start_ms"], h, lo, o, c)
