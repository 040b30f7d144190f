"""No entries while the local clock is more than 1 s off Bybit's (issue 16 §7).

The adapter measures the offset (``ClockSync``) and signs with it, so Bybit accepts the
requests either way; but the bot's own times — event ages (E2), candle buckets — would be off
by the offset. So every measurement is handed to the core as ``ClockOffsetMeasured``: while the
offset exceeds the limit the core blocks entries (``BLOCK_CLOCK``) and pulls a resting one,
and the stop and its supervision go on, as they must whenever a position exists (G8). The
runner measures at start (before the first signed trading call), every 10 minutes during the
run, after a 10002 answer, and again every ``poll_s`` while the clock is off. Each off reading
is logged with the offset; ``status`` shows the last one (the ``exchange`` section).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from loguru import logger

from accountbuilder.domain.events import ClockOffsetMeasured
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.clock_sync import LIMIT_MS, ClockSync

Clock = Callable[[], int]
POLL_S = 10.0


class ClockGuard:
    """Measures the offset when due and hands each reading to the core (``readings``)."""

    def __init__(self, sync: ClockSync, clock: Clock, *, poll_s: float = POLL_S) -> None:
        self.sync, self.clock, self.poll_s = sync, clock, poll_s
        self.readings: list[ClockOffsetMeasured] = []  # taken by the driver's next tick
        self._task: asyncio.Task[None] | None = None
        self._last_try_ms: int | None = None

    @property
    def in_sync(self) -> bool:
        return self.sync.in_sync()

    async def measure(self) -> bool:
        """Measure now; queue the reading for the core; True while within the limit."""
        self._last_try_ms = self.clock()
        try:
            reading = await self.sync.measure()
        except port_errors.ExchangeError as e:  # keep the last reading; try again later
            logger.warning("clock offset not measured: {}: {}", type(e).__name__, e)
            return self.sync.in_sync()
        now = self.clock()
        self.readings.append(
            ClockOffsetMeasured(
                exchange_ts_ms=now, local_ts_ms=now, offset_ms=reading.offset_ms, limit_ms=LIMIT_MS
            )
        )
        if not reading.in_sync():
            logger.error(
                "no entries: {}; sync this machine's clock (NTP); the stop stays supervised",
                reading.describe(),
            )
        return reading.in_sync()

    def take(self, now_ms: int) -> list[ClockOffsetMeasured]:
        """The driver's ``requests`` hook: readings since the last tick (and a measurement
        in the background when one is due: every 10 min, every ``poll_s`` while off)."""
        if self._due(now_ms) and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self.measure())
        taken, self.readings = self.readings, []
        return taken

    def _due(self, now_ms: int) -> bool:
        if self.sync.due(now_ms):
            return True
        off = not self.sync.in_sync()
        return off and (
            self._last_try_ms is None or now_ms - self._last_try_ms >= self.poll_s * 1000
        )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


def with_clock(requests, guard: ClockGuard):
    """The live driver's ``requests`` hook with the clock readings added to it."""

    def take(now_ms: int):
        return [*(requests(now_ms) if requests is not None else []), *guard.take(now_ms)]

    return take
