"""Live start against the fake Bybit: wire traffic and account checks (SPEC F7, C5, B3, A3, F1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.integration.exchange.bybit.livekit import (
    LiveKit,
    ManualClock,
    start_config,
)

from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType, TimeInForce
from accountbuilder.domain.models import OrderSpec
from accountbuilder.exchange.errors import PermissionRefused, UnsupportedAccount
from accountbuilder.testing.fake_bybit.config import OtherPosition
from accountbuilder.testing.fake_bybit.server import FakeBybit
from accountbuilder_runner.live import StartRefused

PRIVATE_TOPICS = {"order", "execution", "position", "wallet"}
PUBLIC_TOPICS = {"tickers.BTCUSD", "kline.1.BTCUSD", "kline.D.BTCUSD"}


async def test_f7_c5_b3_a3_startup_traffic_and_account_checks(kit: LiveKit):
    session = await kit.open()

    requests = kit.server.requests
    paths = [r.path for r in requests]
    assert paths[:3] == ["/v5/market/time", "/v5/user/query-api", "/v5/account/info"]  # clock,
    # then the key and the account are judged before anything else
    assert "/v5/asset/coin/query-info" not in paths  # fetchCurrencies off
    markets = [r.params for r in requests if r.path == "/v5/market/instruments-info"]
    assert markets and all(p["category"] == "inverse" for p in markets)  # inverse markets only
    assert "/v5/position/switch-mode" not in paths  # already one-way: nothing to switch
    assert "/v5/position/trading-stop" not in paths
    # C5: the fake starts cross (REGULAR_MARGIN); nothing is open, so isolated is set.
    modes = kit.server.requests_to("/v5/account/set-margin-mode")
    assert [r.params["setMarginMode"] for r in modes] == ["ISOLATED_MARGIN"]
    assert kit.server.engine.margin_mode == "ISOLATED_MARGIN"
    # B3: the exchange had 10x; it is lowered to S1's 3x, never raised.
    lev = kit.server.requests_to("/v5/position/set-leverage")
    assert [(r.params["buyLeverage"], r.params["sellLeverage"]) for r in lev] == [("3", "3")]
    assert lev[0].params["symbol"] == "BTCUSD" and lev[0].params["category"] == "inverse"
    assert session.core.state.leverage_in_force == Decimal(3)
    # A3: the account's real rates (the fake's 0.02 % / 0.055 %), not the config defaults.
    assert session.core.kit.fees.maker == Decimal("0.0002")
    assert session.core.kit.fees.taker == Decimal("0.00055")
    # Risk tier: the docs-shaped "0.5" is percent → MMR 0.005; 150 BTC at the mark in contracts.
    tier = session.core.kit.instrument.risk_tiers[0]
    assert tier.maintenance_margin_rate == Decimal("0.005")
    assert tier.limit_contracts == int(150 * Decimal("44014.5"))
    # F1: every REST request of the start passed the one budget, once.
    assert kit.budget.in_window(kit.clock()) == len(requests)
    subscribed = {t for c in kit.server.hub.conns for t in c.topics}
    assert subscribed >= PRIVATE_TOPICS | PUBLIC_TOPICS


async def test_b3_lower_leverage_on_the_exchange_is_kept_not_raised(clock: ManualClock):
    async with FakeBybit(start_config(leverage=Decimal(2)), clock=clock) as server:
        kit = LiveKit(server, clock)
        session = await kit.open()
        await kit.close()

    assert server.requests_to("/v5/position/set-leverage") == []
    assert server.engine.position.leverage == Decimal(2)
    assert session.core.state.leverage_in_force == Decimal(2)


async def test_b3_restart_asking_more_than_in_force_keeps_the_lower_leverage(kit: LiveKit):
    session = await kit.open()
    saved = session.core.state.to_dict()
    saved["leverage_in_force"] = "2"  # an earlier stage lowered it (S3: 2x)
    await kit.close()

    second = LiveKit(kit.server, kit.clock)
    again = await second.open(saved=saved)
    await second.close()

    sent = [r.params["buyLeverage"] for r in kit.server.requests_to("/v5/position/set-leverage")]
    assert sent == ["3", "2"]  # lowered 10 → 3 on the first start, 3 → 2 on the second
    assert again.core.state.leverage_in_force == Decimal(2)


async def test_c5_wrong_margin_mode_with_a_position_open_refuses_to_start(kit: LiveKit):
    adapter = kit.adapter()
    await adapter.verify_key()
    buy = OrderSpec("manual_L_tk0", OrderRole.TAKER_ENTRY, OrderSide.BUY, OrderType.MARKET, 50,
                    time_in_force=TimeInForce.IOC)  # fmt: skip
    await adapter.place_order(buy)  # opened by hand, while the account is cross
    created = len(kit.server.requests_to("/v5/order/create"))

    with pytest.raises(StartRefused, match="margin mode is cross"):
        await kit.open()

    assert kit.server.requests_to("/v5/account/set-margin-mode") == []
    assert len(kit.server.requests_to("/v5/order/create")) == created  # nothing sent


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ((("Wallet", "Withdraw"),), "Wallet: Withdraw"),
        ((("Wallet", "SubMemberTransfer"),), "Wallet: SubMemberTransfer"),
        (
            (("Wallet", "AccountTransfer"), ("FiatP2P", "FiatP2POrder")),
            "Wallet: AccountTransfer, FiatP2P: FiatP2POrder",
        ),  # fmt: skip
    ],
)
async def test_i4_a_key_beyond_the_allowlist_is_refused_before_any_trading_call(
    kit: LiveKit, extra, named
):
    kit.server.add_api_key("wide-key", "wide-secret", extra=extra)
    adapter = kit.adapter("wide-key", "wide-secret")

    with pytest.raises(PermissionRefused, match=named):
        await kit.open(adapter=adapter)

    assert [r.path for r in kit.server.requests] == ["/v5/market/time", "/v5/user/query-api"]


async def test_f7_hedge_mode_refuses_to_start_with_instructions_and_never_switches(
    clock: ManualClock,
):
    async with FakeBybit(start_config(position_mode="hedge"), clock=clock) as server:
        kit = LiveKit(server, clock)
        with pytest.raises(StartRefused, match="one-way mode") as refused:
            await kit.open()
        await kit.close()

    assert "positionIdx 1/2" in str(refused.value)
    assert server.requests_to("/v5/position/switch-mode") == []  # verified, never switched
    assert server.requests_to("/v5/order/create") == []


@pytest.mark.parametrize(
    ("status", "named"),
    [(1, "classic account"), (3, "UTA 1.0"), (4, "UTA 1.0"), (2, "Unified Margin")],
)
async def test_issue16_an_account_mode_other_than_uta_2_is_refused_clearly(
    clock: ManualClock, status, named
):
    async with FakeBybit(start_config(unified_margin_status=status), clock=clock) as server:
        kit = LiveKit(server, clock)
        with pytest.raises(UnsupportedAccount, match=named) as refused:
            await kit.open()
        await kit.close()

    assert f"unifiedMarginStatus {status}" in str(refused.value)
    assert "UTA 2.0" in str(refused.value)  # what to do instead
    assert not [r for r in server.requests if r.method == "POST"]  # nothing was changed


async def test_c5_margin_mode_is_never_switched_while_the_account_holds_other_positions(
    clock: ManualClock,
):
    others = (OtherPosition("linear", "ETHUSDT", "Buy", Decimal("0.5")),)
    async with FakeBybit(start_config(other_positions=others), clock=clock) as server:
        kit = LiveKit(server, clock)
        with pytest.raises(StartRefused, match="linear ETHUSDT Buy 0.5") as refused:
            await kit.open()
        await kit.close()

    assert "account-wide margin mode" in str(refused.value)
    assert server.requests_to("/v5/account/set-margin-mode") == []
    assert server.engine.margin_mode == "REGULAR_MARGIN"
