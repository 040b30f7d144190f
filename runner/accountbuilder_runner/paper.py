"""``accountbuilder run`` (paper): the live composition on the simulated exchange, replaying a
real candle slice at ``speed`` simulated seconds per wall second, with a live status line.

Same core, same store and records as live: the session, intents, decisions, trades, halts and
daily metrics go to the SQLite store (``paper_records``) and to JSON-lines files through the
loguru sinks. A paper run is a new paper account: an earlier store at the same path is kept as
``<name>.prev`` (one generation) and a fresh one is started.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from loguru import logger

from accountbuilder.config.models import AppConfig
from accountbuilder.constants import STAGE2_FROM_USD, STAGE3_FROM_USD
from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.records.sinks import RecordKind, sink_config
from accountbuilder.records.trade_log import TradeEntryRecord
from accountbuilder.store import SqliteStore
from accountbuilder_runner.backtest import timeframe_label
from accountbuilder_runner.console import Console, bar
from accountbuilder_runner.paper_records import PaperRecorder, RecordingExecutor
from accountbuilder_runner.replay import Replay, ReplayPlan, plan_replay
from accountbuilder_runner.reporting.collector import Collector
from accountbuilder_runner.reporting.summary import Summary, iso, summarize
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


def rotate(state: Path) -> Path | None:
    """Keep an earlier paper store (and its logs) as ``*.prev``; return the moved store."""
    moved = None
    for path in (state, Path(f"{state}-wal"), Path(f"{state}-shm"), log_dir_for(state)):
        if not path.exists():
            continue
        prev = path.with_name(path.name + ".prev")
        if prev.is_dir():
            shutil.rmtree(prev)
        elif prev.exists():
            prev.unlink()
        path.rename(prev)
        moved = moved or (prev if path == state else None)
    return moved


def stage_name(equity_usd: Decimal) -> str:
    if equity_usd >= STAGE3_FROM_USD:
        return "S3"
    return "S2" if equity_usd >= STAGE2_FROM_USD else "S1"


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
            f"paper {iso(now_ms)[:16].replace('T', ' ')} {bar(self.fraction(now_ms), 12)} | "
            f"{s.main.state} stop={s.stop.state} | {eq_btc:.8f} BTC ${eq_usd:.2f} "
            f"{stage_name(eq_usd)} | last {decision} | trades {len(closed)} ({wins} won) | "
            f"halts {halt}"
        )


def pacer(
    speed: float, start_ms: int, refresh: Callable[[], None]
) -> Callable[[int], Awaitable[None]]:
    """Sleep so that simulated time runs ``speed`` times faster than the wall clock."""
    wall0 = time.monotonic()

    async def pace(now_ms: int) -> None:
        target = wall0 + (now_ms - start_ms) / 1000 / speed
        while (left := target - time.monotonic()) > 0:
            await asyncio.sleep(min(left, WAIT_STEP_S))
            refresh()

    return pace


@dataclass
class PaperResult:
    summary: Summary
    plan: ReplayPlan
    interrupted: bool
    moved: Path | None
    duplicates: list[str]


async def run_paper(
    options: PaperOptions,
    config: AppConfig,
    winrate: WinrateSource,
    arrays,
    console: Console,
) -> PaperResult:
    """Run the paper session to the end of the data (or Ctrl-C), persisting as live does."""
    plan = plan_replay(
        arrays,
        with_winrate(config, winrate.winrate),
        options.start_equity_usd,
        from_ms=options.from_ms,
        to_ms=options.to_ms,
        warmup_days=options.warmup_days,
    )
    moved = rotate(options.state)
    options.state.parent.mkdir(parents=True, exist_ok=True)
    logs = log_dir_for(options.state)
    logs.mkdir(parents=True, exist_ok=True)
    _drop_default_sink()
    sink_ids = [logger.add(**sink_config(kind, logs)) for kind in RecordKind]
    store = SqliteStore.open(options.state, plan.start_ms, collapse_rejections=True)
    collector = Collector()
    status = StatusLine(console, plan, collector)
    recorder = PaperRecorder(store)

    def on_outbox(now_ms: int, out: Outbox, core: TradingCore) -> None:
        recorder.on_outbox(now_ms, out, core)
        collector.on_outbox(now_ms, out, core)
        status.on_outbox(now_ms, out, core)

    def on_tick(now_ms: int, core: TradingCore) -> None:
        collector.on_tick(now_ms, core)
        status.on_tick(now_ms, core)

    replay = None
    interrupted = True
    try:
        replay = await Replay.open(
            plan,
            on_outbox=on_outbox,
            on_tick=on_tick,
            wrap_executor=lambda executor: RecordingExecutor(executor, recorder),
        )
        recorder.ledger = replay.sim.ledger
        collector.bind(replay.sim.ledger, plan.start_ms)
        status.ledger = replay.sim.ledger
        console.event(_header(plan, winrate, options))

        def refresh() -> None:
            status.render(replay.now_ms, replay.core)
            console.status(status.fraction(replay.now_ms), status.text)

        pace = None if options.speed is None else pacer(options.speed, plan.start_ms, refresh)
        await replay.run(pace)
        interrupted = False
    except asyncio.CancelledError:  # Ctrl-C: asyncio cancels the main task; persist, then 130
        if replay is None:
            raise
    finally:
        console.finish()
        if replay is not None:
            recorder.close(replay.now_ms, replay.core)
        else:
            store.close()
        for sink in sink_ids:
            logger.remove(sink)
    path = collector.equity_path(plan.arrays, plan.first_index)
    end = replay.now_ms
    summary = summarize(collector, _until(path, end), replay.core.state.halt, plan.start_ms, end)
    return PaperResult(summary, plan, interrupted, moved, recorder.duplicates)


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
