"""The simulator on observed prices (the dry run's ``TickEngine``): the same fill rules as a
candle, applied to each move of the mark and the last price."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.exchange.sim.simkit import BUY, SELL, limit, market, stop

from accountbuilder.domain.enums import OrderStatus, Side, TriggerBy
from accountbuilder.domain.events import FundingApplied, OrderFilled, PositionLiquidated
from accountbuilder.domain.models import Candle
from accountbuilder.exchange.errors import Rejected
from accountbuilder.exchange.sim.config import FUNDING_INTERVAL_MS, SimConfig
from accountbuilder.exchange.sim.exchange import SimExchange
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.ticks import TickEngine

D = Decimal
T0 = 1_704_067_200_000 + 3_600_000  # 2024-01-01 01:00 UTC


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


def rig(mark: str = "50000", **config) -> tuple[TickEngine, SimExchange, Clock]:
    clock = Clock()
    config.setdefault("start_balance_btc", D("0.01"))
    engine = TickEngine(SimConfig(**config), FaultPlan(), clock, D(mark))
    return engine, SimExchange(engine.config, engine=lambda c, f: engine), clock


async def long_with_stop(engine, sim, trigger: str = "49000", by=None):
    await sim.place_order(market("en", BUY, 300))
    spec = stop("sl", SELL, 300, D(trigger))
    await sim.place_order(spec if by is None else replace(spec, trigger_by=by))
    engine.take_events()


def fills(events) -> list:
    return [e.fill for e in events if isinstance(e, OrderFilled)]


async def test_g6_a_mark_move_through_the_stop_fills_it_at_the_trigger():
    engine, sim, _ = rig()
    await long_with_stop(engine, sim)

    engine.on_prices(D("49500"))
    assert not fills(engine.take_events())  # not reached yet
    engine.on_prices(D("48800"))

    [fill] = fills(engine.take_events())
    assert fill.client_id == "sl" and fill.price == D("49000")  # as a candle's path fills it
    assert engine.book.ledger.contracts == 0


async def test_g6_after_a_gap_the_stop_fills_at_the_new_last_price():
    engine, sim, _ = rig()
    await long_with_stop(engine, sim)

    engine.on_prices(D("48800"), D("48790"), gap=True)  # nothing seen in between

    [fill] = fills(engine.take_events())
    assert fill.price == D("48790")


async def test_g6_a_last_price_stop_waits_for_the_last_price_not_the_mark():
    engine, sim, _ = rig()
    await long_with_stop(engine, sim, by=TriggerBy.LAST_PRICE)

    engine.on_prices(D("48900"), D("49100"))  # the mark is through, the last is not
    assert not fills(engine.take_events())
    engine.on_prices(D("48900"), D("48950"))

    assert [f.client_id for f in fills(engine.take_events())] == ["sl"]


async def test_g3_a_resting_limit_fills_at_its_price_only_when_the_last_trades_through():
    engine, sim, _ = rig()
    await sim.place_order(limit("en", BUY, 200, D("49500")))
    engine.take_events()

    engine.on_prices(D("49400"), D("49500"))  # touching is not trading through
    assert not fills(engine.take_events())
    engine.on_prices(D("49400"), D("49499.5"))

    [fill] = fills(engine.take_events())
    assert fill.price == D("49500") and fill.liquidity.value == "maker"
    assert engine.book.ledger.side is Side.LONG


async def test_g9_the_take_profit_fills_and_the_stop_is_left_for_the_bot_to_cancel():
    engine, sim, _ = rig()
    await long_with_stop(engine, sim)
    await sim.place_order(limit("tp", SELL, 300, D("51000"), reduce_only=True))
    engine.take_events()

    engine.on_prices(D("51100"))

    assert [f.client_id for f in fills(engine.take_events())] == ["tp"]
    assert engine.book.ledger.contracts == 0
    assert engine.book.orders["sl"].status is OrderStatus.UNTRIGGERED  # a reduce-only stop


async def test_e6_the_mark_reaching_the_liquidation_price_liquidates_before_the_stop():
    engine, sim, _ = rig(leverage=D(3))
    await long_with_stop(engine, sim, trigger="30000")  # a stop far below the liquidation
    liq = engine.book.liq_price

    engine.on_prices(liq - 100)

    events = engine.take_events()
    assert any(isinstance(e, PositionLiquidated) for e in events)
    assert not fills(events) and engine.book.ledger.contracts == 0
    assert engine.book.orders["sl"].status is OrderStatus.CANCELLED


async def test_a3_funding_is_booked_at_each_eight_hour_boundary_passed():
    engine, sim, clock = rig()
    await sim.place_order(market("en", BUY, 300))
    engine.take_events()

    clock.now = T0 + 2 * FUNDING_INTERVAL_MS  # 08:00 and 16:00 passed
    engine.on_prices(D("50000"))

    funding = [e for e in engine.take_events() if isinstance(e, FundingApplied)]
    assert [e.exchange_ts_ms for e in funding] == [T0 - 3_600_000 + k * FUNDING_INTERVAL_MS for k in (1, 2)]  # fmt: skip
    assert engine.book.ledger.funding_btc < 0  # a long pays a positive rate
    assert engine.on_prices(D("50000")) == 0  # booked once


async def test_issue20_the_port_reads_candles_from_the_feed_not_the_simulator():
    _, sim, _ = rig()

    with pytest.raises(Rejected, match="public feed"):
        await sim.fetch_candles("1", 10)


# ---------------------------------------------------------- a restart's missed minutes (I4)
MINUTE = 60_000


def candle(ts: int, o: str, h: str, lo: str, c: str) -> Candle:
    return Candle(ts_ms=ts, open=D(o), high=D(h), low=D(lo), close=D(c), volume=D(0))


async def test_g6_i4_a_stop_crossed_in_a_missed_minute_fills_at_its_trigger_at_that_minute():
    engine, sim, clock = rig()
    await long_with_stop(engine, sim)
    engine.on_prices(D("50000"))  # the last price the account saw, at T0
    clock.now = T0 + 10 * MINUTE  # the dry run was stopped meanwhile
    missed = [
        candle(T0 + 1 * MINUTE, "50000", "50100", "49900", "50050"),
        candle(T0 + 2 * MINUTE, "50050", "50080", "48800", "50020"),  # through the trigger, back
        candle(T0 + 3 * MINUTE, "50020", "50040", "50000", "50010"),
    ]

    assert engine.walk_missed(missed) == 1

    [fill] = fills(engine.take_events())
    assert fill.client_id == "sl" and fill.price == D("49000")  # at the trigger, as a path
    assert T0 + 2 * MINUTE <= fill.ts_ms < T0 + 3 * MINUTE  # when it was crossed, not now
    assert engine.book.ledger.contracts == 0 and engine.seen_ms == T0 + 3 * MINUTE + 45_000


async def test_g6_i4_a_missed_minute_that_opens_beyond_the_trigger_fills_at_its_open():
    engine, sim, clock = rig()
    await long_with_stop(engine, sim)
    engine.on_prices(D("50000"))
    clock.now = T0 + 5 * MINUTE

    engine.walk_missed([candle(T0 + 2 * MINUTE, "48700", "48900", "48600", "48800")])

    [fill] = fills(engine.take_events())
    assert fill.price == D("48700")  # a gap: nothing was seen between 50,000 and the open


async def test_i4_a_minute_the_account_saw_part_of_is_not_walked_again():
    engine, sim, clock = rig()
    await long_with_stop(engine, sim)
    clock.now = T0 + 30_000
    engine.on_prices(D("50000"))  # seen half-way through the minute that began at T0
    clock.now = T0 + 5 * MINUTE

    executions = engine.walk_missed([candle(T0, "50000", "50000", "48000", "50000")])

    assert executions == 0 and engine.book.ledger.contracts == 300


async def test_i4_funding_of_a_missed_funding_time_is_booked_at_the_mark_of_that_time():
    engine, sim, clock = rig()
    await long_with_stop(engine, sim)
    funding_ms = T0 - T0 % FUNDING_INTERVAL_MS + FUNDING_INTERVAL_MS
    engine.on_prices(D("50000"))
    clock.now = funding_ms + 10 * MINUTE

    engine.walk_missed(
        [
            candle(funding_ms - MINUTE, "51000", "52000", "51000", "52000"),  # 52,000 just before
            candle(funding_ms, "52000", "52000", "52000", "52000"),
        ]
    )

    [funding] = [e for e in engine.take_events() if isinstance(e, FundingApplied)]
    assert funding.exchange_ts_ms == funding_ms
    paid_at_52000 = D(300) / D(52000) * funding.rate
    assert abs(funding.amount_btc + paid_at_52000) < D("1e-12")  # not at the 50,000 seen before


@st.composite
def missed_minutes(draw) -> list[Candle]:
    """Consecutive missed 1-minute candles around a long's stop at 49,000 (ticks of 0.5)."""
    n = draw(st.integers(1, 12))
    prices = st.integers(96_000, 104_000).map(lambda k: D(k) / 2)  # 48,000 .. 52,000
    out, prev = [], D("50000")
    for k in range(n):
        gap = draw(st.sampled_from([D(0), D(0), D(-600), D(400)]))
        o = max(D("48000"), prev + gap)
        c = draw(prices)
        hi = max(o, c, draw(prices))
        lo = min(o, c, draw(prices))
        out.append(candle(T0 + (k + 1) * MINUTE, str(o), str(hi), str(lo), str(c)))
        prev = c
    return out


@given(missed=missed_minutes())
async def test_g6_i4_property_the_walk_fills_a_stop_iff_a_missed_minute_reached_it(missed):
    """A long's stop at 49,000 fills in the first missed minute whose low reaches it: at the
    trigger, or at that minute's open when the open is already beyond it; never otherwise."""
    engine, sim, clock = rig()
    await long_with_stop(engine, sim)
    engine.on_prices(D("50000"))
    clock.now = T0 + 20 * MINUTE

    engine.walk_missed(missed)

    got = fills(engine.take_events())
    hit = next((c for c in missed if c.low <= D("49000")), None)
    if hit is None:
        assert got == [] and engine.book.ledger.contracts == 300
        return
    [fill] = got
    assert hit.ts_ms <= fill.ts_ms < hit.ts_ms + MINUTE
    assert fill.price == (hit.open if hit.open <= D("49000") else D("49000"))
    assert engine.book.ledger.contracts == 0
