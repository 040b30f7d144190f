"""Drive the core over the simulated exchange (paper trading, backtests, scenario tests).

Per tick: the simulator replays up to ``now``; the core ticks on the delivered events; the
session is committed (intents included) before the commands are sent (SPEC I4); command
outcomes are fed back at the same ``now`` until the core is quiet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.commands import AnyCommand
from accountbuilder.domain.events import ExchangeEvent
from accountbuilder.exchange.sim.exchange import SimExchange
from accountbuilder_runner.executor import CommandExecutor

MAX_ROUNDS = 8  # command → outcome → tick rounds within one tick


@dataclass
class SimDriver:
    core: TradingCore
    sim: SimExchange
    executor: CommandExecutor
    on_outbox: Callable[[int, Outbox, TradingCore], None] | None = None  # persist + record
    on_tick: Callable[[int, TradingCore], None] | None = None  # status line, invariants
    pending: list[ExchangeEvent] = field(default_factory=list)
    carried: list[AnyCommand] = field(default_factory=list)  # commands left after MAX_ROUNDS

    async def step(self, now_ms: int) -> None:
        """One tick at ``now_ms`` (the simulator is advanced to it first)."""
        events = [*self.pending, *self.sim.advance(now_ms)]
        self.pending = []
        out = self.core.tick(now_ms, events)
        out.commands[:0], self.carried = self.carried, []
        for _ in range(MAX_ROUNDS):
            if self.on_outbox is not None:
                self.on_outbox(now_ms, out, self.core)
            if not out.commands:
                break
            results: list[ExchangeEvent] = []
            for command in out.commands:
                results += await self.executor.execute(command)
            results += self.sim.take_events()
            out = self.core.tick(now_ms, results)
        else:
            self.carried = list(out.commands)  # sent next tick, after this state is committed
        if self.on_tick is not None:
            self.on_tick(now_ms, self.core)

    async def run(
        self, start_ms: int, end_ms: int, tick_ms: int, first: list[ExchangeEvent] | None = None
    ) -> int:
        """Tick from ``start_ms`` to ``end_ms``; return the number of ticks."""
        self.pending = list(first or [])
        ticks, now = 0, start_ms
        while now <= end_ms:
            await self.step(now)
            ticks += 1
            now += tick_ms
        return ticks
