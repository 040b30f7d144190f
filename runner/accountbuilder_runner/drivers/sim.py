"""Drive the core over the simulated exchange (paper trading, backtests, scenario tests).

Per tick the simulator replays up to ``now`` and the library's round loop
(``core.rounds.Rounds``) does the rest: tick, commit (SPEC I4), send, feed the answers back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.rounds import Rounds
from accountbuilder.domain.events import ExchangeEvent
from accountbuilder.exchange.sim.exchange import SimExchange
from accountbuilder_runner.drivers.base import RoundsView
from accountbuilder_runner.executor import CommandExecutor


@dataclass
class SimDriver(RoundsView):
    core: TradingCore
    sim: SimExchange
    executor: CommandExecutor
    on_outbox: Callable[[int, Outbox, TradingCore], None] | None = None  # persist + record
    on_tick: Callable[[int, TradingCore], None] | None = None  # status line, invariants
    rounds: Rounds = field(init=False)

    def __post_init__(self) -> None:
        self.rounds = Rounds(
            self.core,
            self.executor.execute,
            self.sim.take_events,
            commit=self.on_outbox,
        )

    async def step(self, now_ms: int) -> Outbox:
        """One tick at ``now_ms`` (the simulator is advanced to it first)."""
        out = await self.rounds.tick(now_ms, self.sim.advance(now_ms))
        if self.on_tick is not None:
            self.on_tick(now_ms, self.core)
        return out

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
