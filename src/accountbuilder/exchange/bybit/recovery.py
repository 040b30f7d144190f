"""What the private stream missed during a gap, read back by REST (issue 16 §6).

Bybit does not replay the private streams after a reconnect: a fill, a funding payment or a
liquidation that happened while the stream was down is only in ``/v5/execution/list``, and the
position it changed is pushed again only on its next change. ``GapWatch`` decides when a gap
may have hidden something (a private reconnect, once its subscriptions are acknowledged; or a
private silence longer than F2's 30 s). ``FillRecovery`` then reads the executions since the
newest one seen, oldest first, and hands each to the stream's own execution handler, then
reads the position once and hands it to the stream's position handler (after the fills, as
Bybit orders them). ``ExecutionLedger`` de-duplicates by ``execId`` across the stream and the
reads, so each execution becomes exactly one event (fees, PnL, funding and G10 stay exact; the
core de-duplicates fills by ``exec_id`` too, funding it cannot).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from loguru import logger

from accountbuilder.domain.models import SYMBOL
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.client import BybitClient, result_of

Row = Mapping[str, Any]
GAP_MS = 30_000  # SPEC F2: nothing for 30 s is a broken stream
OVERLAP_MS = 5_000  # read a little before the newest execution seen (clock slack)
PAGE = 100
MAX_PAGES = 20


class ExecutionLedger:
    """The ``execId`` of every execution delivered (the newest ``keep``) and the newest time."""

    def __init__(self, keep: int = 5_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._keep = keep
        self.newest_ms: int | None = None

    def first_time(self, row: Row) -> bool:
        """Record ``row``; False when its ``execId`` was delivered before."""
        exec_id = str(row.get("execId") or "")
        if not exec_id:
            return True  # cannot be de-duplicated; deliver (the core checks fills again)
        if exec_id in self._seen:
            return False
        self._seen[exec_id] = None
        while len(self._seen) > self._keep:
            self._seen.popitem(last=False)
        exec_ms = str(row.get("execTime") or "")
        if exec_ms.isdigit():
            self.newest_ms = max(self.newest_ms or 0, int(exec_ms))
        return True


class GapWatch:
    """When the private stream may have lost executions."""

    def __init__(self, gap_ms: int = GAP_MS) -> None:
        self.gap_ms = gap_ms
        self._last_ms: int | None = None
        self._after_reconnect = False

    def on_frame(self, now_ms: int) -> bool:
        """A private frame arrived; True when it ends a silence longer than ``gap_ms``."""
        silent = self._last_ms is not None and now_ms - self._last_ms > self.gap_ms
        self._last_ms = now_ms
        return silent

    def on_reconnect(self) -> None:
        self._after_reconnect = True

    def on_subscribed(self) -> bool:
        """Every private topic is subscribed again; True once after each reconnect."""
        after, self._after_reconnect = self._after_reconnect, False
        return after


class FillRecovery:
    """Reads ``/v5/execution/list`` since the newest execution seen and delivers what is new."""

    def __init__(
        self,
        client: BybitClient,
        ledger: ExecutionLedger,
        deliver: Callable[[Row], None],
        since_start_ms: Callable[[], int],
        deliver_position: Callable[[Row], None] | None = None,
    ) -> None:
        self.client, self.ledger, self.deliver = client, ledger, deliver
        self.since_start_ms = since_start_ms
        self.deliver_position = deliver_position  # the position result, after the fills
        self.recovered = 0
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self, reason: str) -> None:
        """Schedule a read (one at a time; a request during a read runs once more after it)."""
        logger.info("private stream gap ({}): reading missed executions", reason)
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def settle(self) -> None:
        """Wait for the reads in flight (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                self.recovered += await self.read_since(self._since())
                await self._read_position()
            except port_errors.ExchangeError as e:
                logger.warning("missed executions not read: {}: {}", type(e).__name__, e)
            if not self._again:
                return

    def _since(self) -> int:
        newest = self.ledger.newest_ms
        return (newest if newest is not None else self.since_start_ms()) - OVERLAP_MS

    async def read_since(self, since_ms: int) -> int:
        """Deliver every execution from ``since_ms`` on that was not delivered; return how many."""
        rows = await self._rows_since(since_ms)
        rows.sort(key=lambda r: int(str(r.get("execTime") or 0)))
        fresh = [r for r in rows if self.ledger.first_time(r)]
        for row in fresh:
            self.deliver(row)
        if fresh:
            logger.warning("recovered {} execution(s) the private stream missed", len(fresh))
        return len(fresh)

    async def _read_position(self) -> None:
        if self.deliver_position is not None:
            params = {"category": "inverse", "symbol": SYMBOL}
            self.deliver_position(result_of(await self.client.call("privateGetV5PositionList", params)))  # fmt: skip

    async def _rows_since(self, since_ms: int) -> list[Row]:
        params = {"category": "inverse", "symbol": SYMBOL, "startTime": str(since_ms),
                  "limit": str(PAGE)}  # fmt: skip
        rows: list[Row] = []
        for _ in range(MAX_PAGES):
            result = result_of(await self.client.call("privateGetV5ExecutionList", dict(params)))
            listed = result.get("list")
            if not isinstance(listed, list):
                raise port_errors.MalformedResponse(f"execution/list: list is {listed!r}")
            rows += [r for r in listed if isinstance(r, Mapping)]
            cursor = result.get("nextPageCursor")
            if not cursor:
                break
            params["cursor"] = str(cursor)
        return rows
