"""The intra-candle path model: what happens, in which order, inside one candle.

The candle IS the mark path. It is walked as four straight segments:
``previous close → open`` (the gap, instantaneous), ``open → X1``, ``X1 → X2``, ``X2 → close``,
where (X1, X2) is (low, high) or (high, low), chosen ADVERSELY: with a long position the low
comes first (a stop below is hit before a take-profit above), with a short the high first;
flat, a rising candle goes low first and a falling one high first.

Along a segment every level the price crosses acts in the order it is crossed:
- a liquidation (mark reaches the liquidation price) closes the position at bankruptcy;
- a conditional stop (mark reaches its trigger) fills as a market order AT THE TRIGGER, or
  at the open when the gap already jumped past it (rounded to tick on the worse side);
- a resting limit fills AT ITS PRICE, as maker, when the path trades THROUGH it (strictly
  beyond it, or ``require_trade_through_ticks`` ticks beyond), capped by ``participation``.
Ties on one price: liquidation, then stop, then limit. In the gap everything crossed happens
at once, and a liquidation (if crossed) comes first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from accountbuilder.domain.enums import Liquidity, OrderSide, Side
from accountbuilder.exchange.sim.book import SimBook
from accountbuilder.exchange.sim.orders import SimOrder

_LIQ, _STOP, _LIMIT = 0, 1, 2


@dataclass(slots=True)
class CandleRun:
    """Per-candle state: the participation budget left (BTC) and limits already served."""

    budget_btc: float = math.inf
    served: set[str] = field(default_factory=set)


def low_first(side: Side | None, open_: float, close: float) -> bool:
    """Adverse order of the extremes: long → low first, short → high first (see module)."""
    if side is Side.LONG:
        return True
    if side is Side.SHORT:
        return False
    return close >= open_


def run_candle(
    book: SimBook,
    ohlcv: tuple[float, float, float, float, float],
    prev_close: float,
    times: tuple[int, int, int, int],
    participation: float | None,
) -> None:
    """Walk one candle's path, acting on every level it crosses (module docstring)."""
    o, h, lo, c, v = ohlcv
    x1, x2 = (lo, h) if low_first(book.ledger.side, o, c) else (h, lo)
    run = CandleRun(budget_btc=participation * v if participation is not None else math.inf)
    for a, b, gap, ts in (
        (prev_close, o, True, times[0]),
        (o, x1, False, times[1]),
        (x1, x2, False, times[2]),
        (x2, c, False, times[3]),
    ):
        if a != b:
            _run_segment(book, a, b, gap, ts, run)


def _run_segment(book: SimBook, a: float, b: float, gap: bool, ts: int, run: CandleRun) -> None:
    falling = b < a
    cur = a
    while True:
        found = _next_event(book, cur, b, falling, gap, run)
        if found is None:
            return
        level, kind, order = found
        at = b if gap else level  # where the mark is when it happens
        if kind == _LIQ:
            book.liquidate(ts, at)
        elif kind == _STOP:
            if gap or at != order.trigger_f:  # the mark jumped past the trigger: fill where it is
                fill = book.taker_price(order.side, at)
            else:
                fill = book.slipped(order.side, order.trigger_price)
            book.trigger(order, fill, ts, at)
        else:
            _fill_limit(book, order, ts, at, run)
        if not gap:
            cur = level


def _next_event(
    book: SimBook, cur: float, b: float, falling: bool, gap: bool, run: CandleRun
) -> tuple[float, int, SimOrder | None] | None:
    """The first level crossed moving from ``cur`` to ``b`` (and what acts there)."""
    sign = 1.0 if falling else -1.0  # compare as "higher is crossed first" when falling
    k = book.config.require_trade_through_ticks * book.tick_f
    best: tuple | None = None
    side = book.ledger.side
    if side is (Side.LONG if falling else Side.SHORT):
        liq = book.liq_f
        if (b <= liq) if falling else (b >= liq):
            lvl = min(liq, cur) if falling else max(liq, cur)
            best = (-math.inf if gap else -sign * lvl, _LIQ, 0, lvl, None)
    for o in book.open.values():
        if o.is_untriggered:
            if o.falling != falling:
                continue
            t = o.trigger_f
            if not ((b <= t) if falling else (b >= t)):
                continue
            lvl, kind = (min(t, cur) if falling else max(t, cur)), _STOP
        else:
            if (o.side is OrderSide.BUY) != falling or o.order_id in run.served:
                continue
            p = o.price_f
            if falling and not (b < p if k == 0 else b <= p - k):
                continue
            if not falling and not (b > p if k == 0 else b >= p + k):
                continue
            lvl, kind = (min(p, cur) if falling else max(p, cur)), _LIMIT
        key = (-sign * lvl, kind, o.seq, lvl, o)
        if best is None or key[:3] < best[:3]:
            best = key
    return None if best is None else (best[3], best[1], best[4])


def _fill_limit(book: SimBook, order: SimOrder, ts: int, at: float, run: CandleRun) -> None:
    run.served.add(order.order_id)
    if order.spec.reduce_only and not book.cap_reduce_only(order, ts):
        return
    qty = order.leaves
    if run.budget_btc != math.inf:
        qty = min(qty, int(run.budget_btc * order.price_f))
        if qty <= 0:
            return
        run.budget_btc -= qty / order.price_f
    book.execute(order, qty, order.spec.price, Liquidity.MAKER, ts, at)
