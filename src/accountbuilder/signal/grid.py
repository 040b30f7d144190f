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

import numpy as np

from accountbuilder.config.models import GridConfig
from accountbuilder.domain.enums import Side
from accountbuilder.domain.models import SYMBOL
from accountbuilder.domain.standing import Standing, between, next_utc_midnight, until
from accountbuilder.signal.grid_path import grid_keys, spacing_code
from accountbuilder.signal.ids import signal_id
from accountbuilder.signal.source import Signal, SignalInputs

REFERENCE_PRICE = Decimal(10_000)
SPACING_QUANTUM = Decimal("0.0001")
CACHE_SIZE = 4_096  # signals kept per (side, level, spacing, time bucket)


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
    return min(max(raw, config.spacing_min_pct), config.spacing_max_pct).quantize(SPACING_QUANTUM)


def level_index(price: Decimal, spacing: Decimal, rounding: str) -> int:
    """Grid index k of the level at or below (ROUND_FLOOR) / above (ROUND_CEILING) ``price``."""
    k = math.log(float(price / REFERENCE_PRICE)) / math.log1p(float(spacing))
    k_dec = Decimal(repr(k)).quantize(Decimal("1e-9"))  # absorb float noise at exact levels
    return int(k_dec.to_integral_value(rounding=rounding))


def level_price(k: int, spacing: Decimal) -> Decimal:
    """The price of level k (not yet rounded to the tick)."""
    return REFERENCE_PRICE * (1 + spacing) ** k


def entry_level(side: Side, mark: Decimal, spacing: Decimal) -> int:
    """The level an entry rests at: strictly below the mark (long) or above it (short)."""
    if side is Side.LONG:
        k = level_index(mark, spacing, ROUND_FLOOR)
        return k - 1 if level_price(k, spacing) >= mark else k  # so the PostOnly buy rests
    k = level_index(mark, spacing, ROUND_CEILING)
    return k + 1 if level_price(k, spacing) <= mark else k


class GridSignal:
    """The default ``SignalSource``."""

    def __init__(self, config: GridConfig):
        self.config = config
        self._last: tuple[SignalInputs, Signal | None] | None = None  # one tick asks often
        self._signals: dict[tuple, tuple[str, Decimal, Decimal]] = {}  # per bucket and level
        self._bands: dict[tuple, Standing] = {}  # per side, level and spacing

    @property
    def needs_every_candle(self) -> bool:
        """``direction: both`` reads the 24 h mean, which the view builds from every candle
        it is given: ticks cannot be skipped while a later entry may read it (core.wake)."""
        return len(self.config.side_choices()) != 1

    def _side(self, inputs: SignalInputs) -> Side | None:
        choices = self.config.side_choices()
        if len(choices) == 1:
            return choices[0]
        if inputs.mean_price_24h is None:
            return None
        return Side.LONG if inputs.mark_price <= inputs.mean_price_24h else Side.SHORT

    def propose(self, inputs: SignalInputs) -> Signal | None:
        last = self._last
        if last is not None and last[0] == inputs:
            return last[1]
        signal = self._propose(inputs)
        self._last = (inputs, signal)
        return signal

    def _propose(self, inputs: SignalInputs) -> Signal | None:
        spacing = grid_spacing_pct(self.config, inputs.atr_pct_daily)
        side = self._side(inputs)
        if spacing is None or side is None:
            return None
        k = entry_level(side, inputs.mark_price, spacing)
        bucket = inputs.now_ms // (self.config.signal_bucket_s * 1000)
        cached = self._signals.get((side, k, spacing, bucket))
        if cached is None:
            if len(self._signals) > CACHE_SIZE:
                self._signals.clear()
            entry = level_price(k, spacing)
            target = level_price(k + 1 if side is Side.LONG else k - 1, spacing)
            sid = signal_id(SYMBOL, side, Decimal(k), spacing, bucket)
            cached = self._signals[(side, k, spacing, bucket)] = (sid, entry, target)
        sid, entry, target = cached
        return Signal(sid, side, entry, target, spacing, Decimal(k), inputs.now_ms)

    def path_keys(self, atr_pct_daily: Decimal | None, marks: np.ndarray) -> np.ndarray | None:
        """The ``(level, spacing code)`` key ``propose`` gives at each mark of a path within one
        UTC day (``atr_pct_daily`` unchanged); None when the side follows the 24 h mean or the
        spacing is unknown."""
        choices = self.config.side_choices()
        spacing = grid_spacing_pct(self.config, atr_pct_daily)
        if len(choices) != 1 or spacing is None:
            return None
        side = choices[0]

        def exact(mark: float) -> int:
            return entry_level(side, Decimal(repr(mark)), spacing)

        return grid_keys(side, spacing, spacing_code(spacing, self.config), marks, exact)

    def id_of_key(self, side: Side, key: tuple[int, int], now_ms: int) -> str:
        """The G1 id ``propose`` gives a signal of this key at ``now_ms`` (without proposing)."""
        k, code = key
        spacing = self.config.spacing_pct if self.config.spacing_mode == "fixed" else None
        if spacing is None:
            spacing = Decimal(code) * SPACING_QUANTUM
        bucket = now_ms // (self.config.signal_bucket_s * 1000)
        return signal_id(SYMBOL, side, Decimal(k), spacing, bucket)

    def key_of(self, signal: Signal) -> tuple[int, int]:
        """The ``path_keys`` key of a proposed signal."""
        return int(signal.level), spacing_code(signal.grid_spacing_pct, self.config)

    def standing(self, inputs: SignalInputs) -> Standing | None:
        """While which marks (and until when) ``propose`` keeps its side, level and spacing:
        between the levels around the mark, until the next daily candle may change the
        spacing (UTC midnight). None when the side follows the 24 h mean."""
        if len(self.config.side_choices()) != 1:
            return None
        proposal = self.propose(inputs)
        if proposal is None or proposal.grid_spacing_pct is None:
            return None
        spacing, k = proposal.grid_spacing_pct, int(proposal.level)
        key = (proposal.side, k, spacing)
        band = self._bands.get(key)
        if band is None:
            if len(self._bands) > CACHE_SIZE:
                self._bands.clear()
            lo, hi = (k, k + 1) if proposal.side is Side.LONG else (k - 1, k)
            band = self._bands[key] = between(level_price(lo, spacing), level_price(hi, spacing))
        if self.config.spacing_mode == "fixed":
            return band
        return band.meet(until(next_utc_midnight(inputs.now_ms)))
