"""The ccxt client: where it points, and how its requests are counted (SPEC F1)."""

from __future__ import annotations

import asyncio

import pytest

from accountbuilder.exchange.bybit.client import BybitClient, ClientSettings, prepaid
from accountbuilder.exchange.errors import RateLimited
from accountbuilder.health.rest_budget import RestBudget

NOW = 1_700_000_000_000


async def _no_sleep(_: float) -> None:
    return None


def client(settings: ClientSettings, budget: RestBudget | None = None) -> BybitClient:
    return BybitClient("key-0001", "secret-0001", settings, budget or RestBudget(), lambda: NOW,
                       _no_sleep, str)  # fmt: skip


async def test_f7_testnet_uses_the_sandbox_hosts():
    c = client(ClientSettings(testnet=True))

    api = c.ccxt.urls["api"]
    assert api["private"].startswith("https://api-testnet.")
    assert api["ws"]["private"]["contract"].startswith("wss://stream-testnet.")
    assert api["ws"]["public"]["inverse"].endswith("/v5/public/inverse")
    await c.close()


async def test_f7_a_base_url_keeps_bybit_paths_for_rest_and_ws():
    c = client(ClientSettings(url="http://127.0.0.1:8080/"))

    api = c.ccxt.urls["api"]
    assert {api[k] for k in ("spot", "futures", "v2", "public", "private")} == {
        "http://127.0.0.1:8080"
    }
    assert api["ws"]["public"]["inverse"] == "ws://127.0.0.1:8080/v5/public/inverse"
    assert api["ws"]["private"]["contract"] == "ws://127.0.0.1:8080/v5/private"
    assert c.ccxt.milliseconds() == NOW  # ccxt signs with the injected clock
    assert c.ccxt.options["fetchMarkets"]["types"] == ["inverse"]  # inverse markets only
    await c.close()


async def test_f1_prepaid_requests_are_not_counted_twice_others_are():
    budget = RestBudget()
    c = client(ClientSettings(), budget)

    with prepaid(1):
        assert await c.spend("/v5/order/create") is True  # the executor counted it
        assert await c.spend("/v5/order/realtime") is False  # an extra one: counted here
    assert await c.spend("/v5/market/tickers") is False

    assert budget.in_window(NOW) == 2
    await c.close()


async def test_f1_a_request_that_does_not_fit_is_never_sent():
    budget = RestBudget()
    for _ in range(80):
        budget.try_acquire(NOW, protective=False)
    c = client(ClientSettings(budget_wait_ms=0), budget)

    with pytest.raises(RateLimited, match="F1"):
        await c.spend("/v5/market/tickers")
    with prepaid(0, protective=True):
        assert await c.spend("/v5/order/amend") is False  # the protective reserve (F1)
    assert budget.in_window(NOW) == 81
    await c.close()


async def test_f1_f6_an_extra_request_inside_a_tick_never_waits_for_a_slot():
    budget = RestBudget()
    for _ in range(80):
        budget.try_acquire(NOW, protective=False)
    c = client(ClientSettings(budget_wait_ms=65_000), budget)  # own reads could wait 65 s ...

    with prepaid(1), pytest.raises(RateLimited):
        assert await c.spend("/v5/order/create") is True
        await asyncio.wait_for(c.spend("/v5/order/realtime"), 1.0)  # ... not this one
    await c.close()
