"""The simulator driven by observed prices instead of a candle file (the dry run, issue 20).

The book, the ledger and the fee, funding and liquidation rules are the simulator's own
(``book.py``, ``ledger.py``); only the clock and the price path differ from ``engine.py``:
the clock is injected (the wall clock in a dry run) and the path is the market's, one
observed move at a time. Each move of the mark and the last price acts like a path segment
of a candle (``path.py``), in this order (a candle's tie order):

- the mark reaching the liquidation price liquidates the position (at bankruptcy, E6);
- a conditional stop whose trigger price (the mark; the last price for a ``LastPrice``
  trigger) reached the trigger becomes a market order and fills at the trigger, as in a
  candle — after a gap at the new last price, rounded to tick on the worse side;
- a resting limit fills at its price, as maker, once the last price trades through it
  (``require_trade_through_ticks`` beyond it), in full (the feed has no volume per move).

A move is a *gap* when nothing was seen between the two prices: the first price after a
start (a restored account's last price is the old one) or after a stream reconnect. Funding is
booked at each 00:00/08:00/16:00 UTC passed, at ``config.funding_rate`` and the mark.

What the account did not see while the dry run was stopped is walked at the restart from
Bybit's 1-minute mark-price candles (``walk_missed``): each candle as four moves, open, the
adverse extreme first (``path.py``), the other, close, at its own times — so a stop the market
crossed meanwhile fills at its trigger when it did, as it would have on the exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from accountbuilder.domain.enums import Liquidity, OrderSide, Side, TriggerBy
from accountbuilder.domain.events import ExchangeEvent
from accountbuilder.domain.models import Candle
from accountbuilder.exchange.sim.book import SimBook, dec
from accountbuilder.exchange.sim.config import FUNDING_INTERVAL_MS, SimConfig
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.orders import SimOrder
from accountbuilder.exchange.sim.outbox import Outbox
from accountbuilder.exchange.sim.path import low_first

Clock = Callable[[], int]
POINT_MS = 15_000  # a missed candle's four moves: at 0, 15, 30 and 45 s into its minute


class TickEngine:
    """The simulated exchange's clock and price path for ``SimExchange(engine=...)``."""

    def __init__(self, config: SimConfig, faults: FaultPlan, clock: Clock, mark: Decimal):
        self.config, self.clock = config, clock
        self.outbox = Outbox(config.event_latency_ms, faults)
        self.book = SimBook(config, self.outbox.push, faults)
        self.mark_f = self.last_f = float(mark)
        now = clock()
        self.funded_ms = now - now % FUNDING_INTERVAL_MS  # the last funding time booked
        self.seen_ms = now  # the time of the last price the account moved on

    @property
    def now_ms(self) -> int:
        return self.clock()

    @property
    def mark_price(self) -> Decimal:
        return dec(self.mark_f)

    def take_events(self) -> list[ExchangeEvent]:
        return self.outbox.take(self.now_ms)

    def closed_candles(self, interval: str, limit: int) -> list[Candle]:
        raise ValueError("a dry run reads candles from the public feed, not the simulator")

    # ---------------------------------------------------------------------------- prices
    def on_prices(
        self,
        mark: Decimal,
        last: Decimal | None = None,
        *,
        gap: bool = False,
        ts: int | None = None,
    ) -> int:
        """Walk the move to ``mark``/``last`` (``last`` defaults to the mark) at ``ts`` (default
        now); return how many executions and liquidations it caused."""
        ts = self.now_ms if ts is None else ts
        before = self.book.executions
        self.seen_ms = ts
        self.book_funding(ts)
        new_mark = float(mark)
        new_last = float(last) if last is not None else new_mark
        self.mark_f, self.last_f = new_mark, new_last
        self._liquidation(ts)
        self._stops(ts, gap)
        self._limits(ts)
        return self.book.executions - before

    def walk_missed(self, candles: Sequence[Candle]) -> int:
        """Walk closed 1-minute mark candles the account did not see; return the executions.

        Each candle moves mark and last price alike to its open, its adverse extreme, the other
        extreme and its close, at 0, 15, 30 and 45 s into its minute. A candle that began before
        ``seen_ms`` is left out: the account saw part of it, and when within it is unknown. The
        move to an open is a gap (as in ``path.py``: nothing is seen between a close and the
        next open, or since the last price seen).
        """
        before = self.book.executions
        for candle in sorted(candles, key=lambda c: c.ts_ms):
            if candle.ts_ms < self.seen_ms:
                continue
            o, hi, lo, c = (float(x) for x in (candle.open, candle.high, candle.low, candle.close))
            x1, x2 = (lo, hi) if low_first(self.book.ledger.side, o, c) else (hi, lo)
            for k, price in enumerate((o, x1, x2, c)):
                self.on_prices(dec(price), gap=k == 0, ts=candle.ts_ms + k * POINT_MS)
        return self.book.executions - before

    def book_funding(self, now_ms: int) -> None:
        """Charge or pay the funding of every funding time passed since the last one booked."""
        while self.funded_ms + FUNDING_INTERVAL_MS <= now_ms:
            self.funded_ms += FUNDING_INTERVAL_MS
            rate = self.config.funding_rate_at(self.funded_ms)
            self.book.apply_funding(rate, self.funded_ms, self.mark_f)

    def _liquidation(self, ts: int) -> None:
        side, liq = self.book.ledger.side, self.book.liq_f
        if side is Side.LONG and self.mark_f <= liq or side is Side.SHORT and self.mark_f >= liq:
            self.book.liquidate(ts, self.mark_f)

    def _stops(self, ts: int, gap: bool) -> None:
        while (order := self._next_stop()) is not None:
            fill = (
                self.book.taker_price(order.side, self.last_f)
                if gap
                else self.book.slipped(order.side, order.trigger_price)
            )
            self.book.trigger(order, fill, ts, self.mark_f)

    def _next_stop(self) -> SimOrder | None:
        """The triggered stop crossed first: the highest falling trigger, the lowest rising."""
        hit = [o for o in self.book.open.values() if o.is_untriggered and self._reached(o)]
        if not hit:
            return None
        return min(hit, key=lambda o: (-o.trigger_f if o.falling else o.trigger_f, o.seq))

    def _reached(self, order: SimOrder) -> bool:
        by_last = order.spec.trigger_by is TriggerBy.LAST_PRICE
        price = self.last_f if by_last else self.mark_f
        return price <= order.trigger_f if order.falling else price >= order.trigger_f

    def _limits(self, ts: int) -> None:
        served: set[str] = set()
        while (order := self._next_limit(served)) is not None:
            served.add(order.order_id)
            if order.spec.reduce_only and not self.book.cap_reduce_only(order, ts):
                continue
            self.book.execute(order, order.leaves, order.spec.price, Liquidity.MAKER, ts, self.mark_f)  # fmt: skip

    def _next_limit(self, served: set[str]) -> SimOrder | None:
        """The resting limit the last price traded through first (the nearest to the start)."""
        k = self.config.require_trade_through_ticks * self.book.tick_f
        last = self.last_f
        through = [
            o
            for o in self.book.open.values()
            if o.is_resting_limit and o.order_id not in served and _through(o, last, k)
        ]
        if not through:
            return None
        return min(through, key=lambda o: (-o.price_f if o.side is OrderSide.BUY else o.price_f, o.seq))  # fmt: skip


def _through(order: SimOrder, last: float, k: float) -> bool:
    """Traded strictly through the price, or ``k`` beyond it (as ``path.py``)."""
    p = order.price_f
    if order.side is OrderSide.BUY:
        return last < p if k == 0 else last <= p - k
    return last > p if k == 0 else last >= p + k
