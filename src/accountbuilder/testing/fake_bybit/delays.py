"""Asynchronous processing: private frames sent some time after the change (issue 16).

Bybit answers ``order/create`` first ("accepted; processed asynchronously") and reports the
order's state on the private stream afterwards. With ``delay_ms > 0`` every private frame is
built at once (the state as it was then) and sent ``delay_ms`` later on the fake's own clock,
in order, so a test on a manual clock decides when it arrives by advancing the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

Publish = Callable[[str, list[dict[str, Any]]], None]
POLL_S = 0.005


class DelayedStream:
    """Private frames held back ``delay_ms``, then published in the order they were made."""

    def __init__(self, clock: Callable[[], int], publish: Publish, delay_ms: int = 0) -> None:
        self.clock, self.publish, self.delay_ms = clock, publish, delay_ms
        self._held: deque[tuple[int, str, list[dict[str, Any]]]] = deque()
        self._task: asyncio.Task[None] | None = None

    @property
    def held(self) -> int:
        """Frames made and not sent yet."""
        return len(self._held)

    def send(self, topic: str, rows: list[dict[str, Any]]) -> None:
        """Publish now, or after ``delay_ms`` (behind any frame still held)."""
        if self.delay_ms <= 0 and not self._held:
            self.publish(topic, rows)
            return
        self._held.append((self.clock() + self.delay_ms, topic, rows))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        while self._held:
            due, topic, rows = self._held[0]
            if self.clock() < due:
                await asyncio.sleep(POLL_S)
                continue
            self._held.popleft()
            self.publish(topic, rows)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
