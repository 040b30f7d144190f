"""``accountbuilder run`` (paper): the live composition on the simulated exchange, replaying a
real candle slice at ``speed`` simulated seconds per wall second, with a live status line.

Same core, same store and records as live: the session, the order lifecycle, decisions, trades, halts and
daily metrics go to the SQLite store (``recorder``, as live) and to JSON-lines files through
the loguru sinks. A paper run is a new paper account: an earlier store at the same path is kept as
``<name>.prev`` (one generation, copied through SQLite's backup API so it holds every committed
row) and a fresh one is started. The store's lock is taken first: a second run on the same
``--state`` stops with exit 2 naming the first, and never touches its open store. With a
``Notifier`` (URLs configured) it notifies as live does: start, halts, stop problems, days,
targets, stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from loguru import logger

from accountbuilder.config.models import AppConfig
from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.rounds import CommitFailed
from accountbuilder.records.sinks import RecordKind, sink_config
from accountbuilder.records.trade_log import TradeEntryRecord
from accountbuilder.risk.account import stage_for
from accountbuilder.store import SqliteStore
from accountbuilder.store.lock import StoreLock
from accountbuilder_runner.backtest import timeframe_label
from accountbuilder_runner.console import Console
from accountbuilder_runner.notify import Notifier
from accountbuilder_runner.recorder import Recorder
from accountbuilder_runner.replay import Replay, ReplayPlan, plan_replay
from accountbuilder_runner.reporting.collector import Collector
from accountbuilder_runner.reporting.summary import Summary, iso, summarize
from accountbuilder_runner.store_owner import (
    keep_previous,
    keep_previous_dir,
    record_owner,
    take_store,
)
from accountbuilder_runner.winrate_file import WinrateSource, with_winrate

DEFAULT_SPEED = 50_000.0  # simulated seconds per wall second: the bundled slice in under a minute
WAIT_STEP_S = 0.1


@dataclass(frozen=True, slots=True)
class PaperOptions:
    data: Path
    state: Path
    speed: float | None  # None: as fast as possible
    start_equity_usd: Decimal
    from_ms: int | None = None
    to_ms: int | None = None
    warmup_days: int = 15


def log_dir_for(state: Path) -> Path:
    """The JSON-lines directory of a store: ``state/paper.sqlite`` → ``state/paper-logs``."""
    return state.parent / f"{state.stem}-logs"


def rotate(state: Path, lock: StoreLock) -> Path | None:
    """Keep an earlier paper store (and its logs) as ``*.prev``; return the kept store.

    Only under the store's lock: the store is copied with every committed row, never renamed.
    """
    moved = keep_previous(state, lock)
    keep_previous_dir(log_dir_for(state))
    return moved


class StatusLine:
    """What the live line shows, and the event lines printed above it."""

    def __init__(self, console: Console, plan: ReplayPlan, collector: Collector):
        self.console, self.plan, self.collector = console, plan, collector
        self.ledger = None
        self.text = ""

    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        when = iso(now_ms)
        for h in out.halts:
            self.console.event(f"{when}  HALT {h.event.value} {h.reason.value} ({h.kind.value})")
        for t in out.trades:
            if isinstance(t, TradeEntryRecord):
                self.console.event(
                    f"{when}  ENTRY {t.side.value} {t.contracts} @ {t.entry_price:.1f} "
                    f"stop {t.stop_price:.1f} tp {t.take_profit_price or 0:.1f} {t.stage.value.upper()}"
                )
            else:
                self.console.event(
                    f"{when}  EXIT {t.exit_reason.value} {t.contracts} @ {t.exit_price:.1f} "
                    f"pnl {t.pnl_btc:.8f} BTC ({t.pnl_usd:+.2f} USD)"
                )

    def on_tick(self, now_ms: int, core: TradingCore) -> None:
        fraction = self.fraction(now_ms)
        if self.console.due(fraction):
            self.render(now_ms, core)
            self.console.status(fraction, self.text, force=True)

    def fraction(self, now_ms: int) -> float:
        span = max(self.plan.end_ms - self.plan.start_ms, 1)
        return (now_ms - self.plan.start_ms) / span

    def render(self, now_ms: int, core: TradingCore) -> None:
        s, view, led = core.state, core.kit.view, self.ledger
        mark = view.mark_price or self.plan.start_mark
        eq_btc = led.wallet_btc + led.unrealised_btc(mark)
        eq_usd = eq_btc * mark
        last = self.collector.decisions.last
        decision = (
            "-"
            if last is None
            else (f"ACCEPT {last.contracts}" if last.accepted else f"REJECT {last.reason.value}")
        )
        halt = "none"
        if s.halt.reasons:
            kind = s.halt.kind.value if s.halt.kind else s.halt.phase.value
            halt = f"{kind}: {','.join(r.value for r in s.halt.reasons)}"
        closed = self.collector.closed
        wins = sum(1 for c in closed if c.exit.is_win)
        self.text = (
            f"{iso(now_ms)[:16].replace('T', ' ')} | "
            f"{s.main.state} stop={s.stop.state} | {eq_btc:.8f} BTC ${eq_usd:.2f} "
            f"{stage_for(eq_usd).value.upper()} | last {decision} | trades {len(closed)} ({wins} won) | "
            f"halts {halt}"
        )


def pacer(
    speed: float, start_ms: int, refresh: Callable[[int], None]
) -> Callable[[int], Awaitable[None]]:
    """Sleep so that simulated time runs ``speed`` times faster than the wall clock."""
    wall0 = time.monotonic()

    async def pace(now_ms: int) -> None:
        target = wall0 + (now_ms - start_ms) / 1000 / speed
        while (left := target - time.monotonic()) > 0:
            await asyncio.sleep(min(left, WAIT_STEP_S))
            refresh(start_ms + round((time.monotonic() - wall0) * speed * 1000))

    return pace


@dataclass
class PaperResult:
    summary: Summary
    plan: ReplayPlan
    interrupted: bool
    moved: Path | None
    duplicates: list[str]


class _Outputs:
    """The store, the JSON-lines sinks and the in-memory observers of one paper run."""

    def __init__(
        self,
        options: PaperOptions,
        plan: ReplayPlan,
        console: Console,
        notifier: Notifier | None = None,
    ):
        options.state.parent.mkdir(parents=True, exist_ok=True)
        logs = log_dir_for(options.state)
        logs.mkdir(parents=True, exist_ok=True)
        _drop_default_sink()
        self.sinks = [logger.add(**sink_config(kind, logs)) for kind in RecordKind]
        self.store = SqliteStore.open(options.state, plan.start_ms, collapse_rejections=True)
        self.recorder = Recorder(self.store, mode="paper", save_each_round=False, collapse_log=True)
        self.collector = Collector()
        self.status = StatusLine(console, plan, self.collector)
        self.console, self.plan = console, plan
        self.notifier = notifier
        self._start_detail = (
            f"paper trading {plan.arrays.source} {iso(plan.start_ms)} → {iso(plan.end_ms)}"
        )
        if notifier is not None:
            self.recorder.day_listeners.append(notifier.on_day)
            self.recorder.runtime_extra["notify"] = notifier.stats

    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        try:
            self.recorder.on_outbox(now_ms, out, core)
        except CommitFailed as e:  # the round loop still sends the protective commands
            if self.notifier is not None:
                self.notifier.store_failed(now_ms, core, str(e))
            raise
        if self.notifier is not None:
            self.notifier.store_ok(now_ms, core)
        self.collector.on_outbox(now_ms, out, core)
        self.status.on_outbox(now_ms, out, core)
        if self.notifier is not None:
            if self._start_detail:  # after the first round: the mark and the equity are known
                self.notifier.started(now_ms, core, self._start_detail)
                self._start_detail = ""
            self.notifier.on_outbox(now_ms, out, core)

    def on_tick(self, now_ms: int, core: TradingCore) -> None:
        self.collector.on_tick(now_ms, core)
        self.status.on_tick(now_ms, core)

    def wrap(self, executor):
        self.recorder.budget = executor.budget  # the simulated F1 budget, for ``status``
        return executor

    def bind(self, replay: Replay) -> None:
        """Read the exchange ledger from the simulator that now exists."""
        ledger = self.status.ledger = replay.sim.ledger

        def equity(core: TradingCore) -> Decimal | None:
            mark = core.kit.view.mark_price
            return None if mark is None else ledger.wallet_btc + ledger.unrealised_btc(mark)

        self.recorder.equity_of = equity
        self.collector.bind(ledger, self.plan.start_ms)
        if self.notifier is not None:
            self.notifier.equity_of = equity
            self.notifier.attach(replay.core)

    def refresher(self, replay: Replay) -> Callable[[int], None]:
        """Redraw while the pacer waits, at the simulated time the wall clock has reached."""

        def refresh(sim_now_ms: int) -> None:
            shown = max(replay.now_ms, sim_now_ms)
            self.status.render(shown, replay.core)
            self.console.status(self.status.fraction(shown), self.status.text)

        return refresh

    def close(self, replay: Replay | None, interrupted: bool) -> None:
        """Persist (session, decisions, daily metrics), flush the notifications, close."""
        self.console.finish()
        try:
            if replay is not None:
                self.recorder.finish(replay.now_ms, replay.core)
                self._notify_stop(replay, interrupted)
            self.store.close()
        finally:
            if self.notifier is not None:
                self.notifier.close()
            for sink in self.sinks:
                logger.remove(sink)

    def _notify_stop(self, replay: Replay, interrupted: bool) -> None:
        """The stop notice, the flush, then the final counts into the store (for ``status``)."""
        if self.notifier is None:
            return
        why = "interrupted (Ctrl-C)" if interrupted else "end of the data"
        self.notifier.stopped(replay.now_ms, replay.core, f"paper run, {why}")
        self.notifier.close()
        self.recorder.save(replay.now_ms, replay.core)


async def run_paper(
    options: PaperOptions,
    config: AppConfig,
    winrate: WinrateSource,
    arrays,
    console: Console,
    notifier: Notifier | None = None,
) -> PaperResult:
    """Run the paper session to the end of the data (or Ctrl-C), persisting as live does.

    Raise ``StoreLockedError`` (a ``StoreError``) when another process holds the store.
    """
    lock = take_store(options.state, int(time.time() * 1000))
    try:
        return await _run_locked(options, config, winrate, arrays, console, notifier, lock)
    finally:
        lock.release()


async def _run_locked(
    options: PaperOptions,
    config: AppConfig,
    winrate: WinrateSource,
    arrays,
    console: Console,
    notifier: Notifier | None,
    lock: StoreLock,
) -> PaperResult:
    plan = plan_replay(
        arrays,
        with_winrate(config, winrate.winrate),
        options.start_equity_usd,
        from_ms=options.from_ms,
        to_ms=options.to_ms,
        warmup_days=options.warmup_days,
    )
    moved = rotate(options.state, lock)
    outputs = _Outputs(options, plan, console, notifier)
    record_owner(outputs.store, lock, "paper")
    replay, interrupted = None, True
    try:
        replay = await Replay.open(
            plan,
            on_outbox=outputs.on_outbox,
            on_tick=outputs.on_tick,
            wrap_executor=outputs.wrap,
            day_edges=True,  # the daily roll-up reads equity at each day's first and last tick
        )
        outputs.bind(replay)
        console.event(_header(plan, winrate, options))
        speed = options.speed
        await replay.run(
            None if speed is None else pacer(speed, plan.start_ms, outputs.refresher(replay))
        )
        interrupted = False
    except asyncio.CancelledError:  # Ctrl-C: asyncio cancels the main task; persist, then 130
        if replay is None:
            raise
    finally:
        outputs.close(replay, interrupted)
    c, end = outputs.collector, replay.now_ms
    path = _until(c.equity_path(plan.arrays, plan.first_index), end)
    summary = summarize(c, path, replay.core.state.halt, plan.start_ms, end, plan.start_mark)
    return PaperResult(summary, plan, interrupted, moved, outputs.recorder.duplicates)


def _drop_default_sink() -> None:
    """Records go to their JSON-lines files only, not to loguru's default stderr handler."""
    with contextlib.suppress(ValueError):
        logger.remove(0)


def _until(path, end_ms: int):
    """The equity path up to ``end_ms`` (an interrupted run stops early)."""
    keep = path.ts_ms <= end_ms
    return type(path)(path.ts_ms[keep], path.mark[keep], path.equity_btc[keep])


def _header(plan: ReplayPlan, winrate: WinrateSource, options: PaperOptions) -> str:
    speed = "max" if options.speed is None else f"{options.speed:g}x"
    return (
        f"paper trading {plan.arrays.source} ({timeframe_label(plan.timeframe_ms)}) "
        f"{iso(plan.start_ms)} → {iso(plan.end_ms)}, speed {speed}, "
        f"start ${plan.start_equity_usd} at {plan.start_mark}\n"
        f"D4 backtest win rate: {winrate.source}\n"
        f"store {options.state}, logs {log_dir_for(options.state)}/"
    )
