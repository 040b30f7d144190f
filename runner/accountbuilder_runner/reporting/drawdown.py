"""Drawdown of USD equity: the series drawn in the drawdown panel and the deepest one.

Measured over candle closes of the trading period only (never after the end of trading,
when the collateral just floats with BTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

DAY_MS = 86_400_000


def drawdown_pct(equity: np.ndarray) -> np.ndarray:
    """At each close: how far equity is below its running peak, in percent (≤ 0)."""
    if equity.size == 0:
        return equity.astype(float)
    peak = np.maximum.accumulate(equity)
    return (equity / peak - 1.0) * 100.0


def max_drawdown_pct(equity: np.ndarray) -> float:
    """Largest fall from a running peak, in percent of that peak (0 for none)."""
    if equity.size == 0:
        return 0.0
    return float(-drawdown_pct(equity).min())


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest drawdown: from its peak to its trough, and until equity regained the peak.

    ``recovered_ms`` is None when the peak was never regained in the period; the duration then
    runs to the period's end.
    """

    pct: float
    peak_ms: int | None
    trough_ms: int | None
    recovered_ms: int | None
    end_ms: int | None

    @property
    def duration_days(self) -> float:
        if self.peak_ms is None:
            return 0.0
        until = self.recovered_ms if self.recovered_ms is not None else self.end_ms
        return (until - self.peak_ms) / DAY_MS

    def to_json(self, iso) -> dict[str, Any]:
        return {
            "pct": round(self.pct, 2),
            "peak_at": iso(self.peak_ms),
            "trough_at": iso(self.trough_ms),
            "recovered_at": iso(self.recovered_ms),
            "duration_days": round(self.duration_days, 2),
        }


def max_drawdown(ts_ms: np.ndarray, equity: np.ndarray) -> Drawdown:
    """The deepest drawdown of ``equity`` at times ``ts_ms``."""
    if equity.size == 0:
        return Drawdown(0.0, None, None, None, None)
    end = int(ts_ms[-1])
    dd = drawdown_pct(equity)
    trough = int(np.argmin(dd))
    if dd[trough] >= 0:
        return Drawdown(0.0, None, None, None, end)
    peak = int(np.argmax(equity[: trough + 1]))
    back = np.flatnonzero(equity[trough:] >= equity[peak])
    recovered = int(ts_ms[trough + back[0]]) if back.size else None
    return Drawdown(float(-dd[trough]), int(ts_ms[peak]), int(ts_ms[trough]), recovered, end)
