"""What the fake Bybit does to the account, as strict as Bybit (issue 16), through real ccxt.

Asynchronous processing (the stream after the ack), a shifted server clock (10002),
3400045 with its reasons, liquidation / ADL and their executions, funding at 00/08/16 UTC,
wallet frames with the changed coins only, hedge-mode rows, other positions, the default
trade-only key, and the ``rewrite`` fault.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp
import ccxt.async_support as ccxt
import pytest

from accountbuilder.testing.fake_bybit import FakeBybit
from accountbuilder.testing.fake_bybit.config import ApiKey, FakeConfig, OtherPosition
from accountbuilder.testing.fake_bybit.pytest_plugin import TEST_API_KEY, TEST_API_SECRET
from accountbuilder.testing.fake_bybit.signing import ws_signature

S = "BTC/USD:BTC"
HOUR = 3_600_000


class Clock:
    """A manual clock for the fake (ms)."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
async def ex(ccxt_client):
    client = ccxt_client()
    await client.load_markets()
    return client


async def private_ws(fake: FakeBybit, aiohttp_session, *topics: str):
    """A raw private connection, authenticated and subscribed to ``topics``."""
    ws = await aiohttp_session.ws_connect(fake.ws_url + "/v5/private")
    expires = str(fake.clock() + 10_000)
    await ws.send_json({"op": "auth", "args": [TEST_API_KEY, expires, ws_signature(TEST_API_SECRET, expires)]})  # fmt: skip
    await ws.receive()
    await ws.send_json({"op": "subscribe", "args": list(topics)})
    await ws.receive()
    await fake.wait_subscribed(topics[0])
    return ws


async def frames(ws, timeout: float = 0.3) -> list[dict]:
    got = []
    while True:
        try:
            msg = await asyncio.wait_for(ws.receive(), timeout)
        except TimeoutError:
            return got
        got.append(json.loads(msg.data))


@pytest.fixture
async def aiohttp_session():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_f4_async_processing_the_ack_first_the_order_frame_after_the_delay(aiohttp_session):
    clock = Clock(1_800_000_000_000)
    config = FakeConfig(api_keys=(_key(),), stream_delay_ms=3_000)
    async with FakeBybit(config, clock=clock) as fake:
        ws = await private_ws(fake, aiohttp_session, "order")
        fake.engine.create({"category": "inverse", "symbol": "BTCUSD", "side": "Buy",
                            "orderType": "Limit", "qty": "10", "price": "59000",
                            "orderLinkId": "late-1"})  # fmt: skip
        assert await frames(ws) == [] and fake.stream.held == 1  # acked, not yet on the stream
        clock.now += 2_999
        assert await frames(ws) == []
        clock.now += 1
        (frame,) = await frames(ws)
        await ws.close()

    assert frame["data"][0]["orderLinkId"] == "late-1" and frame["data"][0]["orderStatus"] == "New"
    assert frame["creationTime"] == 1_800_000_003_000  # sent 3 s after the change


async def test_issue16_a_server_clock_off_gives_10002_to_an_uncorrected_client(ccxt_client, fake_bybit):  # fmt: skip
    ex = ccxt_client()
    fake_bybit.faults.shift_clock(-2_000)  # our stamps land 2 s after the server's time

    with pytest.raises(ccxt.InvalidNonce, match="10002"):
        await ex.privateGetV5UserQueryApi()
    answer = (await ex.publicGetV5MarketTime())["result"]
    assert abs(int(answer["timeNano"]) // 1_000_000 - fake_bybit.clock()) < 1_000  # shifted
    fake_bybit.faults.shift_clock(2_000)  # 2 s ahead: inside the recv window (5 s)
    await ex.privateGetV5UserQueryApi()
    fake_bybit.faults.shift_clock(6_000)  # beyond it
    with pytest.raises(ccxt.InvalidNonce):
        await ex.privateGetV5UserQueryApi()


async def test_c5_3400045_reasons_are_in_the_answer(ccxt_client, fake_bybit):
    ex = ccxt_client()
    await ex.load_markets()
    await ex.create_order(S, "market", "buy", 10, None)

    with pytest.raises(ccxt.ExchangeError, match="3400045") as refused:
        await ex.set_margin_mode("isolated", S)

    body = json.loads(str(refused.value)[str(refused.value).index("{") :])
    assert [r["reasonCode"] for r in body["result"]["reasons"]] == ["3400101"]
    assert fake_bybit.engine.margin_mode == "REGULAR_MARGIN"


async def test_e6_liquidation_then_bust_trade_and_adl_trade(ex, fake_bybit):
    await ex.create_order(S, "market", "buy", 1_000, None)
    await ex.create_order(S, "limit", "sell", 10, 70_000, {"clientOrderId": "rest-1"})
    liq = fake_bybit.engine.liq_price()  # cross margin: the resting order's margin counts

    fake_bybit.set_mark_price(liq - 1)  # the mark reaches liqPrice: Bybit takes the position

    bust = fake_bybit.engine.executions[-1]
    assert (bust.exec_type, bust.price, bust.qty, bust.fee) == ("BustTrade", liq, 1_000, 0)
    assert fake_bybit.engine.position.size == 0
    assert fake_bybit.order("rest-1").cancel_type == "CancelAllBeforeLiq"
    rows = (await ex.privateGetV5ExecutionList({"category": "inverse", "execType": "BustTrade"}))["result"]["list"]  # fmt: skip
    assert [(r["execType"], r["orderLinkId"], r["execQty"]) for r in rows] == [("BustTrade", "", "1000")]  # fmt: skip


async def test_e6_adl_closes_the_position_at_the_mark_with_an_adl_trade(ex, fake_bybit):
    await ex.create_order(S, "market", "sell", 100, None)
    fake_bybit.set_mark_price(59_000)  # a winning short: the kind ADL takes

    adl = fake_bybit.liquidate("Adl")

    assert (adl.exec_type, adl.qty, adl.price, adl.order["side"]) == ("AdlTrade", 100, 59_000, "Buy")  # fmt: skip
    assert fake_bybit.engine.position.size == 0 and adl.pnl > 0


async def test_e6_the_position_row_says_liq_while_being_liquidated(aiohttp_session):
    async with FakeBybit(FakeConfig(api_keys=(_key(),))) as fake:
        fake.engine.create({"category": "inverse", "symbol": "BTCUSD", "side": "Buy",
                            "orderType": "Market", "qty": "100"})  # fmt: skip
        ws = await private_ws(fake, aiohttp_session, "position", "execution")
        fake.liquidate("Liq")
        got = await frames(ws)
        await ws.close()

    statuses = [f["data"][0]["positionStatus"] for f in got if f["topic"] == "position"]
    assert statuses == ["Liq", "Normal"]
    assert [f["data"][0]["execType"] for f in got if f["topic"] == "execution"] == ["BustTrade"]


async def test_g10_funding_at_00_08_16_utc_is_an_execution_with_its_fee():
    start = 1_800_000_000_000 - 1_800_000_000_000 % (8 * HOUR) + 7 * HOUR  # 07:00 or 15:00/23:00
    clock = Clock(start)
    async with FakeBybit(FakeConfig(api_keys=(_key(),)), clock=clock) as fake:
        fake.engine.create({"category": "inverse", "symbol": "BTCUSD", "side": "Buy",
                            "orderType": "Market", "qty": "600"})  # fmt: skip
        wallet = fake.engine.wallet_btc
        clock.now += HOUR - 1
        assert fake.settle_funding() == 0  # not yet
        clock.now += 1 + 16 * HOUR  # three funding times passed: +1 h, +9 h, +17 h
        assert fake.settle_funding() == 3
        funding = [e for e in fake.engine.executions if e.exec_type == "Funding"]

    # a long pays size / mark × rate = 600 / 60,000 × 0.0001 = 0.000001 BTC each time
    assert [(e.fee, e.fee_rate, e.time_ms % (8 * HOUR)) for e in funding] == [(Decimal("0.00000100"), Decimal("0.0001"), 0)] * 3  # fmt: skip
    assert fake.engine.wallet_btc == wallet - Decimal("0.000003")


async def test_a1_a_wallet_frame_holds_only_the_coins_that_changed(aiohttp_session):
    config = FakeConfig(api_keys=(_key(),), other_coins=(("USDT", Decimal(9_000)),))
    async with FakeBybit(config) as fake:
        ws = await private_ws(fake, aiohttp_session, "wallet")
        fake.move_coin("USDT", 684)
        fake.engine.create({"category": "inverse", "symbol": "BTCUSD", "side": "Buy",
                            "orderType": "Market", "qty": "60"})  # fmt: skip
        usdt, btc = [f["data"][0] for f in await frames(ws)]
        await ws.close()

    assert [c["coin"] for c in usdt["coin"]] == ["USDT"] and usdt["coin"][0]["walletBalance"] == "9684.000000"  # fmt: skip
    assert [c["coin"] for c in btc["coin"]] == ["BTC"]
    assert Decimal(usdt["totalEquity"]) == Decimal("9684") + Decimal(600)  # totals: every coin


async def test_a1_rest_wallet_lists_every_coin():
    config = FakeConfig(api_keys=(_key(),), other_coins=(("USDT", Decimal(10)),))
    async with FakeBybit(config) as fake:
        answer = fake.rest.wallet_balance({"accountType": "UNIFIED"}, TEST_API_KEY)

    assert [c["coin"] for c in answer["list"][0]["coin"]] == ["BTC", "USDT"]


async def test_f7_hedge_mode_rows_and_other_positions():
    others = (OtherPosition("linear", "ETHUSDT", "Sell", Decimal("2"), "USDT"),)
    config = FakeConfig(api_keys=(_key(),), position_mode="hedge", other_positions=others)
    async with FakeBybit(config) as fake:
        btcusd = fake.rest.position_list({"category": "inverse", "symbol": "BTCUSD"}, TEST_API_KEY)
        usdt = fake.rest.position_list({"category": "linear", "settleCoin": "USDT"}, TEST_API_KEY)
        usdc = fake.rest.position_list({"category": "linear", "settleCoin": "USDC"}, TEST_API_KEY)

    assert [r["positionIdx"] for r in btcusd["list"]] == [1, 2]
    assert [(r["symbol"], r["size"]) for r in usdt["list"]] == [("ETHUSDT", "2")]
    assert usdc["list"] == []


async def test_i4_the_default_key_holds_contract_trading_only(ex):
    perms = (await ex.privateGetV5UserQueryApi())["result"]["permissions"]

    assert {g: p for g, p in perms.items() if p} == {"ContractTrade": ["Order", "Position"]}


async def test_e3_the_rewrite_fault_answers_any_shape_after_processing(ex, fake_bybit):
    fake_bybit.faults.rewrite("/v5/position/list", lambda env: {**env, "result": {"list": None}})

    answer = await ex.privateGetV5PositionList({"category": "inverse", "symbol": "BTCUSD"})
    again = await ex.privateGetV5PositionList({"category": "inverse", "symbol": "BTCUSD"})

    assert answer["result"] == {"list": None}
    assert again["result"]["list"][0]["symbol"] == "BTCUSD"  # once only


def _key() -> ApiKey:
    return ApiKey(TEST_API_KEY, TEST_API_SECRET)
