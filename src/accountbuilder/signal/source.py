"""The ``SignalSource`` protocol: plug in your own entry signal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from accountbuilder.domain.enums import Side


@dataclass(frozen=True, slots=True)
class Signal:
    """An entry proposal: where to enter, where the next level (take-profit) is, and why.

    ``grid_spacing_pct`` feeds the stop distance (SPEC C1); ``take_profit_price`` is the next
    grid level and defines the expected profit (D1).
    """

    signal_id: str
    side: Side
    entry_price: Decimal
    take_profit_price: Decimal
    grid_spacing_pct: Decimal | None
    level: Decimal
    ts_ms: int


@dataclass(frozen=True, slots=True)
class SignalInputs:
    """What a signal source may read: prices, volatility and time (no I/O).

    The volatility is the day's (``atr_pct_daily``: it changes once a day with the daily
    candle), so a proposal does not flicker with the mark and a resting entry stands (G3)."""

    now_ms: int
    mark_price: Decimal
    atr_pct_daily: Decimal | None  # ATR(14) of daily candles ÷ the last daily close
    mean_price_24h: Decimal | None = None


class SignalSource(Protocol):
    """Propose at most one entry for the current moment; ``None`` when there is none."""

    def propose(self, inputs: SignalInputs) -> Signal | None: ...
