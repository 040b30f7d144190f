"""The grid signal: levels from a reference price and a spacing; entry at the next level.

Levels are ``reference × (1 + spacing)^k`` for integer k, with the reference fixed at 10,000
USD so that levels do not move with the price. A long enters with a PostOnly buy at the
nearest level below the mark and takes profit one level up; a short mirrors it. With
``direction: both`` the side is chosen toward the 24-hour mean: below the mean → long,
above → short (no signal without a mean).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from accountbuilder.config.models import GridConfig
from accountbuilder.domain.enums import Side
from accountbuilder.domain.models import SYMBOL
from accountbuilder.signal.ids import signal_id
from accountbuilder.signal.source import Signal, SignalInputs

REFERENCE_PRICE = Decimal(10_000)


def grid_spacing_pct(config: GridConfig, atr_pct_daily: Decimal | None) -> Decimal | None:
    """Fixed spacing, or ``atr_pct_daily × atr_factor`` clamped to the configured bounds.

    ``atr_pct_daily`` is the daily ATR over the last daily close, not over the mark: the
    spacing (and with it every level) then stays put for the whole UTC day instead of moving
    by 0.01 % with every small move of the mark, which cancelled resting entries (G3).
    """
    if config.spacing_mode == "fixed":
        return config.spacing_pct
    if atr_pct_daily is None or atr_pct_daily <= 0:
        return None
    raw = atr_pct_daily * config.atr_factor
    return min(max(raw, config.spacing_min_pct), config.spacing_max_pct).quantize(Decimal("0.0001"))


def level_index(price: Decimal, spacing: Decimal, rounding: str) -> int:
    """Grid index k of the level at or below (ROUND_FLOOR) / above (ROUND_CEILING) ``price``."""
    k = math.log(float(price / REFERENCE_PRICE)) / math.log1p(float(spacing))
    k_dec = Decimal(repr(k)).quantize(Decimal("1e-9"))  # absorb float noise at exact levels
    return int(k_dec.to_integral_value(rounding=rounding))


def level_price(k: int, spacing: Decimal) -> Decimal:
    """The price of level k (not yet rounded to the tick)."""
    return REFERENCE_PRICE * (1 + spacing) ** k


class GridSignal:
    """The default ``SignalSource``."""

    def __init__(self, config: GridConfig):
        self.config = config

    def _side(self, inputs: SignalInputs) -> Side | None:
        choices = self.config.side_choices()
        if len(choices) == 1:
            return choices[0]
        if inputs.mean_price_24h is None:
            return None
        return Side.LONG if inputs.mark_price <= inputs.mean_price_24h else Side.SHORT

    def propose(self, inputs: SignalInputs) -> Signal | None:
        spacing = grid_spacing_pct(self.config, inputs.atr_pct_daily)
        side = self._side(inputs)
        if spacing is None or side is None:
            return None
        if side is Side.LONG:
            k = level_index(inputs.mark_price, spacing, ROUND_FLOOR)
            if level_price(k, spacing) >= inputs.mark_price:
                k -= 1  # strictly below the mark, so the PostOnly buy rests
            entry, target = level_price(k, spacing), level_price(k + 1, spacing)
        else:
            k = level_index(inputs.mark_price, spacing, ROUND_CEILING)
            if level_price(k, spacing) <= inputs.mark_price:
                k += 1
            entry, target = level_price(k, spacing), level_price(k - 1, spacing)
        bucket = inputs.now_ms // (self.config.signal_bucket_s * 1000)
        sid = signal_id(SYMBOL, side, Decimal(k), spacing, bucket)
        return Signal(sid, side, entry, target, spacing, Decimal(k), inputs.now_ms)
