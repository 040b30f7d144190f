"""The dry run's client cannot sign or send a private request (issue 20)."""

from __future__ import annotations

import pytest

from accountbuilder.exchange.bybit.client import ClientSettings
from accountbuilder.exchange.bybit.public import (
    PUBLIC_TOPICS,
    PrivateCallRefused,
    PublicBybitClient,
    is_public_path,
)
from accountbuilder.health.rest_budget import RestBudget

NOW = 1_700_000_000_000


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def client():
    made = PublicBybitClient(ClientSettings(url="http://127.0.0.1:9"), RestBudget(), lambda: NOW, _no_sleep)  # fmt: skip
    yield made
    await made.close()


async def test_issue20_the_public_client_holds_no_key_and_ccxt_cannot_sign(client):
    assert not client.has_credentials
    assert not client.ccxt.apiKey and not client.ccxt.secret
    with pytest.raises(Exception, match="apiKey"):
        client.ccxt.check_required_credentials()


@pytest.mark.parametrize(
    "path", ["/v5/order/create", "/v5/account/wallet-balance", "/v5/position/list",
             "/v5/user/query-api", "/v5/market/../order/create", "/v5/asset/coin/query-info"],
)  # fmt: skip
async def test_issue20_a_private_path_is_refused_before_it_is_counted_or_sent(client, path):
    with pytest.raises(PrivateCallRefused):
        await client.spend(path)

    assert client.budget.in_window(NOW) == 0


async def test_f1_a_public_path_is_counted_in_the_budget(client):
    assert await client.spend("/v5/market/kline") is False  # counted here, not prepaid

    assert client.budget.in_window(NOW) == 1


@pytest.mark.parametrize("topic", ["order", "execution", "position", "wallet"])
async def test_issue20_a_private_topic_is_never_subscribed(client, topic):
    with pytest.raises(PrivateCallRefused):
        await client.watch(topic)


async def test_issue20_a_private_ccxt_call_fails_without_a_request(client):
    with pytest.raises(Exception, match="apiKey"):  # ccxt refuses to sign: no network at all
        await client.call("privateGetV5AccountWalletBalance", {"accountType": "UNIFIED"})

    assert client.budget.in_window(NOW) == 0


def test_issue20_public_topics_and_paths():
    assert PUBLIC_TOPICS == ("tickers", "kline.1", "kline.D")
    assert is_public_path("/v5/market/tickers") and not is_public_path("/v5/order/realtime")
