"""Trade only while the local clock is within 1 s of Bybit's (issue 16 §7).

The adapter measures the offset (``ClockSync``) and signs with it, so Bybit accepts the
requests either way; but the bot's own times — event ages (E2), candle buckets, the 10 s stop
rule — would be off by the offset. So the runner does not tick while it exceeds 1 s: at start
it waits before the first tick, measuring again every ``poll_s``; during the run it measures
every 10 minutes (and at the next tick after a 10002 answer) and, when the clock is off,
stops ticking the way SIGTERM does — entry orders cancelled, the stop and the take-profit left
on the exchange — until the clock is back within 1 s. Each wait is logged with the offset;
``status`` shows the last one (the ``exchange`` section of ``runtime``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger

from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.clock_sync import ClockSync
from accountbuilder_runner.drivers.live import LiveDriver

Clock = Callable[[], int]
Sleep = Callable[[float], Awaitable[Any]]
POLL_S = 10.0


class ClockGuard:
    """Measures the clock offset when due and says whether the bot may tick."""

    def __init__(self, sync: ClockSync, clock: Clock, *, poll_s: float = POLL_S) -> None:
        self.sync, self.clock, self.poll_s = sync, clock, poll_s
        self.off = asyncio.Event()  # set when a measurement during the run finds the clock off
        self.trading = False  # True while the driver ticks, False while waiting for the clock
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> bool:
        """Measure when due (or while off); True while the offset is within the limit."""
        if self.sync.due(self.clock()) or not self.sync.in_sync():
            try:
                await self.sync.measure()
            except port_errors.ExchangeError as e:  # keep the last reading; try again later
                logger.warning("clock offset not measured: {}: {}", type(e).__name__, e)
        return self.sync.in_sync()

    async def wait_in_sync(self, stop: asyncio.Event, sleep: Sleep | None = None) -> bool:
        """Return True once the clock is within the limit, False if ``stop`` came first."""
        while not stop.is_set():
            if await self.check():
                return True
            reading = self.sync.reading
            said = reading.describe() if reading is not None else "Bybit's time is unknown"
            logger.error(
                "not trading: {}; sync this machine's clock (NTP); measuring again in {} s",
                said,
                self.poll_s,
            )
            await _wait(stop, self.poll_s, sleep)
        return False

    def on_tick(self, now_ms: int, core: TradingCore) -> None:
        """The live driver's per-tick hook: measure in the background when due."""
        if self.sync.due(now_ms) and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._measure_during_run())

    async def _measure_during_run(self) -> None:
        if not await self.check():
            self.off.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def _wait(stop: asyncio.Event, seconds: float, sleep: Sleep | None) -> None:
    if sleep is not None:
        await sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def trade_in_sync(
    driver: LiveDriver, guard: ClockGuard, clock: Clock, stop: asyncio.Event, tick_ms: int,
    sleep: Sleep | None = None,
) -> None:  # fmt: skip
    """Tick ``driver`` until ``stop``; pause (entries cancelled) while the clock is off."""
    driver.on_tick = guard.on_tick
    while await guard.wait_in_sync(stop, sleep):
        guard.off = asyncio.Event()
        halt = asyncio.Event()
        relays = [asyncio.create_task(_relay(e, halt)) for e in (stop, guard.off)]
        guard.trading = True
        try:
            await driver.run(clock, halt, tick_ms, sleep)
        finally:
            guard.trading = False
            for relay in relays:
                relay.cancel()
        if stop.is_set():
            return
        logger.error("clock off by more than 1 s: pausing; entry orders cancelled, stop kept")
        driver.pending += await driver.shutdown(clock())  # the next tick folds the answers in


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
