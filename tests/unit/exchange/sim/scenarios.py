"""Random candle paths and order sequences (hypothesis) replayed through the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import strategies as st
from tests.unit.exchange.sim.simkit import DAY0, arrays, limit, market, stop

from accountbuilder.domain.enums import MarginMode, OrderSide
from accountbuilder.exchange.errors import ExchangeError
from accountbuilder.exchange.sim import SimConfig, SimExchange

HOUR = 3_600_000
TICK = Decimal("0.5")


def call(coro):
    """Run a simulator coroutine to its end; it must never really await."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the simulator awaited something")


@st.composite
def candle_rows(draw, min_size: int = 10, max_size: int = 80):
    """A random walk with wicks, gaps and volumes: rows of (o, h, l, c, v)."""
    n = draw(st.integers(min_size, max_size))
    moves = draw(
        st.lists(
            st.tuples(
                st.integers(-400, 400),  # open gap from the previous close, bp (0 mostly)
                st.integers(0, 300),  # wick up, bp
                st.integers(0, 300),  # wick down, bp
                st.integers(-300, 300),  # close vs open, bp
                st.integers(0, 50),  # volume, 0.1 BTC
            ),
            min_size=n,
            max_size=n,
        )
    )
    rows, close = [], 30000.0
    for gap, up, down, body, vol in moves:
        o = round(close * (1 + (gap if abs(gap) > 300 else 0) / 1e4), 2)
        c = round(o * (1 + body / 1e4), 2)
        h = round(max(o, c) * (1 + up / 1e4), 2)
        lo = round(min(o, c) * (1 - down / 1e4), 2)
        rows.append((o, h, lo, c, vol / 10))
        close = c
    return rows


SIDES = st.sampled_from([OrderSide.BUY, OrderSide.SELL])
REDUCE = st.sampled_from([False, False, True])
PLACE = st.one_of(
    st.tuples(st.just("market"), SIDES, st.integers(1, 2000), REDUCE),
    st.tuples(
        st.just("limit"), SIDES, st.integers(1, 2000), st.integers(-100, 100), st.booleans(), REDUCE
    ),
    st.tuples(st.just("stop"), SIDES, st.integers(1, 2000), st.integers(1, 300), REDUCE),
)
CHANGE = st.one_of(
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("amend"), st.integers(0, 30), st.integers(1, 2000)),
)
ACTION = st.one_of(PLACE, PLACE, PLACE, CHANGE)  # mostly placements


@st.composite
def scenarios(draw):
    """Candles, a simulator configuration and timed actions."""
    rows = draw(candle_rows())
    config = dict(
        start_balance_btc=Decimal("0.01"),
        leverage=Decimal(draw(st.sampled_from([1, 2, 3, 10, 25]))),
        margin_mode=draw(st.sampled_from([MarginMode.ISOLATED, MarginMode.CROSS])),
        participation=draw(st.sampled_from([None, 0.5])),
        require_trade_through_ticks=draw(st.sampled_from([0, 1])),
        market_events_every=draw(st.sampled_from([0, 1, 7])),
        funding_rate=Decimal(draw(st.sampled_from(["0.0001", "-0.0003", "0.002"]))),
    )
    actions = draw(st.lists(st.tuples(st.integers(0, len(rows)), ACTION), min_size=3, max_size=25))
    return Scenario(rows, config, sorted(actions, key=lambda a: a[0]))


@dataclass
class Scenario:
    rows: list
    config: dict
    actions: list
    ids: list = field(default_factory=list)

    def run(self, *, skip: bool) -> tuple[SimExchange, list]:
        """Replay on hourly candles; return the simulator and everything it said, in order."""
        ex = SimExchange(
            SimConfig(**self.config, skip_quiet_candles=skip), arrays(self.rows, DAY0, HOUR)
        )
        self.ids = []
        log: list = []
        pending = list(self.actions)
        for k in range(len(self.rows) + 1):
            while pending and pending[0][0] == k:
                log.append(self._act(ex, pending.pop(0)[1]))
            log.extend(ex.advance(DAY0 + (k + 1) * HOUR))
        return ex, log

    def _act(self, ex: SimExchange, action) -> str:
        try:
            call(self._request(ex, action))
        except ExchangeError as e:
            return type(e).__name__
        return "ok"

    def _request(self, ex: SimExchange, action):
        kind, *args = action
        mark = (ex.mark_price / TICK).to_integral_value() * TICK
        if kind in ("cancel", "amend"):
            cid = self.ids[args[0] % len(self.ids)] if self.ids else "none"
            if kind == "cancel":
                return ex.cancel_order(cid)
            return ex.amend_order(cid, qty=args[1])
        cid = f"o{len(self.ids)}"
        self.ids.append(cid)
        if kind == "market":
            side, qty, ro = args
            return ex.place_order(market(cid, side, qty, reduce_only=ro))
        if kind == "limit":
            side, qty, off, post_only, ro = args
            return ex.place_order(
                limit(cid, side, qty, mark + off * TICK * 10, post_only=post_only, reduce_only=ro)
            )
        side, qty, off, ro = args
        sign = -1 if side is OrderSide.SELL else 1
        return ex.place_order(stop(cid, side, qty, mark + sign * off * TICK * 10, reduce_only=ro))
