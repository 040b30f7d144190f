"""Fake Bybit order lifecycle through the real ccxt 4.5.90 (create, match, amend, cancel)."""

from __future__ import annotations

import ccxt.async_support as ccxt
import pytest

from accountbuilder.testing.fake_bybit import FakeBybit

S = "BTC/USD:BTC"


@pytest.fixture
async def ex(ccxt_client):
    client = ccxt_client()
    await client.load_markets()
    return client


async def _by_link(ex, link_id: str) -> dict:
    (order,) = await ex.fetch_open_orders(S, params={"orderLinkId": link_id})
    return order


async def test_g3_postonly_create_then_realtime_lookup_by_order_link_id(ex, fake_bybit: FakeBybit):
    ack = await ex.create_order(S, "limit", "buy", 100, 59_000.3, {"postOnly": True, "clientOrderId": "g3-entry"})  # fmt: skip
    assert (ack["clientOrderId"], ack["status"]) == ("g3-entry", None)  # an ack only
    sent = fake_bybit.requests_to("/v5/order/create")[0].raw_body
    assert sent == (b'{"symbol":"BTCUSD","side":"Buy","orderType":"Limit","timeInForce":"PostOnly",'
                    b'"orderLinkId":"g3-entry","price":"59000.5","category":"inverse","qty":"100"}')  # fmt: skip
    order = await _by_link(ex, "g3-entry")
    assert (order["id"], order["status"], order["postOnly"], order["price"]) == (ack["id"], "open", True, 59_000.5)  # fmt: skip
    assert order["info"]["orderStatus"] == "New" and order["remaining"] == 100


async def test_g3_postonly_that_would_cross_is_acked_then_cancelled(ex, fake_bybit):
    ack = await ex.create_order(S, "limit", "buy", 100, 60_500, {"postOnly": True, "clientOrderId": "g3-cross"})  # fmt: skip
    assert ack["id"]  # accepted: retCode 0 with an orderId
    order = await _by_link(ex, "g3-cross")  # by id, closed orders are found too
    assert order["status"] == "canceled" and order["filled"] == 0
    assert order["info"]["rejectReason"] == "EC_PostOnlyWillTakeLiquidity"
    assert [o["id"] for o in await ex.fetch_canceled_orders(S)] == [ack["id"]]
    assert await ex.fetch_open_orders(S) == []


async def test_a2_resting_limit_fills_as_maker_when_price_trades_through(ex, fake_bybit):
    await ex.create_order(S, "limit", "buy", 100, 59_000, {"postOnly": True, "clientOrderId": "a2-buy"})  # fmt: skip
    fake_bybit.set_mark_price(59_000)  # touching is not trading through
    assert (await _by_link(ex, "a2-buy"))["status"] == "open"
    fake_bybit.set_mark_price(58_999.5)
    (trade,) = await ex.fetch_my_trades(S)
    # maker fee: 100 × 0.0002 / 59,000 = 0.000000339 → 0.00000034 BTC
    assert (trade["takerOrMaker"], trade["price"], trade["fee"]["cost"]) == ("maker", 59_000.0, 0.00000034)  # fmt: skip
    assert trade["info"]["execType"] == "Trade" and trade["info"]["orderLinkId"] == "a2-buy"


async def test_a2_round_trip_realises_inverse_pnl_minus_taker_fees(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 100)
    fake_bybit.set_mark_price(61_000)
    await ex.create_order(S, "market", "sell", 100)
    # pnl = 100/60,000 − 100/61,000 = 0.00002732; fees 0.055/60,000 → 0.00000092, 0.055/61,000 → 0.00000090
    # wallet = 0.01 + 0.00002732 − 0.00000092 − 0.00000090 = 0.01002550
    assert (await ex.fetch_balance())["BTC"]["total"] == 0.0100255
    (position,) = await ex.fetch_positions([S])
    assert position["contracts"] == 0 and position["info"]["cumRealisedPnl"] == "0.00002550"


async def test_c5_isolated_liq_price_in_position_row(ex, fake_bybit):
    await ex.set_margin_mode("isolated")
    await ex.create_order(S, "market", "buy", 100)
    fake_bybit.set_mark_price(61_000)
    (position,) = await ex.fetch_positions([S])
    # PV = 100/60,000 = 0.00166667, IM = PV/10, MM = PV × 0.005
    # liq = 100 / (PV + IM − MM) = 54,794.52 → tick 0.5 → 54,794.5 (reference §7)
    assert position["liquidationPrice"] == 54_794.5
    assert (position["entryPrice"], position["leverage"], position["side"]) == (60_000.0, 10.0, "long")  # fmt: skip
    # uPnL at mark 61,000: 100/60,000 − 100/61,000 = 0.00002732
    assert position["unrealizedPnl"] == 0.00002732


async def test_g6_conditional_stop_triggers_on_mark_and_fills_as_taker(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 100)
    params = {"triggerPrice": 57_000, "triggerDirection": "descending", "reduceOnly": True,
              "triggerBy": "MarkPrice", "clientOrderId": "g6-stop"}  # fmt: skip
    await ex.create_order(S, "market", "sell", 100, None, params)
    (stop,) = await ex.fetch_open_orders(S, params={"trigger": True})
    assert (stop["info"]["orderStatus"], stop["info"]["triggerDirection"], stop["triggerPrice"]) == ("Untriggered", 2, 57_000.0)  # fmt: skip
    fake_bybit.set_mark_price(57_500)
    assert fake_bybit.order("g6-stop").status == "Untriggered"
    fake_bybit.set_mark_price(57_000)
    closed = await _by_link(ex, "g6-stop")
    assert (closed["status"], closed["filled"], closed["average"]) == ("closed", 100.0, 57_000.0)
    trades = await ex.fetch_order_trades(None, S, params={"clientOrderId": "g6-stop"})
    # taker fee 100 × 0.00055 / 57,000 = 0.00000096; pnl 100/60,000 − 100/57,000 = −0.00008772
    assert (trades[0]["takerOrMaker"], trades[0]["fee"]["cost"]) == ("taker", 0.00000096)
    # wallet = 0.01 − 0.00000092 (entry fee) − 0.00008772 − 0.00000096 = 0.00991040
    assert (await ex.fetch_balance())["BTC"]["total"] == 0.0099104


@pytest.mark.parametrize(
    ("direction", "trigger", "code"),
    [("descending", 61_000, "110093"), ("ascending", 59_000, "110092")],  # fmt: skip
)
async def test_g6_trigger_on_wrong_side_is_refused(ex, direction, trigger, code):
    params = {"triggerPrice": trigger, "triggerDirection": direction, "reduceOnly": True}
    with pytest.raises(ccxt.InvalidOrder, match=code):
        await ex.create_order(S, "market", "sell", 100, None, params)


async def test_g7_amend_stop_qty_and_trigger_price(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 200)
    params = {"triggerPrice": 57_000, "triggerDirection": "descending", "reduceOnly": True,
              "triggerBy": "MarkPrice", "clientOrderId": "g7-stop"}  # fmt: skip
    created = await ex.create_order(S, "market", "sell", 100, None, params)
    await ex.edit_order(created["id"], S, "market", "sell", 150)
    await ex.edit_order(None, S, "market", "sell", None, None, {"clientOrderId": "g7-stop", "triggerPrice": 56_000, "triggerBy": "MarkPrice"})  # fmt: skip
    stop = await _by_link(ex, "g7-stop")
    assert (stop["amount"], stop["triggerPrice"], stop["info"]["triggerBy"]) == (150.0, 56_000.0, "MarkPrice")  # fmt: skip
    assert (
        fake_bybit.requests_to("/v5/order/amend")[1].params["triggerPrice"] == 56_000
    )  # JSON number


async def test_g7_amend_or_cancel_of_vanished_order_is_order_not_found(ex, fake_bybit):
    await ex.create_order(S, "limit", "buy", 100, 59_000, {"clientOrderId": "g7-gone"})
    await ex.cancel_order(None, S, {"orderLinkId": "g7-gone"})
    assert (await _by_link(ex, "g7-gone"))["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound, match="110001"):
        await ex.edit_order(None, S, "limit", "buy", 50, 59_000, {"clientOrderId": "g7-gone"})
    with pytest.raises(ccxt.OrderNotFound, match="110001"):
        await ex.cancel_order(None, S, {"orderLinkId": "g7-gone"})


async def test_g7_cancel_all_with_trigger_spares_plain_orders(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 100)
    await ex.create_order(S, "limit", "sell", 100, 62_000, {"clientOrderId": "tp", "reduceOnly": True})  # fmt: skip
    await ex.create_order(S, "market", "sell", 100, None, {"stopLossPrice": 55_000, "clientOrderId": "sl"})  # fmt: skip
    await ex.cancel_all_orders(S, {"trigger": True})
    assert (fake_bybit.order("sl").status, fake_bybit.order("tp").status) == ("Cancelled", "New")


async def test_g5_partial_fills_report_exec_fee_per_fill(ex, fake_bybit):
    await ex.create_order(S, "limit", "buy", 100, 59_000, {"postOnly": True, "clientOrderId": "g5"})  # fmt: skip
    fake_bybit.fill_partially("g5", 40)
    assert (await _by_link(ex, "g5"))["info"]["orderStatus"] == "PartiallyFilled"
    fake_bybit.fill_partially("g5", 60)
    trades = await ex.fetch_order_trades(None, S, params={"clientOrderId": "g5"})
    # maker fees: 40 × 0.0002 / 59,000 = 0.000000136 → 0.00000014; 60 × … = 0.000000203 → 0.00000020
    assert sorted(t["fee"]["cost"] for t in trades) == [0.00000014, 0.0000002]
    assert sorted(t["info"]["leavesQty"] for t in trades) == ["0", "60"]
    order = await _by_link(ex, "g5")
    assert (order["status"], order["filled"], order["info"]["cumExecFee"]) == ("closed", 100.0, "0.00000034")  # fmt: skip


async def test_g1_order_link_id_longer_than_36_chars_is_refused(ex):
    with pytest.raises(ccxt.BadRequest, match="10001"):
        await ex.create_order(S, "limit", "buy", 1, 59_000, {"clientOrderId": "x" * 37})


async def test_g2_duplicate_order_link_id_is_110072(ex, fake_bybit):
    await ex.create_order(S, "limit", "buy", 1, 59_000, {"clientOrderId": "g2-dup"})
    with pytest.raises(ccxt.InvalidOrder, match="110072"):
        await ex.create_order(S, "limit", "buy", 1, 59_000, {"clientOrderId": "g2-dup"})
    assert len([o for o in fake_bybit.engine.orders.values() if o.link_id == "g2-dup"]) == 1


async def test_g6_reduce_only_without_position_is_refused(ex):
    with pytest.raises(ccxt.InvalidOrder, match="110017"):
        await ex.create_order(S, "market", "sell", 100, None, {"reduceOnly": True})


async def test_c4_order_beyond_available_margin_is_insufficient_funds(ex):
    # 100,000 contracts at 60,000 and 10x need 100,000/60,000/10 = 0.1667 BTC > 0.01 BTC wallet
    with pytest.raises(ccxt.InsufficientFunds, match="110007"):
        await ex.create_order(S, "limit", "buy", 100_000, 59_000)


async def test_g9_reduce_only_take_profit_is_cancelled_when_position_closes(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 100)
    await ex.create_order(S, "limit", "sell", 100, 62_000, {"clientOrderId": "g9-tp", "reduceOnly": True})  # fmt: skip
    await ex.create_order(S, "market", "sell", 100, None, {"reduceOnly": True})
    tp = await _by_link(ex, "g9-tp")
    assert (tp["status"], tp["info"]["cancelType"]) == ("canceled", "CancelByReduceOnly")
