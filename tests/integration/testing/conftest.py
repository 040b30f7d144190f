"""Fixtures of the fake Bybit server for these tests (see its pytest_plugin)."""

from accountbuilder.testing.fake_bybit.pytest_plugin import (  # noqa: F401
    ccxt_client,
    fake_bybit,
    fake_bybit_config,
)
