"""Replay real candles through the one core on the simulated exchange (paper and backtest).

The composition is the live one with a simulated port: candles → ``SimExchange`` →
``bootstrap.start_core`` → ``drivers.sim.SimDriver``. This module only chooses when to tick.
A tick falls on every step of the candle timeframe (1 min for 1m data, 1 h for 1h data), from
the close of the first replayed candle to the close of the last; inside a gap nothing new
arrives, so the mark goes stale there as it would live (gaps are never filled). Candles before
the start are history: the core fetches 30 daily candles from them at start (ATR, SPEC D2).

Two modes give the same decisions, trades and halts (``tests/unit/runner/test_replay.py``):

- ``skip_idle=True`` (default): the simulator jumps over candles that touch nothing and sends
  market data only at ticks; after each tick the core is asked for its next wake
  (``TradingCore.next_wake``: a flat manual HALT, a protected position, a refusal that
  stands) and the ticks before it are skipped (``wakes`` finds the candle); a skipped
  refusal is handed to ``on_repeat`` with its count, so the records are the same;
- ``skip_idle=False``: every candle is processed, with market data, and every step is ticked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from accountbuilder.config.models import AppConfig
from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.wake import MARK_WINDOW_MS, Wake
from accountbuilder.exchange.sim.config import SimConfig
from accountbuilder.exchange.sim.exchange import SimExchange
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.marketdata.candles import DAY_MS, CandleArrays, slice_ms
from accountbuilder.marketdata.view import Staleness
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder_runner.bootstrap import start_core
from accountbuilder_runner.drivers.sim import SimDriver
from accountbuilder_runner.executor import CommandExecutor
from accountbuilder_runner.wakes import WakeFinder

WARMUP_DAYS = 15  # without --from: the first days seed the daily ATR(14) and are not traded
HISTORY_DAYS = 31  # start_core fetches 30 daily candles
SATOSHI = Decimal("0.00000001")
YIELD_EVERY = 256  # ticks between event-loop yields, so Ctrl-C lands in an unpaced run
# The simulator sends no periodic wallet updates (only on fills and funding), so the account
# datum never goes stale in a replay; the mark may be two candles old at most.
ACCOUNT_NEVER_STALE_MS = 10 * 365 * DAY_MS


class ReplayError(ValueError):
    """The data cannot be replayed as asked (nothing after the warm-up, empty range)."""


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """What to replay: ``arrays`` holds history and replay candles; ticks start after ``start_ms``."""

    arrays: CandleArrays
    start_ms: int  # open time of the first replayed candle
    first_index: int  # its index in ``arrays``
    end_ms: int  # the last tick: the close of the last candle
    config: AppConfig
    start_equity_usd: Decimal
    skip_idle: bool = True

    @property
    def timeframe_ms(self) -> int:
        return self.arrays.timeframe_ms

    @property
    def replay_candles(self) -> int:
        return len(self.arrays) - self.first_index

    @property
    def start_mark(self) -> Decimal:
        """The mark at the start: the last history close (or the first open without history)."""
        i = self.first_index
        price = self.arrays.close[i - 1] if i else self.arrays.open[0]
        return Decimal(repr(float(price)))


def plan_replay(
    arrays: CandleArrays,
    config: AppConfig,
    start_equity_usd: Decimal,
    *,
    from_ms: int | None = None,
    to_ms: int | None = None,
    warmup_days: int = WARMUP_DAYS,
    skip_idle: bool = True,
) -> ReplayPlan:
    """Choose the history and the replayed candles: ``[from_ms, to_ms)`` or after the warm-up."""
    if to_ms is not None:
        arrays = slice_ms(arrays, None, to_ms)
    if len(arrays) == 0:
        raise ReplayError(f"{arrays.source}: no candles before the end of the range")
    start = int(arrays.ts_ms[0]) + warmup_days * DAY_MS if from_ms is None else from_ms
    arrays = slice_ms(arrays, start - HISTORY_DAYS * DAY_MS, None)
    first = int(np.searchsorted(arrays.ts_ms, start, "left"))
    if first >= len(arrays):
        what = f"after the {warmup_days}-day warm-up" if from_ms is None else "in the range"
        raise ReplayError(f"{arrays.source}: no candles to replay {what}")
    return ReplayPlan(
        arrays,
        int(arrays.ts_ms[first]),
        first,
        int(arrays.ts_ms[-1]) + arrays.timeframe_ms,
        config,
        start_equity_usd,
        skip_idle,
    )


def _simulator(plan: ReplayPlan) -> SimExchange:
    """The simulated exchange at ``plan.start_ms``; skipping: market data only at ticks."""
    fast = plan.skip_idle
    sim = SimExchange(
        SimConfig(
            start_balance_btc=(plan.start_equity_usd / plan.start_mark).quantize(SATOSHI),
            skip_quiet_candles=fast,
            market_events_every=0 if fast else 1,
        )
    )
    sim.load(plan.arrays, start_ts_ms=plan.start_ms)
    sim.run_to(plan.start_ms)
    return sim


OnOutbox = Callable[[int, Outbox, TradingCore], None]
OnTick = Callable[[int, TradingCore], None]
# A standing refusal recorded again at ``count`` skipped ticks, the last at ``last_ts_ms``.
OnRepeat = Callable[[DecisionRecord, int, int], None]


@dataclass
class Replay:
    """One replay session: the simulator, the core and the driver, ticked by ``run``."""

    plan: ReplayPlan
    sim: SimExchange
    core: TradingCore
    driver: SimDriver
    wakes: WakeFinder | None  # None: every step is ticked (``skip_idle=False``)
    on_repeat: OnRepeat | None = None  # None: standing refusals are ticked, not skipped
    ticks: int = 0
    skipped: int = 0
    now_ms: int = 0
    candle_closes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    late: tuple[int, int] | None = None  # skipped candles whose marks the next tick delivers
    day_edges: bool = False  # tick each UTC day's first and last step (paper's daily roll-up)

    def __post_init__(self) -> None:
        self.candle_closes = self.plan.arrays.close_ts_ms  # computed once (a property)

    @property
    def window_candles(self) -> int:
        """Candles of E1's 5-minute window (its marks reach the core at a wake, core.wake)."""
        return MARK_WINDOW_MS // self.plan.timeframe_ms + 1

    @classmethod
    async def open(
        cls,
        plan: ReplayPlan,
        *,
        on_outbox: OnOutbox | None = None,
        on_tick: OnTick | None = None,
        on_repeat: OnRepeat | None = None,
        wrap_executor: Callable[[CommandExecutor], object] | None = None,
        day_edges: bool = False,
    ) -> Replay:
        """Build the simulator and start the core on it at ``plan.start_ms``.

        ``on_repeat`` receives the refusals that skipped ticks would have recorded; without it
        only ticks that record nothing are skipped. ``day_edges``: never skip the first or
        last tick of a UTC day, nor a tick inside a data gap (the daily equity of I3 is read
        at ticks).
        """
        sim = _simulator(plan)
        staleness = Staleness(mark_ms=2 * plan.timeframe_ms, account_ms=ACCOUNT_NEVER_STALE_MS)
        started = await start_core(sim, plan.config, plan.start_ms, staleness=staleness)
        executor = CommandExecutor(
            sim, RestBudget(), clock=lambda: sim.now_ms, wait_for_budget=False
        )
        driver = SimDriver(
            started.core,
            sim,
            wrap_executor(executor) if wrap_executor else executor,
            on_outbox=on_outbox,
            on_tick=on_tick,
        )
        driver.pending = list(started.startup_events)
        wakes = WakeFinder(plan.arrays) if plan.skip_idle else None
        return cls(
            plan,
            sim,
            started.core,
            driver,
            wakes,
            on_repeat,
            now_ms=plan.start_ms,
            day_edges=day_edges,
        )

    async def run(self, pace: Callable[[int], Awaitable[None]] | None = None) -> None:
        """Tick to the end; ``pace(now_ms)`` is awaited after every tick (paper speed)."""
        tf, end = self.plan.timeframe_ms, self.plan.end_ms
        t = self.now_ms + tf
        while t <= end:
            await self.tick(t)
            if pace is not None:
                await pace(t)
            elif self.ticks % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            t = self._next_tick(t)

    async def tick(self, now_ms: int) -> None:
        """One tick at ``now_ms`` (a multiple of the timeframe after the start)."""
        if self.wakes is not None:
            self.sim.run_to(now_ms)
            if self.late is not None:
                self.sim.emit_marks(*self.late)
                self.late = None
            if self._closed_index(now_ms) is not None:
                self.sim.emit_market_event()
        await self.driver.step(now_ms)
        self.ticks += 1
        self.now_ms = now_ms

    def _closed_index(self, now_ms: int) -> int | None:
        """The candle closing exactly at ``now_ms``, if any (none inside a gap)."""
        closes = self.candle_closes
        i = int(np.searchsorted(closes, now_ms, "left"))
        return i if i < closes.size and int(closes[i]) == now_ms else None

    def _next_tick(self, now_ms: int) -> int:
        nxt = now_ms + self.plan.timeframe_ms
        pending = bool(self.driver.pending or self.driver.carried or self.sim.pending_events)
        if self.wakes is None or pending:
            return nxt
        last_closed = int(np.searchsorted(self.candle_closes, now_ms, "right")) - 1
        wake = self.core.next_wake(now_ms)
        if wake is None or (wake.repeats is not None and self.on_repeat is None):
            return nxt
        target = self._landing(last_closed, now_ms, wake)
        if target <= last_closed + 1:
            return nxt
        return self._jump(now_ms, target, wake)

    def _landing(self, after: int, now_ms: int, wake: Wake) -> int:
        """The candle to tick next: the first where the standing may break."""
        wakes = self.wakes
        target = wakes.first_break(after, wake.standing)
        if wake.repeats is not None or self.day_edges:  # every tick in a gap runs
            if int(self.candle_closes[after]) != now_ms:
                return after
            target = min(target, wakes.last_before_gap(after))
        if self.day_edges:
            target = min(target, wakes.next_day_edge(after))
        if wake.quiet_position:  # the exchange charges funding there (wallet, liqPrice)
            target = min(target, wakes.next_funding(after))
        return target

    def _jump(self, now_ms: int, target: int, wake: Wake) -> int:
        tf = self.plan.timeframe_ms
        land = int(self.candle_closes[target])
        if wake.quiet_position:
            # replay up to the first candle with a fill; its events are that tick's input
            self.driver.pending.extend(self.sim.advance(land, stop_at_fill=True))
            land = max(now_ms + tf, self.sim.now_ms)
        skipped = (land - now_ms) // tf - 1
        if skipped:
            at = int(np.searchsorted(self.candle_closes, land, "right")) - 1
            after = int(np.searchsorted(self.candle_closes, now_ms, "right"))
            if wake.repeats is not None:  # the skipped ticks are candles after .. at - 1
                closes = self.plan.arrays.close[after:at]
                for record, count in self.core.skipped(wake, self.candle_closes[after:at], closes):
                    self.on_repeat(record, count, record.ts_ms)
            self.late = (max(at - self.window_candles, after), at - 1)
        self.skipped += skipped
        return land
