"""The fake's matching is as strict as Bybit's, seen through the real ccxt 4.5.90 (issue 16).

Taker liquidity inside price bands and partial fills (IOC, market, FOK, a triggered stop),
110009 / 110003, a create acked then rejected, a working stop rejected, closeOnTrigger at
trigger time, and UTA 2.0 ``order/history`` (closed orders only).
"""

from __future__ import annotations

from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from accountbuilder.testing.fake_bybit import FakeBybit

S = "BTC/USD:BTC"
LADDER = [(0, 100), (5, 200), (10, 500)]  # asks at 60,000 / 60,005 / 60,010 (bids mirrored)


@pytest.fixture
async def ex(ccxt_client):
    client = ccxt_client()
    await client.load_markets()
    return client


async def test_g4_an_ioc_limit_buy_never_fills_above_its_price_and_the_rest_is_cancelled(ex, fake_bybit: FakeBybit):  # fmt: skip
    fake_bybit.set_taker_ladder(LADDER)

    await ex.create_order(S, "limit", "buy", 1000, 60_005, {"timeInForce": "IOC", "clientOrderId": "ioc-1"})  # fmt: skip

    order = fake_bybit.order("ioc-1")
    assert [(e.price, e.qty) for e in fake_bybit.engine.executions] == [(60_000, 100), (60_005, 200)]  # fmt: skip
    assert (order.status, order.cum_qty, order.reject_reason) == ("Cancelled", 300, "EC_NoImmediateQtyToFill")  # fmt: skip
    assert max(e.price for e in fake_bybit.engine.executions) <= 60_005
    assert fake_bybit.engine.position.size == 300


async def test_g4_a_market_order_fills_only_within_the_price_band(ex, fake_bybit):
    fake_bybit.set_taker_ladder([(0, 100), (500, 100), (700, 100)])  # 60,500 in, 60,700 out

    await ex.create_order(S, "market", "buy", 1000, None, {"clientOrderId": "mkt-1"})

    order = fake_bybit.order("mkt-1")  # band: mark 60,000 × 1.01 = 60,600
    assert [(e.price, e.qty) for e in fake_bybit.engine.executions] == [(60_000, 100), (60_500, 100)]  # fmt: skip
    assert (order.status, order.cum_qty) == ("Cancelled", 200)


async def test_g4_a_market_order_finds_nothing_when_the_last_price_is_outside_the_band(ex, fake_bybit):  # fmt: skip
    fake_bybit.set_last_price(61_000)  # 1.7 % above the mark

    await ex.create_order(S, "market", "buy", 100, None, {"clientOrderId": "mkt-2"})

    order = fake_bybit.order("mkt-2")
    assert (order.status, order.cum_qty, order.reject_reason) == ("Cancelled", 0, "EC_NoImmediateQtyToFill")  # fmt: skip


async def test_fok_fills_in_full_or_not_at_all(ex, fake_bybit):
    fake_bybit.set_taker_ladder([(0, 100)])

    await ex.create_order(S, "limit", "buy", 150, 60_010, {"timeInForce": "FOK", "clientOrderId": "fok-1"})  # fmt: skip

    order = fake_bybit.order("fok-1")
    assert (order.status, order.cum_qty, order.reject_reason) == ("Cancelled", 0, "EC_CancelForNoFullFill")  # fmt: skip


async def test_g6_a_triggered_stop_can_partly_fill(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 500, None, {"positionIdx": 0})
    await ex.create_order(S, "market", "sell", 500, None, {
        "triggerPrice": 59_000, "triggerDirection": "descending", "triggerBy": "MarkPrice",
        "reduceOnly": True, "closeOnTrigger": True, "clientOrderId": "sl-1"})  # fmt: skip
    fake_bybit.set_taker_ladder([(0, 200)])

    fake_bybit.set_mark_price(58_990)

    stop = fake_bybit.order("sl-1")
    assert (stop.status, stop.cum_qty) == ("Cancelled", 200)  # 200 found, the rest cancelled
    assert fake_bybit.engine.position.size == 300


async def test_g6_at_trigger_a_stop_short_of_margin_is_cancelled_unless_close_on_trigger(ex, fake_bybit):  # fmt: skip
    await ex.create_order(S, "market", "buy", 500, None)
    plain = {"triggerPrice": 59_000, "triggerDirection": "descending", "triggerBy": "MarkPrice",
             "reduceOnly": True}  # fmt: skip
    await ex.create_order(S, "market", "sell", 200, None, {**plain, "clientOrderId": "sl-plain"})
    await ex.create_order(S, "market", "sell", 300, None, {**plain, "closeOnTrigger": True, "clientOrderId": "sl-cot"})  # fmt: skip
    fake_bybit.lock_margin(fake_bybit.engine.wallet_btc)  # nothing available at trigger time

    fake_bybit.set_mark_price(58_990)

    assert fake_bybit.order("sl-plain").status == "Cancelled"  # Bybit's cancel for no margin
    assert fake_bybit.order("sl-plain").cum_qty == 0
    assert fake_bybit.order("sl-cot").status == "Filled"  # reduces whatever the margin
    assert fake_bybit.engine.position.size == 200


async def test_g6_more_than_10_conditional_orders_is_110009(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 100, None)
    stop = {"triggerPrice": 59_000, "triggerDirection": "descending", "reduceOnly": True}
    for n in range(10):
        await ex.create_order(S, "market", "sell", 10, None, {**stop, "clientOrderId": f"c{n}"})

    with pytest.raises(ccxt.InvalidOrder, match="110009"):
        await ex.create_order(S, "market", "sell", 10, None, {**stop, "clientOrderId": "c10"})


@pytest.mark.parametrize(("side", "price"), [("buy", 61_300), ("sell", 58_700)])
async def test_a_limit_beyond_the_price_band_is_110003(ex, fake_bybit, side, price):
    with pytest.raises(ccxt.InvalidOrder, match="110003"):  # beyond mark × (1 ± 2 %)
        await ex.create_order(S, "limit", side, 10, price, {"clientOrderId": "band"})
    await ex.create_order(S, "limit", "sell", 10, 61_300, {"clientOrderId": "passive"})
    assert fake_bybit.order("passive").status == "New"  # a passive price far away is fine


async def test_g8_a_create_acked_then_rejected(ex, fake_bybit):
    fake_bybit.reject_next_create("EC_ReachRiskPriceLimit")

    ack = await ex.create_order(S, "limit", "buy", 10, 59_000, {"clientOrderId": "rej-1"})

    assert ack["id"] == fake_bybit.order("rej-1").order_id  # retCode 0 with an orderId
    (row,) = await ex.fetch_canceled_and_closed_orders(S, params={"orderLinkId": "rej-1"})
    assert (row["status"], row["info"]["rejectReason"]) == ("rejected", "EC_ReachRiskPriceLimit")


async def test_g8_a_working_stop_rejected_by_the_exchange(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 100, None)
    await ex.create_order(S, "market", "sell", 100, None, {
        "triggerPrice": 59_000, "triggerDirection": "descending", "reduceOnly": True,
        "clientOrderId": "sl-rej"})  # fmt: skip

    fake_bybit.reject_order("sl-rej", "EC_Others")

    assert (fake_bybit.order("sl-rej").status, fake_bybit.order("sl-rej").reject_reason) == ("Rejected", "EC_Others")  # fmt: skip
    with pytest.raises(ValueError, match="Rejected"):
        fake_bybit.reject_order("sl-rej")


async def test_uta2_order_history_holds_closed_orders_only(ex, fake_bybit):
    await ex.create_order(S, "limit", "buy", 10, 59_000, {"clientOrderId": "open-1"})
    await ex.create_order(S, "limit", "buy", 10, 59_000, {"clientOrderId": "gone-1"})
    await ex.cancel_order(None, S, {"orderLinkId": "gone-1"})

    history = await ex.fetch_canceled_and_closed_orders(S)
    by_id = await ex.fetch_canceled_and_closed_orders(S, params={"orderLinkId": "open-1"})

    assert [o["clientOrderId"] for o in history] == ["gone-1"]
    assert by_id == []  # an open order is not in history, even by id
    (found,) = await ex.fetch_open_orders(S, params={"orderLinkId": "gone-1"})  # realtime: yes
    assert found["status"] == "canceled"


async def test_the_default_taker_model_is_unlimited_at_the_last_price(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 5_000, None, {"clientOrderId": "big"})

    assert [(e.price, e.qty) for e in fake_bybit.engine.executions] == [(Decimal(60_000), 5_000)]
