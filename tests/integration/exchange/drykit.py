"""A dry run's pieces against the fake Bybit, on a manual clock (issue 20).

The fake serves only the market here: its account is never touched, its request log shows
what the dry run asked for. ``DryKit.tick`` advances the shared clock a second, nudges the
mark by a tick (so tickers flow like a live market) and runs one driver step, as ``LiveKit``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.integration.exchange.bybit.livekit import (
    MARK0,
    SEC,
    TICK,
    ManualClock,
    daily_bars,
    live_config,
)

from accountbuilder.config.models import AppConfig
from accountbuilder.exchange.bybit.client import ClientSettings
from accountbuilder.exchange.bybit.feed import PublicFeed
from accountbuilder.exchange.dryrun import DryRunExchange, DryStart
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.testing.fake_bybit.server import FakeBybit
from accountbuilder_runner.dryrun import DrySession, open_dry_session
from accountbuilder_runner.live import first_ticks

START_EQUITY_USD = Decimal(110)  # 0.0025 BTC at MARK0: stage S1, as LiveKit's account


class DryKit:
    """Builds a dry session on the fake's public endpoints and ticks it."""

    def __init__(self, server: FakeBybit, clock: ManualClock) -> None:
        self.server, self.clock = server, clock
        self.budget = RestBudget()
        self.base = MARK0
        self.saves: list[dict[str, Any]] = []  # every account document handed to on_change
        self.session: DrySession | None = None
        self.feeds: list[PublicFeed] = []
        self.trades: list = []  # trade records (I1) of every round
        self.halts: list = []
        self._flip = False

    def feed(self) -> PublicFeed:
        settings = ClientSettings(
            url=self.server.url, rate_limit=False, keepalive_ms=50, budget_wait_ms=0
        )
        made = PublicFeed.connect(settings, self.budget, self.clock, self.clock.sleep)
        self.feeds.append(made)
        return made

    async def open(
        self,
        config: AppConfig | None = None,
        *,
        saved: dict | None = None,
        account: dict | None = None,
        history: bool = True,
        equity_usd: Decimal = START_EQUITY_USD,
    ) -> DrySession:
        """Open (or, with ``saved``/``account``, resume) the dry session; run the first tick."""
        if history:
            self.server.load_history(daily_bars(self.clock(), MARK0))
        start = DryStart(equity_usd, account)
        port = await DryRunExchange.open(self.feed(), self.budget, start, self.saves.append)
        self.session = await open_dry_session(
            port, config or live_config(), self.budget, self.clock, saved=saved,
            streams_ready_s=5,
        )  # fmt: skip
        self.session.driver.on_outbox = self._collect
        await first_ticks(self.session, self.clock)
        return self.session

    def _collect(self, now_ms: int, out, core) -> None:
        self.trades += out.trades
        self.halts += out.halts

    @property
    def core(self):
        return self.session.core

    @property
    def state(self):
        return self.session.core.state

    @property
    def book(self):
        return self.session.port.engine.book

    def move(self, price: Decimal) -> None:
        self.base = Decimal(price)
        self.server.set_mark_price(self.base)

    async def tick(self, n: int = 1, ms: int = SEC, nudge: bool = True) -> None:
        for _ in range(n):
            self.clock.advance(ms)
            if nudge:
                self._flip = not self._flip
                self.server.set_mark_price(self.base + (TICK if self._flip else 0))
            await asyncio.sleep(0.01)  # let the frames reach the feed
            await self.session.driver.step(self.clock())

    async def until(self, done: Callable[[], bool], max_ticks: int = 120, **kw: Any) -> int:
        for n in range(max_ticks):
            if done():
                return n
            await self.tick(**kw)
        raise AssertionError(f"not reached after {max_ticks} ticks: {self.describe()}")

    def describe(self) -> str:
        s = self.state
        orders = [(o.client_id, o.phase.value) for o in s.orders.by_cid.values()]
        return f"main={s.main.state} stop={s.stop.state} halt={s.halt.phase} orders={orders}"

    def open_orders(self, role: str) -> list:
        """The simulated account's working orders whose client id carries ``_{role}``."""
        return [o for cid, o in self.book.open.items() if f"_{role}" in cid]

    async def close(self) -> None:
        if self.session is not None:
            await self.session.port.close()
        for feed in self.feeds:
            await feed.close()
