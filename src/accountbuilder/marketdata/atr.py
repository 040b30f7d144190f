"""Wilder's ATR(14) on daily candles (SPEC D2), seeded from history and rolled forward.

``ATR_pct_24h = ATR / mark price``. True range = max(high − low, |high − prev close|,
|low − prev close|). The first ATR is the mean of the first 14 true ranges; after that
``ATR_t = (ATR_{t−1} × 13 + TR_t) / 14``. Floats: an indicator, not money.
"""

from __future__ import annotations

from dataclasses import dataclass

PERIOD = 14


@dataclass(slots=True)
class WilderAtr:
    """Incremental Wilder ATR; feed closed daily candles in time order."""

    period: int = PERIOD
    value: float | None = None
    prev_close: float | None = None
    last_ts_ms: int | None = None
    _seed: list[float] | None = None

    def update(self, ts_ms: int, high: float, low: float, close: float) -> float | None:
        """Add one closed candle; return the ATR (``None`` until ``period`` candles were seen)."""
        if self.last_ts_ms is not None and ts_ms <= self.last_ts_ms:
            return self.value  # already counted (replays and reconnects repeat candles)
        tr = high - low
        if self.prev_close is not None:
            tr = max(tr, abs(high - self.prev_close), abs(low - self.prev_close))
        self.prev_close, self.last_ts_ms = close, ts_ms
        if self.value is None:
            seed = self._seed if self._seed is not None else []
            seed.append(tr)
            self._seed = seed
            if len(seed) == self.period:
                self.value, self._seed = sum(seed) / self.period, None
            return self.value
        self.value = (self.value * (self.period - 1) + tr) / self.period
        return self.value

    def pct_of_close(self) -> float | None:
        """ATR as a fraction of the last daily close: fixed until the next daily candle."""
        if self.value is None or self.prev_close is None or self.prev_close <= 0:
            return None
        return self.value / self.prev_close

    def pct_of(self, mark_price: float) -> float | None:
        """ATR as a fraction of the mark price (``ATR_pct_24h``)."""
        if self.value is None or mark_price <= 0:
            return None
        return self.value / mark_price

    def to_dict(self) -> dict:
        return {
            "period": self.period,
            "value": self.value,
            "prev_close": self.prev_close,
            "last_ts_ms": self.last_ts_ms,
            "seed": None if self._seed is None else list(self._seed),
        }

    @classmethod
    def from_dict(cls, d: dict) -> WilderAtr:
        atr = cls(d["period"], d["value"], d["prev_close"], d["last_ts_ms"])
        seed = d.get("seed")
        atr._seed = None if seed is None else list(seed)
        return atr
