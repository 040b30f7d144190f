"""The port façade: injected faults, the REST call counter, settings, amend/cancel, the stream."""

from __future__ import annotations

import pytest
from tests.unit.exchange.sim.simkit import (
    BUY,
    DAY0,
    SELL,
    D,
    flat_rows,
    limit,
    market,
    of,
    sim,
    stop,
)

from accountbuilder.domain.enums import MarginMode, OrderStatus
from accountbuilder.domain.events import OrderUpdated, PositionUpdated
from accountbuilder.domain.models import FeeRates, Instrument
from accountbuilder.exchange.errors import (
    DuplicateClientId,
    MalformedResponse,
    OrderNotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    TriggerWrongSide,
)
from accountbuilder.exchange.port import ExchangePort
from accountbuilder.exchange.sim import SimExchange


def quiet(**config):
    return sim(flat_rows(30000.0, 30), **config)


async def long_with_stop(ex, qty=100, trigger=29000):
    await ex.place_order(market("en", BUY, qty))
    await ex.place_order(stop("sl", SELL, qty, trigger))
    ex.take_events()


def test_f6_the_simulator_is_an_exchange_port():
    assert isinstance(SimExchange(), ExchangePort)


async def test_a3_reference_data_comes_from_the_config():
    fees = FeeRates(maker=D("0.0002"), taker=D("0.00055"))
    ex = quiet(fees=fees, instrument=Instrument(tick_size=D("0.1")))

    assert await ex.fetch_fee_rates() == fees
    assert (await ex.load_instrument()).tick_size == D("0.1")


async def test_g2_outcome_unknown_the_order_is_placed_and_a_resend_is_a_duplicate():
    ex = quiet()
    ex.faults.outcome_unknown_next(1)

    with pytest.raises(OutcomeUnknown):
        await ex.place_order(limit("en", BUY, 100, 29000))

    assert (await ex.fetch_order("en")).status is OrderStatus.NEW
    with pytest.raises(DuplicateClientId):
        await ex.place_order(limit("en", BUY, 100, 29000))


async def test_g8_injected_rejections_place_nothing():
    ex = quiet()
    ex.faults.reject_next_orders(2)

    for cid in ("a", "b"):
        with pytest.raises(Rejected, match="injected"):
            await ex.place_order(limit(cid, BUY, 100, 29000))
    await ex.place_order(limit("c", BUY, 100, 29000))

    assert await ex.fetch_order("a") is None
    assert [o.client_id for o in await ex.fetch_open_orders()] == ["c"]


async def test_f1_rate_limited_calls_count_and_change_nothing():
    ex = quiet()
    ex.faults.rate_limit_next_calls(1)

    with pytest.raises(RateLimited) as err:
        await ex.place_order(market("en", BUY, 100))
    await ex.fetch_account()

    assert err.value.code == 10006
    assert [c.method for c in ex.rest_calls] == ["place_order", "fetch_account"]
    assert ex.ledger.contracts == 0


async def test_e3_malformed_wallet_answer():
    ex = quiet()
    ex.faults.malformed_wallet_next(1)

    with pytest.raises(MalformedResponse):
        await ex.fetch_account()
    account = await ex.fetch_account()

    assert account.wallet_balance_btc == D("0.01")


async def test_g8_a_stop_cancelled_elsewhere_is_reported_and_then_missing():
    ex = quiet()
    await long_with_stop(ex)

    ex.cancel_elsewhere("sl")
    events = ex.take_events()

    [upd] = of(events, OrderUpdated)
    assert (upd.order.client_id, upd.order.status) == ("sl", OrderStatus.CANCELLED)
    assert await ex.fetch_open_orders() == []
    with pytest.raises(OrderNotFound) as err:  # G7: an amend on a vanished stop
        await ex.amend_order("sl", qty=50)
    assert err.value.code == 110001


async def test_f1_every_port_call_is_counted_with_its_time():
    ex = quiet(ack_latency_ms=120)
    for _ in range(5):
        await ex.fetch_mark_price()
    ex.run_to(DAY0 + 30_000)
    for _ in range(3):
        await ex.fetch_position()
    ex.run_to(DAY0 + 70_000)
    await ex.fetch_open_orders()
    await ex.fetch_order("none")

    assert len(ex.rest_calls) == 10
    assert ex.rest_calls_in_window(DAY0 + 59_999) == 8  # calls at 0 and 30 s
    assert ex.rest_calls_in_window(DAY0 + 70_000) == 5  # calls at 30 s and 70 s
    assert ex.max_rest_calls_in_window() == 8
    assert ex.rest_calls[0].answered_ts_ms == DAY0 + 120


async def test_g7_amend_changes_qty_and_trigger_in_place():
    ex = quiet()
    await long_with_stop(ex, qty=100, trigger=29000)

    amended = await ex.amend_order("sl", qty=60, trigger_price=D(29500))

    assert (amended.qty, amended.trigger_price, amended.status) == (
        60,
        D(29500),
        OrderStatus.UNTRIGGERED,
    )
    assert [e.order.qty for e in of(ex.take_events(), OrderUpdated)] == [60]
    with pytest.raises(TriggerWrongSide):
        await ex.amend_order("sl", trigger_price=D(30500))
    with pytest.raises(Rejected, match="tickSize"):
        await ex.amend_order("sl", trigger_price=D("29500.2"))


async def test_g7_amend_and_cancel_of_a_finished_order_are_not_found():
    ex = quiet()
    await ex.place_order(market("en", BUY, 100))

    with pytest.raises(OrderNotFound):
        await ex.amend_order("en", qty=50)
    with pytest.raises(OrderNotFound):
        await ex.cancel_order("en")


async def test_b3_leverage_is_any_value_in_range_and_moves_the_liquidation_price():
    ex = quiet(leverage=D(10))
    await ex.place_order(market("en", BUY, 100))
    before = (await ex.fetch_position()).liq_price
    ex.take_events()

    await ex.set_leverage(D(2))
    after = await ex.fetch_position()

    # 30000 / (1 + 1/10 − 0.005) = 27,397.26 → 27,397.5 ; 30000 / (1 + 1/2 − 0.005) = 20,066.89 → 20,067
    assert (before, after.liq_price, after.leverage) == (D("27397.5"), D("20067.0"), D(2))
    assert len(of(ex.take_events(), PositionUpdated)) == 1
    for bad in (D("0.5"), D(101), D("2.001")):
        with pytest.raises(Rejected):
            await ex.set_leverage(bad)


async def test_c5_margin_mode_cannot_change_while_anything_is_open():
    ex = quiet()
    await ex.place_order(limit("en", BUY, 100, 29000))

    with pytest.raises(Rejected, match="open orders"):
        await ex.set_margin_mode(MarginMode.CROSS)
    await ex.cancel_order("en")
    await ex.set_margin_mode(MarginMode.CROSS)

    assert (await ex.fetch_settings()).margin_mode is MarginMode.CROSS


async def test_f7_position_idx_may_come_back_as_the_string_zero():
    ex = quiet()
    ex.faults.position_idx_as_string = True
    await ex.place_order(market("en", BUY, 100))

    position = await ex.fetch_position()

    assert position.position_idx == "0"
    assert {e.position_idx for e in of(ex.take_events(), PositionUpdated)} == {"0"}


async def test_f4_the_event_stream_yields_what_is_delivered_then_ends():
    ex = quiet()
    await ex.place_order(limit("en", BUY, 100, 29000))

    got = [e async for e in ex.events()]
    again = [e async for e in ex.events()]

    assert [type(e) for e in got] == [OrderUpdated] and again == []
