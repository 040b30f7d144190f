"""``accountbuilder backtest``: the full core over a candle file, then the report files.

Load and check the candles (bad data stops here with file and row), replay them through the
same core as live on the simulated exchange (``replay``) with a progress bar, summarise, write
the report (``reporting``) and store the win rate for SPEC D4 (``winrate_file``).

SPEC D4 inside a backtest: the backtest is what measures the win rate, so it cannot gate its
own first trades on it; it runs with D4's first phase open (a stored rate of 100 %) unless
``d4_winrate`` is given. From 10 closed trades on, D4 judges the backtest's own trades as live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from accountbuilder import __version__
from accountbuilder.config.models import AppConfig
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.marketdata.candles import DAY_MS, CandleArrays, load_candles, parse_utc_date_ms
from accountbuilder_runner import winrate_file
from accountbuilder_runner.console import Console
from accountbuilder_runner.replay import Replay, ReplayPlan, plan_replay
from accountbuilder_runner.reporting import ReportFiles, write_report
from accountbuilder_runner.reporting.collector import Collector
from accountbuilder_runner.reporting.summary import Summary, iso, summarize

D4_OPEN = Decimal(1)


@dataclass(frozen=True, slots=True)
class BacktestOptions:
    data: Path
    out: Path | None
    from_date: str | None = None
    to_date: str | None = None
    start_equity_usd: Decimal = Decimal(100)
    warmup_days: int = 15
    skip_idle: bool = True
    plot: bool = True
    d4_winrate: Decimal | None = None


@dataclass
class BacktestResult:
    summary: Summary
    plan: ReplayPlan
    replay: Replay
    files: ReportFiles | None
    load_s: float
    run_s: float


def timeframe_label(ms: int) -> str:
    """``60000`` → ``1m``, ``3600000`` → ``1h``, ``86400000`` → ``1d``."""
    for unit, size in (("d", DAY_MS), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def date_range_ms(from_date: str | None, to_date: str | None) -> tuple[int | None, int | None]:
    """``--from``/``--to``: a date covers its whole UTC day (``--to`` inclusive)."""
    from_ms = None if from_date is None else parse_utc_date_ms(from_date)
    to_ms = None
    if to_date is not None:
        to_ms = parse_utc_date_ms(to_date) + (DAY_MS if len(to_date) == 10 else 0)
    return from_ms, to_ms


def gaps_figures(arrays: CandleArrays, first_index: int) -> dict[str, Any]:
    """Gaps (missing bars) inside the replayed candles: count, total and the largest."""
    start = int(arrays.ts_ms[first_index])
    gaps = [(ts, n) for ts, n in arrays.gaps if ts > start]
    if not gaps:
        return {"count": 0, "missing_bars": 0, "largest": None}
    ts, n = max(gaps, key=lambda g: g[1])
    return {
        "count": len(gaps),
        "missing_bars": sum(n for _, n in gaps),
        "largest": {"from": iso(ts), "bars": n, "minutes": n * arrays.timeframe_ms // 60_000},
    }


def _progress(console: Console, plan: ReplayPlan):
    span = max(plan.end_ms - plan.start_ms, 1)

    def on_tick(now_ms: int, core: TradingCore) -> None:
        frac = (now_ms - plan.start_ms) / span
        if console.due(frac):
            text = f"{iso(now_ms)} {core.state.main.state}"
            console.status(frac, text, force=True)

    return on_tick


async def run_backtest(
    options: BacktestOptions,
    config: AppConfig,
    console: Console,
    arrays: CandleArrays | None = None,
) -> BacktestResult:
    """Load (unless ``arrays`` holds ``options.data`` already), replay, summarise and (with
    ``options.out``) write the report files."""
    t0 = time.perf_counter()
    arrays = load_candles(options.data) if arrays is None else arrays
    from_ms, to_ms = date_range_ms(options.from_date, options.to_date)
    rate = options.d4_winrate if options.d4_winrate is not None else D4_OPEN
    plan = plan_replay(
        arrays,
        winrate_file.with_winrate(config, rate),
        options.start_equity_usd,
        from_ms=from_ms,
        to_ms=to_ms,
        warmup_days=options.warmup_days,
        skip_idle=options.skip_idle,
    )
    collector = Collector()
    progress = _progress(console, plan)

    def on_tick(now_ms: int, core: TradingCore) -> None:
        collector.on_tick(now_ms, core)
        progress(now_ms, core)

    replay = await Replay.open(
        plan, on_outbox=collector.on_outbox, on_tick=on_tick, on_repeat=collector.on_repeat
    )
    collector.bind(replay.sim.ledger, plan.start_ms)
    load_s = time.perf_counter() - t0
    await replay.run()
    if console.tty:
        console.status(1.0, "done", force=True)
    console.finish()
    path = collector.equity_path(plan.arrays, plan.first_index)
    summary = summarize(
        collector, path, replay.core.state.halt, plan.start_ms, plan.end_ms, plan.start_mark
    )
    run_s = time.perf_counter() - t0 - load_s
    summary.extra.update(_extra(options, plan, replay, load_s + run_s, rate))
    files = write_report(options.out, summary, plot=options.plot) if options.out else None
    return BacktestResult(summary, plan, replay, files, load_s, run_s)


def _extra(
    options: BacktestOptions, plan: ReplayPlan, replay: Replay, elapsed: float, rate: Decimal
) -> dict[str, Any]:
    s = replay.core.state
    arrays = plan.arrays
    return {
        "candles": plan.replay_candles,
        "elapsed_s": round(elapsed, 3),
        "data": {
            "file": arrays.source,
            "timeframe": timeframe_label(plan.timeframe_ms),
            "history_from": iso(int(arrays.ts_ms[0])),
            "first_candle": iso(plan.start_ms),
            "last_candle": iso(int(arrays.ts_ms[-1])),
        },
        "gaps": gaps_figures(arrays, plan.first_index),
        "ticks": replay.ticks,
        "ticks_skipped": replay.skipped,
        "final_state": {
            "main": s.main.state,
            "stop_status": s.stop.state,
            "halt": s.halt.to_dict(),
            "leverage_in_force": str(s.leverage_in_force),
        },
        "start_mark": str(plan.start_mark),
        "requested_start_equity_usd": str(options.start_equity_usd),
        "d4_backtest_winrate_used": str(rate),
        "version": __version__,
    }


def stored_winrate(result: BacktestResult) -> winrate_file.StoredWinrate | None:
    """The D4 record of this backtest (None without closed trades)."""
    f = result.summary.figures
    if not f["trades"]:
        return None
    return winrate_file.StoredWinrate(
        winrate=Decimal(f["wins"]) / Decimal(f["trades"]),
        trades=f["trades"],
        wins=f["wins"],
        from_=f["from"],
        to=f["to"],
        data=result.plan.arrays.source,
        timeframe=timeframe_label(result.plan.timeframe_ms),
        start_equity_usd=str(result.summary.extra["requested_start_equity_usd"]),
    )
