"""Fake Bybit REST surface through the real ccxt 4.5.90: startup, account, auth, market data."""

from __future__ import annotations

import json

import aiohttp
import ccxt.async_support as ccxt
import pytest

from accountbuilder.testing.fake_bybit import FakeBybit, load_candles
from accountbuilder.testing.fake_bybit.pytest_plugin import TEST_API_KEY, TEST_API_SECRET
from accountbuilder.testing.fake_bybit.signing import rest_signature

S = "BTC/USD:BTC"


async def test_f7_startup_load_markets_gives_inverse_btcusd(ccxt_client, fake_bybit: FakeBybit):
    ex = ccxt_client()
    market = (await ex.load_markets())[S]
    assert (market["id"], market["type"], market["inverse"], market["settle"]) == ("BTCUSD", "swap", True, "BTC")  # fmt: skip
    assert market["contractSize"] == 1.0  # from lotSizeFilter.minOrderQty (reference §2.1)
    assert (market["precision"]["amount"], market["precision"]["price"]) == (1.0, 0.5)
    seen = sorted((r.path, r.raw_query) for r in fake_bybit.requests)
    assert seen == [
        ("/v5/asset/coin/query-info", ""),
        ("/v5/market/instruments-info", "category=inverse&limit=1000"),
        ("/v5/market/instruments-info", "category=inverse&limit=1000&status=PreLaunch"),
    ]


async def test_f7_prelaunch_query_is_empty_with_empty_cursor(ccxt_client):
    ex = ccxt_client(api_key=None)
    answer = await ex.publicGetV5MarketInstrumentsInfo({"category": "inverse", "status": "PreLaunch"})  # fmt: skip
    assert answer["result"] == {"category": "inverse", "list": [], "nextPageCursor": ""}
    assert answer["retCode"] == 0 and isinstance(answer["time"], int)


async def test_a1_fetch_balance_reads_unified_btc_wallet(ccxt_client, fake_bybit: FakeBybit):
    ex = ccxt_client()
    balance = await ex.fetch_balance()
    assert balance["BTC"] == {"free": 0.01, "used": 0.0, "total": 0.01, "debt": 0.0}
    coin = balance["info"]["result"]["list"][0]["coin"][0]
    # equity = walletBalance + unrealisedPnl = 0.01 + 0 (flat); usdValue = 0.01 × 60,000 = 600
    assert (coin["equity"], coin["usdValue"]) == ("0.01000000", "600.00")
    probe = [r.path for r in fake_bybit.requests if r.path.startswith(("/v5/user", "/v5/account"))]
    assert sorted(probe) == ["/v5/account/info", "/v5/account/wallet-balance", "/v5/user/query-api"]
    assert (
        fake_bybit.requests_to("/v5/account/wallet-balance")[0].raw_query == "accountType=UNIFIED"
    )


async def test_f7_fetch_positions_flat_row_has_no_liquidation_price(ccxt_client):
    ex = ccxt_client()
    (position,) = await ex.fetch_positions([S])
    assert (position["contracts"], position["side"], position["liquidationPrice"]) == (0.0, None, None)  # fmt: skip
    assert position["info"]["positionIdx"] == 0 and position["hedged"] is False


async def test_b3_set_leverage_twice_second_is_110043_bad_request(ccxt_client, fake_bybit):
    ex = ccxt_client()
    await ex.set_leverage(3, S)
    with pytest.raises(ccxt.BadRequest, match="110043"):
        await ex.set_leverage(3, S)
    sent = [r.raw_body for r in fake_bybit.requests_to("/v5/position/set-leverage")]
    body = b'{"symbol":"BTCUSD","buyLeverage":"3","sellLeverage":"3","category":"inverse"}'
    assert sent == [body, body]
    assert fake_bybit.engine.position.leverage == 3


async def test_f7_set_position_mode_one_way_is_no_change_hedge_refused(ccxt_client, fake_bybit):
    ex = ccxt_client()
    with pytest.raises(ccxt.NoChange, match="110025"):
        await ex.set_position_mode(False, S)
    with pytest.raises(ccxt.BadRequest, match="110029"):
        await ex.set_position_mode(True, S)
    first = fake_bybit.requests_to("/v5/position/switch-mode")[0]
    assert first.raw_body == b'{"mode":0,"symbol":"BTCUSD","category":"inverse"}'


async def test_f7_query_api_shows_withdraw_permission_only_when_granted(ccxt_client, fake_bybit):
    fake_bybit.add_api_key("withdraw-key", "withdraw-secret", withdraw=True)
    plain = await ccxt_client().privateGetV5UserQueryApi()
    risky = await ccxt_client(api_key="withdraw-key", secret="withdraw-secret").privateGetV5UserQueryApi()  # fmt: skip
    assert "Withdraw" not in plain["result"]["permissions"]["Wallet"]
    assert "Withdraw" in risky["result"]["permissions"]["Wallet"]
    assert (plain["result"]["uta"], plain["result"]["readOnly"]) == (1, 0)


async def test_f7_read_only_key_cannot_trade(ccxt_client, fake_bybit):
    fake_bybit.add_api_key("ro-key", "ro-secret", read_only=True)
    ex = ccxt_client(api_key="ro-key", secret="ro-secret")
    await ex.load_markets()
    with pytest.raises(ccxt.PermissionDenied, match="10005"):
        await ex.create_order(S, "limit", "buy", 1, 59_000)


async def test_f7_bad_secret_is_authentication_error_10004(ccxt_client):
    ex = ccxt_client(secret="wrong-secret")
    with pytest.raises(ccxt.AuthenticationError, match="10004"):
        await ex.fetch_positions([S], {"category": "inverse"})


async def test_f7_unknown_key_is_authentication_error_10003(ccxt_client):
    ex = ccxt_client(api_key="nobody", secret="x")
    with pytest.raises(ccxt.AuthenticationError, match="10003"):
        await ex.privateGetV5PositionList({"category": "inverse", "symbol": "BTCUSD"})


async def test_f7_timestamp_outside_recv_window_is_invalid_nonce_10002(ccxt_client):
    ex = ccxt_client()
    ex.options["timeDifference"] = 20_000  # ccxt signs with now − 20 s; recv window is 5 s
    with pytest.raises(ccxt.InvalidNonce, match="10002"):
        await ex.privateGetV5PositionList({"category": "inverse", "symbol": "BTCUSD"})


def test_f7_signature_matches_reference_worked_example():
    # reference §1.5: key XXXXXXXXXX, secret YYYYYYYYYY, ts 1658384314791, recv 5000
    sign = rest_signature("YYYYYYYYYY", "1658384314791", "XXXXXXXXXX", "5000", "category=inverse&symbol=BTCUSD")  # fmt: skip
    assert sign == "b4468cd334279eccbab4c84ecc08d16a6dd1f02b5955600e2aabde761bc24400"


async def test_f7_signature_is_checked_on_raw_body_bytes(fake_bybit: FakeBybit):
    signed = '{"category":"inverse","symbol":"BTCUSD","buyLeverage":"5","sellLeverage":"5"}'
    sent = json.dumps(json.loads(signed))  # same dict, different bytes (spaces after ':')
    stamp = str(fake_bybit.clock())
    headers = {"X-BAPI-API-KEY": TEST_API_KEY, "X-BAPI-TIMESTAMP": stamp, "X-BAPI-RECV-WINDOW": "5000",
               "X-BAPI-SIGN": rest_signature(TEST_API_SECRET, stamp, TEST_API_KEY, "5000", signed)}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        url = fake_bybit.url + "/v5/position/set-leverage"
        async with http.post(url, data=sent, headers=headers) as bad:
            assert (await bad.json())["retCode"] == 10004
        async with http.post(url, data=signed, headers=headers) as good:
            assert (await good.json())["retCode"] == 0


async def test_i4_secret_is_never_sent_recorded_or_echoed(ccxt_client, fake_bybit):
    ex = ccxt_client(secret="wrong-secret")
    with pytest.raises(ccxt.AuthenticationError) as caught:
        await ex.fetch_positions([S])
    await ccxt_client().fetch_positions([S])
    texts = [repr(r) for r in fake_bybit.requests] + [str(caught.value)]
    assert not any(secret in t for t in texts for secret in ("wrong-secret", TEST_API_SECRET))


async def test_e1_ticker_and_time_follow_the_set_mark_price(ccxt_client, fake_bybit):
    ex = ccxt_client(api_key=None)
    fake_bybit.set_mark_price(61_000)
    ticker = await ex.fetch_ticker(S)
    assert (ticker["last"], ticker["markPrice"], ticker["indexPrice"]) == (61_000.0, 61_000.0, 61_000.0)  # fmt: skip
    # 24h change: 61,000 / 60,000 − 1 = 0.016667 (6 decimals)
    assert ticker["info"]["price24hPcnt"] == "0.016667"
    before = fake_bybit.clock()
    assert before <= await ex.fetch_time() <= fake_bybit.clock()


async def test_d2_daily_klines_aggregate_real_history_newest_first(
    ccxt_client, fake_bybit, shared_data
):
    candles = load_candles(shared_data / "btcusd_5m_2019-11_2020-03.csv.gz")[:900]
    fake_bybit.load_history(candles)
    ex = ccxt_client(api_key=None)
    days = await ex.fetch_ohlcv(S, "1d", limit=2)
    raw = (await ex.publicGetV5MarketKline({"category": "inverse", "symbol": "BTCUSD", "interval": "D", "limit": "2"}))["result"]["list"]  # fmt: skip
    assert int(raw[0][0]) > int(raw[1][0])  # newest first on the wire; ccxt reverses it
    day = days[-1][0]
    in_day = [c for c in candles if day <= c.start_ms < day + 86_400_000]
    assert days[-1][1:5] == [float(in_day[0].open), float(max(c.high for c in in_day)),
                             float(min(c.low for c in in_day)), float(in_day[-1].close)]  # fmt: skip
    mark = await ex.fetch_ohlcv(S, "1d", limit=1, params={"price": "mark"})
    assert mark[0][5] is None  # mark klines have 5 fields; ccxt gives no volume
