"""What the private stream missed during a gap, read back by REST (issue 16 §6).

Bybit does not replay the private streams after a reconnect: a fill, a funding payment or a
liquidation that happened while the stream was down is only in ``/v5/execution/list``, and the
position it changed is pushed again only on its next change. ``GapWatch`` decides when a gap
may have hidden something (a private reconnect, once its subscriptions are acknowledged; or a
private silence longer than F2's 30 s) and since when (the last private frame before it:
everything earlier was seen). ``GapRecovery`` then reads, from a little before that time, in
the order Bybit pushes them: the executions (``execution/list``), handed one by one to the
stream's execution handler; the orders updated since (``order/realtime``, open and recently
closed), handed to the order handler when newer than what the adapter knows; and the position
(``position/list``), handed to the position handler. ``ExecutionLedger`` de-duplicates by
``execId`` across the stream and the reads, so each execution becomes exactly one event (fees,
PnL, funding and G10 stay exact; the core de-duplicates fills by ``exec_id`` too, funding it
cannot).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
RETRY_S = (1.0, 2.0, 5.0)  # a refused read (rate limit, network) is tried again


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
    """When the private stream may have lost something, and since when."""

    def __init__(self, gap_ms: int = GAP_MS) -> None:
        self.gap_ms = gap_ms
        self.gap_start_ms: int | None = None  # the last private frame before the latest gap
        self._last_ms: int | None = None
        self._after_reconnect = False

    def on_frame(self, now_ms: int) -> bool:
        """A private frame arrived; True when it ends a silence longer than ``gap_ms``."""
        silent = self._last_ms is not None and now_ms - self._last_ms > self.gap_ms
        if silent:
            self.gap_start_ms = self._last_ms
        self._last_ms = now_ms
        return silent

    def on_reconnect(self) -> None:
        self._after_reconnect = True
        self.gap_start_ms = self._last_ms

    def on_subscribed(self) -> bool:
        """Every private topic is subscribed again; True once after each reconnect."""
        after, self._after_reconnect = self._after_reconnect, False
        return after


class GapRecovery:
    """Reads what a private-stream gap hid and hands it to the stream's own handlers."""

    def __init__(
        self,
        client: BybitClient,
        ledger: ExecutionLedger,
        since_ms: Callable[[], int],
        handlers: GapHandlers,
    ) -> None:
        self.client, self.ledger, self.since_ms, self.handlers = client, ledger, since_ms, handlers
        self.fills_recovered = 0
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self, reason: str) -> None:
        """Schedule a read (one at a time; a request during a read runs once more after it)."""
        logger.info("private stream gap ({}): reading what it missed", reason)
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
            for wait_s in (*RETRY_S, None):
                if await self._repair():
                    break
                if wait_s is None:
                    logger.error("stream gap not repaired after {} tries", len(RETRY_S) + 1)
                else:
                    await self.client.sleep(wait_s)
            if not self._again:
                return

    async def _repair(self) -> bool:
        since = self.since_ms() - OVERLAP_MS
        try:
            self.fills_recovered += await self.read_executions(since)
            await self._read_orders(since)
            await self._read_position()
        except port_errors.ExchangeError as e:
            logger.warning("stream gap not repaired yet: {}: {}", type(e).__name__, e)
            return False
        return True

    async def read_executions(self, since_ms: int) -> int:
        """Deliver every execution from ``since_ms`` on that was not delivered; return how many."""
        rows = await self._pages("privateGetV5ExecutionList", {"startTime": str(since_ms)}, PAGE)
        rows.sort(key=lambda r: _ms(r, "execTime"))
        fresh = [r for r in rows if self.ledger.first_time(r)]
        for row in fresh:
            self.handlers.execution(row)
        if fresh:
            logger.warning("recovered {} execution(s) the private stream missed", len(fresh))
        return len(fresh)

    async def _read_orders(self, since_ms: int) -> None:
        """Open orders, and the orders closed since ``since_ms``, oldest change first."""
        open_rows = await self._pages("privateGetV5OrderRealtime", {"openOnly": "0"}, 50, 1)
        closed = await self._pages("privateGetV5OrderRealtime", {"openOnly": "1"}, 50, 1)
        rows = open_rows + [r for r in closed if _ms(r, "updatedTime") >= since_ms]
        for row in sorted(rows, key=lambda r: _ms(r, "updatedTime")):
            self.handlers.order(row)

    async def _read_position(self) -> None:
        params = {"category": "inverse", "symbol": SYMBOL}
        self.handlers.position(result_of(await self.client.call("privateGetV5PositionList", params)))  # fmt: skip

    async def _pages(self, method: str, extra: dict[str, str], limit: int, most: int = MAX_PAGES) -> list[Row]:  # fmt: skip
        params = {"category": "inverse", "symbol": SYMBOL, "limit": str(limit), **extra}
        rows: list[Row] = []
        for _ in range(most):
            result = result_of(await self.client.call(method, dict(params)))
            listed = result.get("list")
            if not isinstance(listed, list):
                raise port_errors.MalformedResponse(f"{method}: list is {listed!r}")
            rows += [r for r in listed if isinstance(r, Mapping)]
            cursor = result.get("nextPageCursor")
            if not cursor:
                break
            params["cursor"] = str(cursor)
        return rows


@dataclass(frozen=True, slots=True)
class GapHandlers:
    """Where recovered rows go: the stream's own handlers (each de-duplicates or filters)."""

    execution: Callable[[Row], None]
    order: Callable[[Row], None]
    position: Callable[[Mapping[str, Any]], None]


def _ms(row: Row, key: str) -> int:
    raw = str(row.get(key) or "")
    return int(raw) if raw.isdigit() else 0
