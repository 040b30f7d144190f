"""Drive the core against a live exchange port (Bybit, or the fake Bybit in tests).

The live twin of ``drivers.sim``. Per tick (SPEC F6): take the events the WebSocket streams
queued since the last tick (and operator requests), tick the core, commit (``on_outbox``,
SPEC I4) before sending, execute the commands through the F1 budget, and feed the outcomes
back at the same ``now`` until the core is quiet. The clock and the sleep are injected, so a
test can run a minute of ticks in a fraction of a second.

Two shell duties besides: the wallet is re-read by REST when its datum ages (F4: a specific
trigger; a flat account gets no wallet frames), and a bad answer becomes
``AccountAnswerInvalid`` (E3 → HALT); and at shutdown the entry orders are cancelled while the
stop and the take-profit stay on the exchange (E7's rule, applied to stopping the bot).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from loguru import logger

from accountbuilder.core.halting import cancel_entry_orders
from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.rounds import Rounds
from accountbuilder.domain.commands import AnyCommand
from accountbuilder.domain.events import AccountAnswerInvalid, ExchangeEvent, WalletUpdated
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.requests import Purpose
from accountbuilder.exchange import errors as port_errors
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder_runner.drivers.base import RoundsView
from accountbuilder_runner.executor import CommandExecutor

MAX_FAILED_TICKS = 30  # consecutive ticks that raised before the run gives up
ACCOUNT_REFRESH_MS = 60_000


class LivePort(Protocol):
    def take_events(self) -> list[ExchangeEvent]: ...

    async def fetch_account(self) -> AccountSnapshot: ...


@dataclass
class LiveDriver(RoundsView):
    core: TradingCore
    port: LivePort
    executor: CommandExecutor
    budget: RestBudget
    on_outbox: Callable[[int, Outbox, TradingCore], None] | None = None  # persist + record
    on_results: Callable[[int, AnyCommand, list[ExchangeEvent]], None] | None = None
    on_tick: Callable[[int, TradingCore], None] | None = None  # status, invariants
    requests: Callable[[int], list[ExchangeEvent]] | None = None  # operator requests (halt reset)
    account_refresh_ms: int = ACCOUNT_REFRESH_MS
    ticks: int = 0
    last_account_read_ms: int | None = None
    rounds: Rounds = field(init=False)

    def __post_init__(self) -> None:
        self.rounds = Rounds(
            self.core,
            self.executor.execute,
            self.port.take_events,
            commit=self.on_outbox,
            on_results=self.on_results,
        )

    async def step(self, now_ms: int, *, resume: bool = False) -> Outbox:
        """One tick at ``now_ms``; return the first outbox of the tick (for tests).

        ``resume`` (the first tick after a restart): every order whose send the crash may have
        hidden is looked up by client id before anything is sent again (SPEC G2, I4).
        """
        self.rounds.commit = self.on_outbox  # tests may swap the hook
        events = self.port.take_events()
        if self.requests is not None:
            events += self.requests(now_ms)
        if resume:
            self.core.mark_restarted(now_ms)
        first = await self.rounds.tick(now_ms, events)
        self.ticks += 1
        await self._refresh_account(now_ms)  # its answer is the next tick's input
        if self.on_tick is not None:
            self.on_tick(now_ms, self.core)
        return first

    async def run(
        self,
        clock: Callable[[], int],
        stop: asyncio.Event,
        tick_ms: int,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> int:
        """Tick every ``tick_ms`` until ``stop`` is set; return the number of ticks."""
        start, failed = self.ticks, 0
        while not stop.is_set():
            now = clock()
            try:
                await self.step(now)
                failed = 0
            except Exception:
                # A round that fails before its commit sends nothing, and the exchange keeps the
                # stop whatever happens here. A fault that persists ends the run.
                failed += 1
                logger.exception("tick failed ({} in a row)", failed)
                if failed >= MAX_FAILED_TICKS:
                    raise
            wait_s = max(now + tick_ms - clock(), 0) / 1000
            if sleep is not None:
                await sleep(wait_s)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait_s)
        return self.ticks - start

    async def shutdown(self, now_ms: int) -> list[ExchangeEvent]:
        """Cancel the working entry orders; the stop and the take-profit stay (E7's rule)."""
        out = Outbox()
        cancel_entry_orders(self.core.state, out, Purpose.SHUTDOWN, now_ms)
        out.order_moves = self.core.state.orders.take_moves()
        self.rounds.commit = self.on_outbox
        return await self.rounds.send_now(now_ms, out)

    async def _refresh_account(self, now_ms: int) -> None:
        """F4 trigger: re-read the wallet when its datum is older than ``account_refresh_ms``."""
        view = self.core.kit.view
        seen = max(view.account_ts_ms or 0, self.last_account_read_ms or 0)
        if seen and now_ms - seen < self.account_refresh_ms:
            return
        if self.budget.wait_time_ms(now_ms, protective=False) != 0:
            return  # never wait for the budget inside a tick; try again next tick
        self.last_account_read_ms = now_ms
        try:
            account = await self.port.fetch_account()
        except port_errors.MalformedResponse as e:
            self.pending.append(AccountAnswerInvalid(exchange_ts_ms=now_ms, local_ts_ms=now_ms, detail=str(e)))  # fmt: skip
            return
        except port_errors.ExchangeError as e:
            logger.warning("wallet refresh failed: {}", e)
            return
        # Folded straight into the view: a REST answer is not WS traffic (F2).
        view.apply(WalletUpdated(exchange_ts_ms=now_ms, local_ts_ms=now_ms, account=account))
