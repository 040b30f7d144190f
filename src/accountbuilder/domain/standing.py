"""``Standing``: until when, and while what mark, a rule's answer provably cannot change.

A rule that answers the same way on every tick while the mark stays inside a price band and
the clock stays before a time says so with a ``Standing``; the core meets the standings of
every rule a tick consulted (``meet``) into the tick's next wake (``core.wake``). Bands are
open and carry a safety margin, so a mark that reaches a band edge wakes the core a little
early, never late: waking early costs one tick, waking late would change a decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

FOREVER_MS = 2**62  # no time limit
MARGIN = 1e-6  # relative: a band edge moves this much inwards (float vs Decimal rounding)


@dataclass(frozen=True, slots=True)
class Standing:
    """The answer stands while ``low < mark < high`` and ``now < until_ms``, and while every
    candle traded strictly above ``lows_above`` and below ``highs_below`` (a resting order's
    level not reached)."""

    until_ms: int = FOREVER_MS
    low: float = 0.0
    high: float = math.inf
    lows_above: float = 0.0
    highs_below: float = math.inf

    def meet(self, *others: Standing) -> Standing:
        """The standing of several answers together: the tightest of each limit."""
        until, low, high = self.until_ms, self.low, self.high
        floor, ceiling = self.lows_above, self.highs_below
        for o in others:
            until, low, high = min(until, o.until_ms), max(low, o.low), min(high, o.high)
            floor, ceiling = max(floor, o.lows_above), min(ceiling, o.highs_below)
        return Standing(until, low, high, floor, ceiling)

    def holds(self, now_ms: int, mark: float) -> bool:
        """True while the answer provably stands at ``now_ms`` with this ``mark``."""
        return now_ms < self.until_ms and self.low < mark < self.high

    @property
    def empty(self) -> bool:
        """No mark can keep it (the next tick must run)."""
        return not self.low < self.high


ALWAYS = Standing()


def until(ts_ms: int) -> Standing:
    """Stands until ``ts_ms`` whatever the mark."""
    return Standing(until_ms=ts_ms)


def above(price: Decimal | float) -> Standing:
    """Stands while the mark stays above ``price`` (the margin makes it a little higher)."""
    return Standing(low=float(price) * (1.0 + MARGIN))


def below(price: Decimal | float) -> Standing:
    """Stands while the mark stays below ``price`` (the margin makes it a little lower)."""
    return Standing(high=float(price) * (1.0 - MARGIN))


def not_traded_at(price: Decimal, *, below: bool) -> Standing:
    """Stands while no candle trades at ``price``: every low above it (``below``: a buy
    resting below the market), else every high below it (a sell resting above)."""
    p = float(price)
    if below:
        return Standing(lows_above=p * (1.0 + MARGIN))
    return Standing(highs_below=p * (1.0 - MARGIN))


def between(low: Decimal | float, high: Decimal | float) -> Standing:
    return above(low).meet(below(high))


def next_utc_midnight(now_ms: int) -> int:
    day = 86_400_000
    return (now_ms // day + 1) * day
