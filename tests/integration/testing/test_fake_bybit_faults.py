"""Fault controls of the fake Bybit, observed through the real ccxt 4.5.90."""

from __future__ import annotations

import asyncio

import ccxt.async_support as ccxt
import pytest

from accountbuilder.testing.fake_bybit import FakeBybit

S = "BTC/USD:BTC"


@pytest.fixture
async def ex(ccxt_client):
    client = ccxt_client(timeout=400)
    await client.load_markets()
    return client


async def test_f1_rate_limit_fault_answers_10006_and_does_not_process(ex, fake_bybit: FakeBybit):
    fake_bybit.faults.rate_limit(n=2, path="/v5/order/create")
    for _ in range(2):
        with pytest.raises(ccxt.RateLimitExceeded, match="10006"):
            await ex.create_order(S, "limit", "buy", 1, 59_000, {"clientOrderId": "f1-a"})
    assert fake_bybit.engine.orders == {}
    await ex.create_order(S, "limit", "buy", 1, 59_000, {"clientOrderId": "f1-a"})
    assert fake_bybit.order("f1-a").status == "New"


async def test_f1_http_403_is_rate_limit_exceeded_in_ccxt(ex, fake_bybit):
    fake_bybit.faults.http_403()
    with pytest.raises(ccxt.RateLimitExceeded, match="403"):
        await ex.fetch_open_orders(S)
    assert await ex.fetch_open_orders(S) == []


async def test_g2_create_timeout_leaves_the_order_on_the_exchange(ex, fake_bybit):
    fake_bybit.faults.delay_response("/v5/order/create", seconds=3.0)
    with pytest.raises(ccxt.RequestTimeout):
        await ex.create_order(S, "limit", "buy", 100, 59_000, {"clientOrderId": "g2-timeout"})
    (found,) = await ex.fetch_open_orders(S, params={"orderLinkId": "g2-timeout"})
    assert (found["status"], found["clientOrderId"]) == ("open", "g2-timeout")


async def test_g2_dropped_connection_after_create_leaves_the_order(ex, fake_bybit):
    fake_bybit.faults.drop_connection("/v5/order/create")
    with pytest.raises(ccxt.NetworkError):
        await ex.create_order(S, "limit", "buy", 100, 59_000, {"clientOrderId": "g2-drop"})
    (found,) = await ex.fetch_open_orders(S, params={"orderLinkId": "g2-drop"})
    assert found["status"] == "open"
    with pytest.raises(ccxt.InvalidOrder, match="110072"):  # the same-id probe (reference §6.6a)
        await ex.create_order(S, "limit", "buy", 100, 59_000, {"clientOrderId": "g2-drop"})


async def test_g2_reserved_order_link_id_answers_duplicate(ex, fake_bybit):
    fake_bybit.reserve_order_link_id("g2-lost")
    with pytest.raises(ccxt.InvalidOrder, match="110072"):
        await ex.create_order(S, "limit", "buy", 1, 59_000, {"clientOrderId": "g2-lost"})
    assert await ex.fetch_open_orders(S, params={"orderLinkId": "g2-lost"}) == []


async def test_e3_nan_numbers_in_wallet_escape_ccxt_as_plain_value_error(ex, fake_bybit):
    fake_bybit.faults.malformed("/v5/account/wallet-balance", "nan")
    with pytest.raises(ValueError, match="NaN"):  # not a ccxt error: the adapter must catch it
        await ex.fetch_balance()
    assert (await ex.fetch_balance())["BTC"]["total"] == 0.01  # fault used up


async def test_e3_missing_wallet_fields_give_none_totals(ex, fake_bybit):
    fake_bybit.faults.malformed("/v5/account/wallet-balance", "missing_fields", fields=("walletBalance",))  # fmt: skip
    balance = await ex.fetch_balance()
    assert balance["BTC"]["total"] is None
    assert "walletBalance" not in balance["info"]["result"]["list"][0]["coin"][0]


async def test_e3_empty_result_and_missing_retcode(ex, fake_bybit):
    fake_bybit.faults.malformed("/v5/position/list", "empty_result")
    assert await ex.fetch_positions([S]) == []
    fake_bybit.faults.malformed("/v5/position/list", "no_retcode")
    with pytest.raises(ccxt.ExchangeError):
        await ex.fetch_positions([S])


async def test_e3_html_answer_is_exchange_not_available(ex, fake_bybit):
    fake_bybit.faults.malformed("/v5/market/tickers", "not_json")
    with pytest.raises(ccxt.ExchangeNotAvailable, match="502"):
        await ex.fetch_ticker(S)


async def test_c5_missing_liq_price_field_reads_as_none(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 100)
    fake_bybit.faults.malformed("/v5/position/list", "missing_fields", fields=("liqPrice",))
    (position,) = await ex.fetch_positions([S])
    assert position["contracts"] == 100 and position["liquidationPrice"] is None


async def test_g8_stop_cancelled_elsewhere_is_pushed_on_the_order_stream(ccxt_client, fake_bybit):
    pro = ccxt_client(pro=True)
    await pro.load_markets()
    await pro.create_order(S, "market", "buy", 100)
    params = {"triggerPrice": 55_000, "triggerDirection": "descending", "reduceOnly": True, "clientOrderId": "g8-stop"}  # fmt: skip
    await pro.create_order(S, "market", "sell", 100, None, params)
    watching = asyncio.create_task(pro.watch_orders(S))
    await fake_bybit.wait_subscribed("order")
    fake_bybit.cancel_stop_elsewhere("g8-stop", status="Deactivated")
    (update,) = await asyncio.wait_for(watching, 5)
    assert (update["clientOrderId"], update["status"], update["info"]["orderStatus"]) == ("g8-stop", "canceled", "Deactivated")  # fmt: skip
    assert update["info"]["cancelType"] == "CancelByUser"
