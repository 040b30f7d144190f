"""Fixtures: the fake Bybit on a manual clock, the live kit around it, an adapter past its checks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.integration.exchange.bybit.livekit import (
    WALLET_S1,
    WALLET_S2,
    LiveKit,
    ManualClock,
    start_config,
)
from tests.unit.exchange.bybit.conftest import caplog_loguru  # noqa: F401

from accountbuilder.exchange.bybit import BybitExchange
from accountbuilder.testing.fake_bybit.server import FakeBybit


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def _kit(clock: ManualClock, wallet_btc) -> AsyncIterator[LiveKit]:
    server = FakeBybit(start_config(wallet_btc), clock=clock)
    await server.start()
    live = LiveKit(server, clock)
    yield live
    await live.close()
    await server.stop()


@pytest.fixture
async def kit(clock: ManualClock) -> AsyncIterator[LiveKit]:
    """A fake Bybit on the manual clock, S1-sized account, price just above a grid level."""
    async for live in _kit(clock, WALLET_S1):
        yield live


@pytest.fixture
async def kit_s2(clock: ManualClock) -> AsyncIterator[LiveKit]:
    """The same with an S2-sized account (where a G4 taker entry is allowed)."""
    async for live in _kit(clock, WALLET_S2):
        yield live


@pytest.fixture
async def port(kit: LiveKit) -> BybitExchange:
    """An adapter past its start checks, streams subscribed."""
    adapter = kit.adapter()
    await adapter.measure_clock()
    await adapter.verify_key()
    await adapter.verify_account()
    adapter.start_streams()
    assert await adapter.streams.ready(5)
    return adapter
