"""One run of a sweep, in a worker process (local pool or Ray): the backtest of its window,
its own report directory, and its row. Any exception becomes an ``ERROR`` row with the
traceback written beside the run's report — never the end of the sweep.

The win rate is never stored for SPEC D4 here: ``run_backtest`` only writes the report.
"""

from __future__ import annotations

import asyncio
import functools
import time
import traceback
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from accountbuilder.config.loader import load_config
from accountbuilder.config.models import AppConfig
from accountbuilder.marketdata.candles import DAY_MS, CandleArrays
from accountbuilder_runner import failpoints
from accountbuilder_runner.backtest import BacktestOptions, run_backtest
from accountbuilder_runner.console import Console
from accountbuilder_runner.sweep.montecarlo import synthetic_path
from accountbuilder_runner.sweep.rows import SweepRow, error_row, row_of
from accountbuilder_runner.sweep.schedule import RunTask, day_of

Payload = Mapping[str, CandleArrays]  # candles by source file name
TRACEBACK = "traceback.txt"


@functools.lru_cache(maxsize=4)
def _config(config_dir: str | None) -> AppConfig:
    return load_config(None if config_dir is None else Path(config_dir))


def candles_for(task: RunTask, payload: Payload) -> CandleArrays:
    """The task's candles: the real file, or its Monte Carlo path (history + window)."""
    arrays = payload[task.source]
    if task.path is None:
        return arrays
    days = (date.fromisoformat(task.to) - day_of(int(arrays.ts_ms[0]))).days + 1  # with history
    count = days * DAY_MS // arrays.timeframe_ms
    return synthetic_path(arrays, int(count), task.block_days or 1.0, task.seed or 0, task.path)


def run_one(task: RunTask, payload: Payload, out_dir: str, config_dir: str | None) -> SweepRow:
    """Run ``task`` and write its report under ``out_dir``; a crash gives an ``ERROR`` row."""
    t0 = time.perf_counter()
    report = Path(out_dir) / task.run_id
    failpoints.hit("sweep_run")  # crash tests: a worker killed at its n-th run
    try:
        options = BacktestOptions(
            data=Path(task.data),
            out=report,
            from_date=task.start,
            to_date=task.to,
            start_equity_usd=task.start_equity_usd,
            plot=task.plot,
        )
        arrays = candles_for(task, payload)
        coro = run_backtest(options, _config(config_dir), Console(quiet=True), arrays)
        result = asyncio.run(coro)
        return row_of(task, result.summary, time.perf_counter() - t0)
    except Exception as e:  # one run's crash is its own ERROR row (issue 18)
        report.mkdir(parents=True, exist_ok=True)
        (report / TRACEBACK).write_text(traceback.format_exc(), encoding="utf-8")
        message = f"{type(e).__name__}: {e}".splitlines()[0]
        return error_row(task, message, f"{task.run_id}/{TRACEBACK}", time.perf_counter() - t0)
