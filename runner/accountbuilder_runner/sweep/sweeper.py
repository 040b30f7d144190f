"""A sweep from its options to its files: plan the runs, run them on an engine with a progress
bar, and write ``sweep.csv``, ``sweep.json`` and ``sweep.html`` from the rows that finished
(all of them, or those before a Ctrl-C).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any

from accountbuilder.marketdata.candles import CandleArrays, load_candles, slice_ms
from accountbuilder_runner.console import Console
from accountbuilder_runner.replay import HISTORY_DAYS
from accountbuilder_runner.sweep.aggregate import aggregate
from accountbuilder_runner.sweep.page import render_page
from accountbuilder_runner.sweep.rows import ERROR, SweepRow, write_csv
from accountbuilder_runner.sweep.schedule import (
    Every,
    RunTask,
    day_of,
    run_id,
    tasks_for,
    window_days,
    windows,
)

DAY_MS = 86_400_000


class SweepInputError(ValueError):
    """The sweep cannot be planned as asked (no window fits the data)."""


@dataclass(frozen=True, slots=True)
class SweepOptions:
    data: tuple[Path, ...]
    every: Every
    months: int
    equities: tuple[Decimal, ...]
    out: Path
    from_day: Any = None  # datetime.date
    to_day: Any = None
    workers: int = 1
    engine: str = "local"
    ray_address: str | None = None
    config_dir: Path | None = None
    plot: bool = True
    paths: int = 0  # Monte Carlo paths per file (0: the real history)
    block_days: float = 5.0
    seed: int = 0


@dataclass
class SweepResult:
    rows: list[SweepRow]
    planned: int
    interrupted: bool
    summaries: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if r.outcome == ERROR)


def load_payload(options: SweepOptions) -> dict[str, CandleArrays]:
    """Each data file's candles, keyed by file name, cut at ``--to`` (loaded once, here)."""
    payload = {}
    for path in options.data:
        arrays = load_candles(path)
        if options.to_day is not None:
            end = datetime.combine(options.to_day + timedelta(days=1), dt_time(), tzinfo=UTC)
            arrays = slice_ms(arrays, None, int(end.timestamp() * 1000))
        payload[path.name] = arrays
    return payload


def _monte_carlo(options: SweepOptions, data: Path, arrays: CandleArrays) -> list[RunTask]:
    """``--paths`` tasks: each path's window starts after 31 days of resampled history."""
    start = day_of(int(arrays.ts_ms[0])) + timedelta(days=HISTORY_DAYS + 1)
    to = start + timedelta(days=window_days(options.months) - 1)
    return [
        RunTask(
            run_id(arrays.source, f"path{k:04d}", usd),
            str(data),
            arrays.source,
            start.isoformat(),
            to.isoformat(),
            True,
            usd,
            options.plot,
            path=k,
            seed=options.seed,
            block_days=options.block_days,
        )
        for k in range(options.paths)
        for usd in options.equities
    ]


def plan_tasks(options: SweepOptions, payload: dict[str, CandleArrays]) -> list[RunTask]:
    """Every run of the sweep, file by file, in start order."""
    tasks: list[RunTask] = []
    for path in options.data:
        arrays = payload[path.name]
        if options.paths:
            tasks += _monte_carlo(options, path, arrays)
            continue
        wins = windows(arrays, options.every, options.months, options.from_day, options.to_day)
        if not wins:
            raise SweepInputError(f"{path.name}: no start date with a window in the data")
        tasks += tasks_for(str(path), arrays, wins, options.equities, plot=options.plot)
    return tasks


def make_engine(options: SweepOptions, payload: dict[str, CandleArrays]):
    out, cfg = str(options.out), None if options.config_dir is None else str(options.config_dir)
    if options.engine == "ray":
        from accountbuilder_runner.sweep.ray_engine import RayEngine

        return RayEngine(options.workers, payload, out, cfg, options.ray_address)
    from accountbuilder_runner.sweep.local import LocalEngine

    return LocalEngine(options.workers, payload, out, cfg)


def _eta(elapsed: float, done: int, total: int) -> str:
    if not done:
        return "ETA --:--"
    left = int(elapsed / done * (total - done))
    return f"ETA {left // 60:02d}:{left % 60:02d}"


def run_sweep(options: SweepOptions, console: Console) -> SweepResult:
    """Plan, run with progress (Ctrl-C stops it and keeps what finished), write the files."""
    payload = load_payload(options)
    tasks = plan_tasks(options, payload)
    options.out.mkdir(parents=True, exist_ok=True)
    order = {t.run_id: i for i, t in enumerate(tasks)}
    rows: list[SweepRow] = []
    interrupted, t0 = False, time.monotonic()
    engine = make_engine(options, payload)
    console.status(0.0, f"0/{len(tasks)} done", force=True)  # the bar's clock starts here
    try:
        for row in engine.results(tasks):
            rows.append(row)
            failed = sum(1 for r in rows if r.outcome == ERROR)
            text = f"{len(rows)}/{len(tasks)} done, {failed} failed, {_eta(time.monotonic() - t0, len(rows), len(tasks))}"
            console.status(len(rows) / len(tasks), text, force=True)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        engine.close()
        console.finish()
    rows.sort(key=lambda r: order[r.report])
    result = SweepResult(rows, len(tasks), interrupted, aggregate(rows, options.months))
    write_outputs(options, result)
    return result


def describe(options: SweepOptions) -> str:
    files = ", ".join(p.name for p in options.data)
    usd = ", ".join(f"${format(u.normalize(), 'f')}" for u in options.equities)
    when = (
        f"{options.paths} Monte Carlo paths (block {options.block_days:g} days, seed {options.seed})"
        if options.paths
        else f"a start every {options.every.unit if options.every.unit != 'days' else f'{options.every.days} days'}"
    )
    return (
        f"{files}: {when}, {options.months}-month windows, start equity {usd}; "
        f"engine {options.engine}, {options.workers} workers"
    )


def _seconds(rows: list[SweepRow]) -> dict[str, float] | None:
    """Time per run (inside the worker: candles to report), for the benchmark."""
    times = [r.elapsed_s for r in rows if r.elapsed_s is not None]
    if not times:
        return None
    return {"total": round(sum(times), 3), "mean": round(sum(times) / len(times), 3)}


def write_outputs(options: SweepOptions, result: SweepResult) -> None:
    """``sweep.csv``, ``sweep.json`` and ``sweep.html`` in ``--out``."""
    out = options.out
    write_csv(out / "sweep.csv", result.rows)
    meta = {
        "describe": describe(options),
        "files": [p.name for p in options.data],
        "every": options.every.unit if options.every.unit != "days" else f"{options.every.days}d",
        "months": options.months,
        "start_equity_usd": [format(u.normalize(), "f") for u in options.equities],
        "engine": options.engine,
        "workers": options.workers,
        "monte_carlo": None
        if not options.paths
        else {"paths": options.paths, "block_days": options.block_days, "seed": options.seed},
        "planned": result.planned,
        "finished": len(result.rows),
        "errors": result.errors,
        "interrupted": result.interrupted,
        "run_seconds": _seconds(result.rows),
    }
    doc = {"meta": meta, "by_start_equity": result.summaries}
    (out / "sweep.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (out / "sweep.html").write_text(
        render_page(result.rows, result.summaries, meta), encoding="utf-8"
    )
