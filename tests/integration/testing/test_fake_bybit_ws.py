"""Fake Bybit WebSockets: wire frames (raw client) and the real ccxt.pro 4.5.90 watchers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import ccxt.async_support as ccxt
import pytest

from accountbuilder.testing.fake_bybit import FakeBybit
from accountbuilder.testing.fake_bybit.pytest_plugin import TEST_API_KEY, TEST_API_SECRET
from accountbuilder.testing.fake_bybit.signing import ws_signature

S = "BTC/USD:BTC"


@pytest.fixture
async def raw(fake_bybit: FakeBybit) -> AsyncIterator[Any]:
    """``connect(path)`` → a raw aiohttp WebSocket to the fake."""
    async with aiohttp.ClientSession() as session:

        async def connect(path: str) -> aiohttp.ClientWebSocketResponse:
            return await session.ws_connect(fake_bybit.ws_url + path)

        yield connect


async def _recv(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    return json.loads((await asyncio.wait_for(ws.receive(), 5)).data)


@pytest.fixture
async def pro(ccxt_client):
    client = ccxt_client(pro=True, streaming={"keepAlive": 200})
    await client.load_markets()
    return client


async def test_f2_ping_answered_with_documented_pong_shapes(raw, fake_bybit):
    public, private = await raw("/v5/public/inverse"), await raw("/v5/private")
    await public.send_json({"req_id": 7, "op": "ping"})
    pong = await _recv(public)
    assert {k: pong[k] for k in ("success", "ret_msg", "req_id", "op")} == {"success": True, "ret_msg": "pong", "req_id": "7", "op": "ping"}  # fmt: skip
    await private.send_json({"req_id": 8, "op": "ping"})
    pong = await _recv(private)
    assert (pong["op"], pong["req_id"], pong["args"][0].isdigit()) == ("pong", "8", True)


async def test_f4_ticker_snapshot_then_delta_with_mark_price(raw, fake_bybit):
    ws = await raw("/v5/public/inverse")
    await ws.send_json({"op": "subscribe", "req_id": 1, "args": ["tickers.BTCUSD"]})
    ack, snapshot = await _recv(ws), await _recv(ws)
    assert (ack["success"], ack["op"], ack["req_id"]) == (True, "subscribe", "1")
    assert (snapshot["type"], snapshot["data"]["markPrice"], snapshot["data"]["symbol"]) == ("snapshot", "60000.00", "BTCUSD")  # fmt: skip
    fake_bybit.set_mark_price(60_100)
    delta = await _recv(ws)
    assert delta["type"] == "delta" and delta["cs"] > snapshot["cs"]
    assert (delta["data"]["markPrice"], delta["data"]["lastPrice"]) == ("60100.00", "60100.00")
    assert "fundingRate" not in delta["data"]  # deltas carry only changed fields


async def test_f4_kline_confirms_the_bar_when_the_minute_rolls(raw, fake_bybit):
    minute = fake_bybit.clock() // 60_000 * 60_000
    fake_bybit.set_mark_price(60_000, ts_ms=minute + 1_000)
    ws = await raw("/v5/public/inverse")
    await ws.send_json({"op": "subscribe", "req_id": 2, "args": ["kline.1.BTCUSD", "kline.D.BTCUSD"]})  # fmt: skip
    frames = [await _recv(ws) for _ in range(3)]  # ack + one snapshot per topic
    assert sorted(f.get("topic", "ack") for f in frames) == ["ack", "kline.1.BTCUSD", "kline.D.BTCUSD"]  # fmt: skip
    fake_bybit.set_mark_price(60_200, ts_ms=minute + 61_000)
    pushed = [await _recv(ws) for _ in range(3)]
    one_minute = [f["data"][0] for f in pushed if f["topic"] == "kline.1.BTCUSD"]
    assert [(b["start"], b["confirm"], b["close"]) for b in one_minute] == [
        (minute, True, "60000.00"), (minute + 60_000, False, "60200.00")]  # fmt: skip


async def test_f4_private_subscribe_needs_auth_and_auth_checks_signature(raw, fake_bybit):
    ws = await raw("/v5/private")
    await ws.send_json({"op": "subscribe", "req_id": 3, "args": ["order"]})
    assert (await _recv(ws))["success"] is False
    expires = str(fake_bybit.clock() + 10_000)
    await ws.send_json({"op": "auth", "args": [TEST_API_KEY, expires, "0" * 64]})
    assert (await _recv(ws))["success"] is False
    await ws.send_json({"op": "auth", "args": [TEST_API_KEY, expires, ws_signature(TEST_API_SECRET, expires)]})  # fmt: skip
    assert (await _recv(ws)) == {"success": True, "ret_msg": "", "op": "auth", "conn_id": (await _conn_id(fake_bybit))}  # fmt: skip


async def _conn_id(server: FakeBybit) -> str:
    return next(c.conn_id for c in server.hub.conns if c.private)


async def test_f4_watch_ticker_and_ohlcv_through_ccxt_pro(pro, fake_bybit):
    first = await asyncio.wait_for(pro.watch_ticker(S), 5)
    fake_bybit.set_mark_price(60_500)
    second = await asyncio.wait_for(pro.watch_ticker(S), 5)
    assert (first["markPrice"], second["markPrice"], second["last"]) == (60_000.0, 60_500.0, 60_500.0)  # fmt: skip
    candles = await asyncio.wait_for(pro.watch_ohlcv(S, "1m"), 5)
    assert candles[-1][4] == 60_500.0


async def test_f4_watch_orders_and_my_trades_receive_fills(pro, fake_bybit):
    orders = asyncio.create_task(pro.watch_orders(S))
    await fake_bybit.wait_subscribed("order")
    await pro.create_order(S, "limit", "buy", 100, 59_000, {"postOnly": True, "clientOrderId": "f4-entry"})  # fmt: skip
    (new,) = await asyncio.wait_for(orders, 5)
    assert (new["clientOrderId"], new["status"], new["info"]["category"]) == ("f4-entry", "open", "inverse")  # fmt: skip
    trades = asyncio.create_task(pro.watch_my_trades(S))
    orders = asyncio.create_task(pro.watch_orders(S))
    await fake_bybit.wait_subscribed("execution")
    fake_bybit.fill_partially("f4-entry", 30)
    (trade,) = await asyncio.wait_for(trades, 5)
    # maker fee 30 × 0.0002 / 59,000 = 0.000000102 → 0.00000010 BTC
    assert (trade["amount"], trade["fee"]["cost"], trade["takerOrMaker"]) == (30.0, 0.0000001, "maker")  # fmt: skip
    assert trade["info"]["orderLinkId"] == "f4-entry"
    update = await asyncio.wait_for(orders, 5)
    assert update[-1]["filled"] == 30.0 and update[-1]["info"]["orderStatus"] == "PartiallyFilled"


async def test_f4_watch_positions_rest_snapshot_first_then_pushes(pro, fake_bybit):
    await pro.create_order(S, "market", "buy", 100)
    (snapshot,) = await asyncio.wait_for(pro.watch_positions([S]), 5)
    assert snapshot["contracts"] == 100.0
    assert {r.raw_query for r in fake_bybit.requests_to("/v5/position/list")} >= {"category=inverse&limit=200"}  # fmt: skip
    pushed = asyncio.create_task(pro.watch_positions([S]))
    await fake_bybit.wait_subscribed("position")
    await pro.create_order(S, "market", "buy", 50)
    (position,) = await asyncio.wait_for(pushed, 5)
    # entry = 150 / (100/60,000 + 50/60,000) = 60,000 (WS rows carry entryPrice)
    assert (position["contracts"], position["entryPrice"]) == (150.0, 60_000.0)


async def test_a1_watch_balance_reports_unified_equity(pro, fake_bybit):
    balance = asyncio.create_task(pro.watch_balance())
    await fake_bybit.wait_subscribed("wallet")
    await pro.create_order(S, "market", "buy", 100)
    update = await asyncio.wait_for(balance, 5)
    # wallet 0.01 − taker fee 100 × 0.00055 / 60,000 (0.00000092) = 0.00999908; uPnL 0 at entry
    assert update["BTC"]["total"] == 0.00999908


async def test_f2_ccxt_keepalive_pings_are_answered_and_the_socket_lives(pro, fake_bybit):
    await asyncio.wait_for(pro.watch_ticker(S), 5)
    for _ in range(300):  # keepAlive is 200 ms; wait for 3 answered pings
        pings = [m for m in fake_bybit.ws_messages if isinstance(m.message, dict) and m.message.get("op") == "ping"]  # fmt: skip
        if len(pings) >= 3:
            break
        await asyncio.sleep(0.02)
    assert all(isinstance(p.message["req_id"], int) for p in pings)
    fake_bybit.set_mark_price(60_250)
    assert (await asyncio.wait_for(pro.watch_ticker(S), 5))["markPrice"] == 60_250.0


async def test_f2_silent_stall_times_out_the_ccxt_connection(pro, fake_bybit):
    await asyncio.wait_for(pro.watch_ticker(S), 5)
    fake_bybit.stall_ws()
    fake_bybit.set_mark_price(60_300)  # this delta is lost, and no pong comes back
    with pytest.raises(ccxt.RequestTimeout, match="ping-pong"):
        await asyncio.wait_for(pro.watch_ticker(S), 10)
    fake_bybit.resume_ws()
    assert (await asyncio.wait_for(pro.watch_ticker(S), 5))["markPrice"] == 60_300.0  # resubscribed snapshot  # fmt: skip


async def test_f2_dropped_connection_rejects_pending_watch(pro, fake_bybit):
    await asyncio.wait_for(pro.watch_ticker(S), 5)
    pending = asyncio.create_task(pro.watch_ticker(S))
    await asyncio.sleep(0.05)
    assert await fake_bybit.drop_ws(private=False) == 1
    with pytest.raises(ccxt.NetworkError):
        await asyncio.wait_for(pending, 5)


async def test_f4_ws_auth_with_wrong_secret_is_authentication_error(ccxt_client):
    # preset account options and no currencies: no REST call needs the (wrong) secret
    options = {"enableUnifiedMargin": False, "enableUnifiedAccount": True}
    pro = ccxt_client(pro=True, secret="wrong-secret", options=options, has={"fetchCurrencies": False})  # fmt: skip
    await pro.load_markets()
    with pytest.raises(ccxt.AuthenticationError):
        await asyncio.wait_for(pro.watch_orders(S), 5)
