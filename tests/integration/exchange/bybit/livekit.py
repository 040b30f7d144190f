"""The live runner's pieces against the fake Bybit, on a manual clock.

The fake, ccxt (it signs with the adapter's clock) and the core all read one ``ManualClock``;
``LiveKit.tick`` advances it by a second, nudges the mark by one tick (so tickers flow like a
live market) and runs one driver step. A minute of ticks takes well under a second. The clock
starts a day ahead of the wall clock: ccxt.pro's keep-alive compares pongs stamped with it
against real time, and a clock ahead of real time never looks late.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from accountbuilder.config import load_config
from accountbuilder.config.models import AppConfig
from accountbuilder.exchange.bybit import BybitExchange, BybitSettings, ClientSettings, Credentials
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.signal.grid import level_price
from accountbuilder.testing.fake_bybit.bars import Bar
from accountbuilder.testing.fake_bybit.config import ApiKey, FakeConfig
from accountbuilder.testing.fake_bybit.server import FakeBybit
from accountbuilder_runner.live import LiveSession, first_ticks, open_session

DAY, HOUR, SEC = 86_400_000, 3_600_000, 1_000
KEY, SECRET = "live-kit-key", "live-kit-secret"
TICK = Decimal("0.5")
SPACING = Decimal("0.03")
ENTRY_PRICE = Decimal("43839.0")  # level 50 at 3 % from 10,000 (43,839.06), rounded down (C3)
TP_PRICE = Decimal("45154.5")  # level 51 (45,154.23), a long's TP rounded up (C3)
MARK0 = Decimal("44014.5")  # 0.4 % above the entry level
WALLET_S1 = Decimal("0.0025")  # 110 USD at MARK0: stage S1
WALLET_S2 = Decimal("0.0100")  # 440 USD at MARK0: stage S2 (a taker entry is possible, G4)
CREATE = "/v5/order/create"

assert level_price(50, SPACING).quantize(Decimal("0.01")) == Decimal("43839.06")


class ManualClock:
    """UTC ms that only move when told to; ``sleep`` advances them instead of waiting."""

    def __init__(self, start_ms: int | None = None) -> None:
        tomorrow = (int(time.time() * 1000) // DAY + 1) * DAY
        self.now = start_ms if start_ms is not None else tomorrow + HOUR

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms

    async def sleep(self, seconds: float) -> None:
        self.now += max(int(seconds * 1000), 1)
        await asyncio.sleep(0)


STREAM_DELAY_MS = 200  # Bybit processes asynchronously: the stream follows the ack


def start_config(wallet_btc: Decimal = WALLET_S1, **kw: Any) -> FakeConfig:
    """The fake's account; its private frames follow the change by ``STREAM_DELAY_MS``."""
    kw.setdefault("stream_delay_ms", STREAM_DELAY_MS)
    return FakeConfig(api_keys=(ApiKey(KEY, SECRET),), price=MARK0, wallet_btc=wallet_btc, **kw)


def live_config(**parts: dict[str, Any]) -> AppConfig:
    """The shipped config with a fixed 3 % grid and a stored backtest win rate of 60 % (D4)."""
    cfg = load_config()
    grid = cfg.execution.grid.model_copy(update={"spacing_mode": "fixed", "spacing_pct": SPACING})
    cfg = cfg.model_copy(
        update={
            "execution": cfg.execution.model_copy(update={"grid": grid}),
            "runner": cfg.runner.model_copy(update={"backtest_winrate": Decimal("0.6")}),
        }
    )
    for name, update in parts.items():
        cfg = cfg.model_copy(update={name: getattr(cfg, name).model_copy(update=update)})
    return cfg


def daily_bars(now_ms: int, price: Decimal, days: int = 20, width: Decimal = Decimal("0.05")):
    """Closed daily candles whose true range is ``width`` of the price: ATR(14) = width (D2)."""
    today = now_ms - now_ms % DAY
    half = price * width / 2
    return [
        Bar(today - (days - i) * DAY, DAY, price, price + half, price - half, price)
        for i in range(days)
    ]


class LiveKit:
    """Builds the live session on the fake and ticks it."""

    def __init__(self, server: FakeBybit, clock: ManualClock) -> None:
        self.server, self.clock = server, clock
        self.budget = RestBudget()
        self.base = MARK0
        self.last: Decimal | None = None  # hold the last price here while the mark moves
        self.session: LiveSession | None = None
        self.adapters: list[BybitExchange] = []
        self._flip = False

    def adapter(
        self, key: str = KEY, secret: str = SECRET, *, timeout_ms: int = 5_000
    ) -> BybitExchange:
        client = ClientSettings(
            url=self.server.url, rate_limit=False, keepalive_ms=50, timeout_ms=timeout_ms,
            budget_wait_ms=0,
        )  # fmt: skip
        made = BybitExchange.connect(
            Credentials(key, secret, "test"),
            BybitSettings(client=client),
            self.budget,
            self.clock,
            self.clock.sleep,
        )
        self.adapters.append(made)
        return made

    async def open(
        self, config: AppConfig | None = None, *, tick: bool = True, **kw: Any
    ) -> LiveSession:
        """History for ATR, then the whole live start (clock, key, account, streams, truth)
        and, unless ``tick`` is False, the first tick."""
        self.server.load_history(daily_bars(self.clock(), MARK0))
        adapter = kw.pop("adapter", None) or self.adapter()
        self.session = await open_session(
            adapter, config or live_config(), self.budget, self.clock, sleep=self.clock.sleep, **kw
        )
        if tick:
            await first_ticks(self.session, self.clock)
        return self.session

    @property
    def core(self):
        return self.session.core

    @property
    def state(self):
        return self.session.core.state

    def move(self, price: Decimal) -> None:
        """Set the base mark (and last) price the nudges oscillate around."""
        self.base = Decimal(price)
        self.server.set_mark_price(self.base)

    async def tick(self, n: int = 1, ms: int = SEC, nudge: bool = True) -> None:
        for _ in range(n):
            self.clock.advance(ms)
            if nudge:
                self._nudge()
            await asyncio.sleep(0.01)  # let the frames reach the adapter
            await self.session.driver.step(self.clock())

    def _nudge(self) -> None:
        self._flip = not self._flip
        self.server.set_mark_price(self.base + (TICK if self._flip else 0))
        if self.last is not None:
            self.server.set_last_price(self.last)

    async def settle(self, real_s: float = 0.05) -> None:
        """Let the stream catch up: the clock moves past the stream delay, then real time."""
        self.clock.advance(STREAM_DELAY_MS)
        await asyncio.sleep(real_s)

    async def pace(self, seconds: float) -> None:
        """A sleep for the runner's own loops: the clock moves a second at a time, the market
        with it, and 10 ms of real time pass per second so the streams keep flowing."""
        for _ in range(max(round(seconds), 1)):
            self.clock.advance(SEC)
            self._nudge()
            await asyncio.sleep(0.01)

    async def until(self, done: Callable[[], bool], max_ticks: int = 120, **kw: Any) -> int:
        """Tick until ``done()``; fail after ``max_ticks``. Return the ticks it took."""
        for n in range(max_ticks):
            if done():
                return n
            await self.tick(**kw)
        raise AssertionError(f"not reached after {max_ticks} ticks: {self.describe()}")

    def describe(self) -> str:
        s = self.session.core.state
        return f"main={s.main.state} stop={s.stop.state} halt={s.halt.phase} orders={[(o.client_id, o.phase.value) for o in s.orders.by_cid.values()]}"  # fmt: skip

    def creates(self, role: str | None = None) -> list[dict[str, Any]]:
        """Bodies of every create request (``role``: the client-id suffix code, e.g. "sl")."""
        bodies = [r.params for r in self.server.requests_to(CREATE)]
        return [b for b in bodies if role is None or f"_{role}" in b.get("orderLinkId", "")]

    async def close(self) -> None:
        for adapter in self.adapters:
            await adapter.close()
