"""Order validation like Bybit's create endpoint: filters, ids, PostOnly, reduce-only, triggers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.unit.exchange.sim.simkit import BUY, SELL, D, flat_rows, limit, market, of, sim, stop

from accountbuilder.domain.enums import OrderStatus, OrderType
from accountbuilder.domain.events import OrderUpdated
from accountbuilder.domain.models import Instrument
from accountbuilder.exchange.errors import (
    DuplicateClientId,
    InsufficientBalance,
    PostOnlyWouldTake,
    ReduceOnlyViolation,
    Rejected,
    TriggerWrongSide,
)
from accountbuilder.exchange.sim.orders import round_to_tick


def quiet(**config):
    return sim(flat_rows(30000.0, 30), **config)  # mark 30,000 at the start


async def test_a2_qty_must_be_a_step_multiple_and_at_least_the_minimum():
    ex = quiet(instrument=Instrument(qty_step=10, min_qty=10))

    with pytest.raises(Rejected, match="below minOrderQty") as below:
        await ex.place_order(limit("a", BUY, 5, 29000))
    with pytest.raises(Rejected, match="not a multiple of qtyStep"):
        await ex.place_order(limit("b", BUY, 15, 29000))

    assert below.value.code == 10001
    assert await ex.fetch_open_orders() == []


async def test_c3_price_and_trigger_must_be_tick_multiples():
    ex = quiet()

    with pytest.raises(Rejected, match="tickSize"):
        await ex.place_order(limit("a", BUY, 10, "29999.3"))
    await ex.place_order(market("e", BUY, 10))
    with pytest.raises(Rejected, match="triggerPrice"):
        await ex.place_order(stop("s", SELL, 10, "29000.25"))

    assert [o.client_id for o in await ex.fetch_open_orders()] == []


async def test_g2_a_reused_client_id_is_refused_even_after_the_order_ended():
    ex = quiet()
    await ex.place_order(limit("id-1", BUY, 10, 29000))
    await ex.cancel_order("id-1")

    with pytest.raises(DuplicateClientId) as err:
        await ex.place_order(limit("id-1", BUY, 10, 28000))

    assert err.value.code == 110072
    assert (await ex.fetch_order("id-1")).status is OrderStatus.CANCELLED


@pytest.mark.parametrize(("side", "price"), [(BUY, "30000"), (BUY, "30500"), (SELL, "29999.5")])
async def test_g3_postonly_that_would_take_is_refused_and_recorded_cancelled(side, price):
    ex = quiet()

    with pytest.raises(PostOnlyWouldTake):
        await ex.place_order(limit("po", side, 10, price))

    order = await ex.fetch_order("po")
    assert order.status is OrderStatus.CANCELLED
    assert order.reject_reason == "EC_PostOnlyWillTakeLiquidity"
    assert [e.order.status for e in of(ex.take_events(), OrderUpdated)] == [OrderStatus.CANCELLED]
    assert ex.ledger.contracts == 0


async def test_g3_postonly_on_the_passive_side_rests():
    ex = quiet()

    ack = await ex.place_order(limit("po", BUY, 10, "29999.5"))

    assert ack.status is OrderStatus.NEW
    assert [o.client_id for o in await ex.fetch_open_orders()] == ["po"]


async def test_g3_gtc_limit_that_crosses_fills_at_once_as_taker_at_most_its_price():
    ex = quiet()

    await ex.place_order(limit("gtc", BUY, 10, 30500, post_only=False))

    order = await ex.fetch_order("gtc")
    # the book's ask is the mark 30,000 (rounded up to tick), better than the 30,500 limit
    assert order.status is OrderStatus.FILLED and order.avg_price == D(30000)


async def test_g6_reduce_only_needs_an_opposite_position():
    ex = quiet()

    with pytest.raises(ReduceOnlyViolation) as flat:
        await ex.place_order(stop("s1", SELL, 10, 29000))
    await ex.place_order(market("e", BUY, 10))
    with pytest.raises(ReduceOnlyViolation):
        await ex.place_order(stop("s2", BUY, 10, 31000))

    assert flat.value.code == 110017


async def test_g6_reduce_only_market_is_truncated_to_the_position():
    ex = quiet()
    await ex.place_order(market("e", BUY, 10))

    await ex.place_order(market("c", SELL, 25, reduce_only=True))

    order = await ex.fetch_order("c")
    assert (order.qty, order.filled_qty, order.status) == (10, 10, OrderStatus.FILLED)
    assert ex.ledger.contracts == 0


async def test_g6_trigger_on_the_wrong_side_of_the_mark_is_refused():
    ex = quiet()
    await ex.place_order(market("e", BUY, 10))

    with pytest.raises(TriggerWrongSide) as falling:
        await ex.place_order(stop("s1", SELL, 10, 30000))  # a falling trigger must be below
    await ex.place_order(market("x", SELL, 20))  # now short 10
    with pytest.raises(TriggerWrongSide) as rising:
        await ex.place_order(stop("s2", BUY, 10, 29500))  # a rising trigger must be above

    assert (falling.value.code, rising.value.code) == (110093, 110092)


async def test_c4_entry_beyond_the_available_balance_is_refused():
    ex = quiet(start_balance_btc=D("0.001"), leverage=D(3))

    # 90 @ 30,000: value 0.003 BTC; cost = 0.003/3 + 2 × 0.003 × 0.0006 = 0.0010036 > 0.001
    with pytest.raises(InsufficientBalance) as err:
        await ex.place_order(market("big", BUY, 90))
    # 89: value 0.0029667; cost = 0.00098889 + 0.00000356 = 0.00099245 ≤ 0.001
    await ex.place_order(market("ok", BUY, 89))

    assert err.value.code == 110007
    assert ex.ledger.contracts == 89


async def test_c4_resting_entries_reserve_their_cost():
    ex = quiet(start_balance_btc=D("0.001"), leverage=D(3))
    # 60 @ 29,000: 60/29000/3 + 2 × 60/29000 × 0.0006 = 0.00068966 + 0.00000248 = 0.00069214
    await ex.place_order(limit("a", BUY, 60, 29000))

    # 40 more: 0.00046142; 0.00069214 + 0.00046142 > 0.001
    with pytest.raises(InsufficientBalance):
        await ex.place_order(limit("b", BUY, 40, 29000))
    await ex.place_order(limit("c", BUY, 20, 29000))  # 0.00023071: fits

    assert [o.client_id for o in await ex.fetch_open_orders()] == ["a", "c"]


async def test_f7_orders_are_refused_until_one_way_mode_is_set():
    ex = quiet(one_way=False)

    with pytest.raises(Rejected, match="position mode"):
        await ex.place_order(limit("a", BUY, 10, 29000))
    await ex.set_one_way()
    await ex.place_order(limit("b", BUY, 10, 29000))
    with pytest.raises(Rejected, match="positionIdx"):
        await ex.place_order(replace(limit("c", BUY, 10, 29000), position_idx=1))

    assert (await ex.fetch_settings()).one_way is True


async def test_g6_conditional_limit_orders_are_not_simulated():
    ex = quiet()
    await ex.place_order(market("e", BUY, 10))
    spec = replace(stop("s", SELL, 10, 29000), order_type=OrderType.LIMIT, price=D(28900))

    with pytest.raises(Rejected, match="conditional Market orders only"):
        await ex.place_order(spec)


def test_c3_taker_prices_round_to_the_worse_tick():
    tick = D("0.5")

    assert round_to_tick(D("30980.33"), tick, SELL) == D("30980.0")
    assert round_to_tick(D("30980.33"), tick, BUY) == D("30980.5")
    assert round_to_tick(D("30980.33"), tick, None) == D("30980.5")
