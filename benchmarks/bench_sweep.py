"""Benchmark: the 54-run quarterly sweep of the hourly 2017–2024 file, by engine and workers.

Run by hand, not in CI (about 15 minutes on 2 cores). ``--engine ray`` needs the ``ray``
extra (``pip install -e '.[ray]'``). From the project root:

    python benchmarks/bench_sweep.py [--data ../shared/data/btcusd_1h_2017-08_2024-07.csv.gz]

Measured, each in a fresh subprocess of the real CLI (start-up, loading, the runs, the three
output files; wall time):

- ``accountbuilder sweep --every quarter --months 18 --start-equity-usd 100,300`` with
  ``--workers 1`` and ``--workers 2`` on the local engine, and ``--workers 1`` and ``2`` on
  ``--engine ray`` (Ray started locally);
- the same 54 windows one by one through ``run_backtest`` in one process (what ``backtest``
  does for each, CLI start-up excluded), for the time per run.

Each configuration runs ``--repeat`` times, interleaved with the others, and the fastest of
each is kept (the machine is shared: the least disturbed run is the nearest to its own cost).
Ray's overhead per run is its wall time minus the local engine's at the same worker count,
divided by the runs. Prints a JSON summary; docs/benchmarks.md holds the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "btcusd_1h_2017-08_2024-07.csv.gz"
SWEEP = ["--every", "quarter", "--months", "18", "--start-equity-usd", "100,300"]


def timed_sweep(data: Path, engine: str, workers: int, extra: list[str]) -> dict:
    """One sweep through the CLI in a subprocess; wall time and what sweep.json says."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "accountbuilder_runner", "sweep", "--data", str(data), *SWEEP]
        cmd += ["--engine", engine, "--workers", str(workers), "--out", out, "--quiet", *extra]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        meta = json.loads((Path(out) / "sweep.json").read_text())["meta"]
    return {
        "engine": engine,
        "workers": workers,
        "wall_s": round(wall, 2),
        "exit": done.returncode,
        "runs": meta["finished"],
        "errors": meta["errors"],
        "run_s_mean": meta["run_seconds"]["mean"],
    }


def one_by_one(data: Path, plot: bool) -> dict:
    """The same windows through ``run_backtest``, one after the other, in this process."""
    from accountbuilder.config import load_config
    from accountbuilder.marketdata.candles import load_candles
    from accountbuilder_runner.backtest import BacktestOptions, run_backtest
    from accountbuilder_runner.console import Console
    from accountbuilder_runner.sweep.schedule import Every, windows

    config = load_config()
    wins = windows(load_candles(data), Every("quarter"), 18)
    times, errors = [], 0
    with tempfile.TemporaryDirectory() as out:
        for w in wins:
            for usd in ("100", "300"):
                options = BacktestOptions(
                    data,
                    Path(out) / f"{w.start}_{usd}",
                    from_date=w.start.isoformat(),
                    to_date=w.to.isoformat(),
                    start_equity_usd=Decimal(usd),
                    plot=plot,
                )
                t0 = time.perf_counter()
                try:
                    asyncio.run(run_backtest(options, config, Console(quiet=True)))
                except Exception:  # the same crashes the sweep reports as ERROR rows
                    errors += 1
                times.append(time.perf_counter() - t0)
    return {
        "runs": len(times),
        "errors": errors,
        "total_s": round(sum(times), 2),
        "per_run_s": round(sum(times) / len(times), 3),
    }


def _noop(candles, task) -> int:
    """A task that only reads its candles: what Ray costs around a run."""
    return len(next(iter(candles.values())))


def ray_overhead(data: Path, runs: int = 54, workers: int = 2) -> dict:
    """Ray's own costs, apart from the runs: start-up, the one ``ray.put`` of the candles,
    ``runs`` tasks that only read them (dispatch, argument resolution, result), shut-down."""
    import ray

    from accountbuilder.marketdata.candles import load_candles

    payload = {data.name: load_candles(data)}
    t0 = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    t1 = time.perf_counter()
    ref = ray.put(payload)
    t2 = time.perf_counter()
    task = ray.remote(num_cpus=1, max_retries=0)(_noop)
    ray.get([task.remote(ref, i) for i in range(workers)])  # warm the workers
    t3 = time.perf_counter()
    ray.get([task.remote(ref, i) for i in range(runs)])
    t4 = time.perf_counter()
    ray.shutdown()
    t5 = time.perf_counter()
    return {
        "init_s": round(t1 - t0, 3),
        "put_s": round(t2 - t1, 3),
        "worker_warmup_s": round(t3 - t2, 3),
        "tasks": runs,
        "per_task_ms": round((t4 - t3) / runs * 1000, 2),
        "shutdown_s": round(t5 - t4, 3),
        "fixed_per_sweep_run_s": round((t5 - t0) / runs, 3),
    }


def _best(results: list[dict], engine: str, workers: int) -> dict:
    """The fastest repeat of one configuration (the least disturbed by other load)."""
    mine = [r for r in results if r["engine"] == engine and r["workers"] == workers]
    best = min(mine, key=lambda r: r["wall_s"])
    return {**best, "all_wall_s": [r["wall_s"] for r in mine]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=2, help="rounds, configurations interleaved")
    parser.add_argument("--no-plot", action="store_true", help="runs without equity.png")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--only-ray-overhead", action="store_true", help="Ray's own costs only")
    args = parser.parse_args()
    if args.only_ray_overhead:
        print(json.dumps(ray_overhead(args.data), indent=2))
        return 0
    extra = ["--no-plot"] if args.no_plot else []
    configs = [("local", 1), ("local", 2)] + ([] if args.skip_ray else [("ray", 1), ("ray", 2)])
    results = []
    for _ in range(args.repeat):  # interleaved, so a burst of other load hits every one
        results += [timed_sweep(args.data, engine, w, extra) for engine, w in configs]
    best = {c: _best(results, *c) for c in configs}
    serial = one_by_one(args.data, plot=not args.no_plot)
    overhead = None if args.skip_ray else ray_overhead(args.data)
    summary = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_at_end": os.getloadavg(),
        "plots": not args.no_plot,
        "best_of_repeats": list(best.values()),
        "one_by_one": serial,
        "ray_own_costs": overhead,
        "two_workers_over_one": round(best["local", 2]["wall_s"] / best["local", 1]["wall_s"], 3),
        "ray_overhead_per_run_s": {
            w: round(
                (best["ray", w]["wall_s"] - best["local", w]["wall_s"]) / best["ray", w]["runs"], 3
            )
            for engine, w in configs
            if engine == "ray"
        },
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
