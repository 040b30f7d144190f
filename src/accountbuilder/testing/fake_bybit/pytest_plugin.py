"""Pytest fixtures: a running FakeBybit and a factory of ccxt clients aimed at it.

Enable with ``pytest_plugins = ["accountbuilder.testing.fake_bybit.pytest_plugin"]`` in the
root ``conftest.py``, or import the fixtures into a package-level ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from accountbuilder.testing.fake_bybit.ccxt_setup import connect_ccxt
from accountbuilder.testing.fake_bybit.config import ApiKey, FakeConfig
from accountbuilder.testing.fake_bybit.server import FakeBybit

TEST_API_KEY = "fake-test-key"
TEST_API_SECRET = "fake-test-secret"  # a throwaway credential of the fake, not a real secret


@pytest.fixture
def fake_bybit_config() -> FakeConfig:
    """Starting state of ``fake_bybit``; override this fixture to change it."""
    return FakeConfig(api_keys=(ApiKey(TEST_API_KEY, TEST_API_SECRET),))


@pytest.fixture
async def fake_bybit(fake_bybit_config: FakeConfig) -> AsyncIterator[FakeBybit]:
    """A started FakeBybit on a free 127.0.0.1 port, stopped after the test."""
    server = FakeBybit(fake_bybit_config)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def ccxt_client(fake_bybit: FakeBybit) -> AsyncIterator[Callable[..., Any]]:
    """Factory ``make(pro=False, api_key=TEST_API_KEY, secret=TEST_API_SECRET, **config)``.

    Returns a ccxt (or ccxt.pro) bybit client aimed at ``fake_bybit``; every client made is
    closed after the test. Pass ``api_key=None`` for a client without credentials.
    """
    made: list[Any] = []

    def make(
        pro: bool = False, api_key: str | None = TEST_API_KEY, secret: str | None = TEST_API_SECRET,
        **config: Any,
    ) -> Any:  # fmt: skip
        exchange = connect_ccxt(fake_bybit, pro=pro, api_key=api_key, secret=secret, **config)
        made.append(exchange)
        return exchange

    yield make
    for exchange in made:
        await exchange.close()
