"""Benchmark: the full-policy backtest against backtesting.py on a year of 1-minute candles.

Run by hand, not in CI. Needs the ``bench`` extra (``pip install -e '.[bench]'``: pandas and
backtesting) and the data, built once from the project root:

    python ../shared/tools/make_year_1m.py benchmarks/data/year_1m.csv.gz
    python benchmarks/bench_backtest.py --repeat 3                  # the four workloads
    python benchmarks/bench_backtest.py --workload short300 --repeat 1

Every run is a fresh subprocess (so that peak memory is that run's own ``ru_maxrss`` and user
CPU its own ``ru_utime``), alternating with backtesting.py on the same file:

- accountbuilder: what ``accountbuilder backtest --no-plot`` does, end to end — load and check
  the CSV, replay the whole core (every gate, emergency rule and machine) on the simulated
  exchange, summarise, write report.json and the CSV tables (plots and CLI start-up excluded);
- backtesting.py: read the CSV with pandas, then a plain grid — a limit buy one step below
  the close, stop 1.5 steps below it, take-profit one step above it, one position at a time.

Each accountbuilder run also reports the time of every ``TradingCore.tick`` call (p50, p99,
max) as the thread's CPU time (``time.thread_time_ns``: on a shared 2-core machine wall time
per tick mostly measures the scheduler), and a digest of its decisions, trades and halts, so
that runs of two versions can be compared for identical behaviour.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "year_1m.csv.gz"
STEP = 0.01  # the grid step of the backtesting.py side (1 % of the price)
# name → (start equity in USD, grid direction)
WORKLOADS = {
    "usd100": ("100", "long"),
    "usd300": ("300", "long"),
    "short300": ("300", "short"),
    "usd1000": ("1000", "long"),
}


def _config(direction: str):
    from accountbuilder.config import load_config

    config = load_config()
    grid = config.execution.grid.model_copy(update={"direction": direction})
    execution = config.execution.model_copy(update={"grid": grid})
    return config.model_copy(update={"execution": execution})


def _time_core_ticks() -> array:
    """Wrap ``TradingCore.tick`` to record the CPU nanoseconds of every call (compactly: a
    tick-by-tick year is half a million of them)."""
    from accountbuilder.core.orchestrator import TradingCore

    spent = array("q")
    tick = TradingCore.tick
    clock = time.thread_time_ns

    def timed(self, now_ms, queued=()):
        t0 = clock()
        out = tick(self, now_ms, queued)
        spent.append(clock() - t0)
        return out

    TradingCore.tick = timed
    return spent


def _digest(out: Path) -> str:
    """One hash over the decisions, trades and halts tables (report.json holds timings)."""
    h = hashlib.sha256()
    for name in sorted(p.name for p in out.glob("*.csv")):
        h.update(name.encode())
        h.update((out / name).read_bytes())
    return h.hexdigest()[:16]


def run_accountbuilder(data: Path, workload: str, skip: bool) -> dict:
    """One full backtest, as ``accountbuilder backtest --no-plot`` runs it (minus CLI start-up)."""
    import asyncio
    from decimal import Decimal

    from accountbuilder_runner.backtest import BacktestOptions, run_backtest
    from accountbuilder_runner.console import Console

    usd, direction = WORKLOADS[workload]
    config = _config(direction)
    spent = _time_core_ticks()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        options = BacktestOptions(
            data, out, start_equity_usd=Decimal(usd), plot=False, skip_idle=skip
        )
        t0 = time.perf_counter()
        result = asyncio.run(run_backtest(options, config, Console(quiet=True)))
        wall = time.perf_counter() - t0
        digest = _digest(out)
    f = result.summary.to_json()
    spent = sorted(spent)
    n = len(spent)
    return {
        "wall_s": wall,
        "load_s": result.load_s,
        "run_s": result.run_s,
        "candles": f["candles"],
        "ticks": f["ticks"],
        "outcome": f["outcome"],
        "trades": f["trades"],
        "core_ticks": n,
        "tick_p50_us": spent[n // 2] / 1000 if n else 0.0,
        "tick_p99_us": spent[min(n - 1, n * 99 // 100)] / 1000 if n else 0.0,
        "tick_max_us": spent[-1] / 1000 if n else 0.0,
        "digest": digest,
    }


def run_backtesting_py(data: Path) -> dict:
    """The plain grid on backtesting.py, CSV reading included."""
    import pandas as pd
    from backtesting import Backtest, Strategy

    class Grid(Strategy):
        def init(self):
            pass

        def next(self):
            if self.position or self.orders:
                return
            entry = self.data.Close[-1] * (1 - STEP)
            self.buy(limit=entry, sl=entry * (1 - 1.5 * STEP), tp=entry * (1 + STEP), size=1)

    t0 = time.perf_counter()
    df = pd.read_csv(data)
    df.index = pd.to_datetime(df.pop("ts_ms"), unit="ms")
    df.columns = ["Open", "High", "Low", "Close", "Volume"]
    read = time.perf_counter() - t0
    stats = Backtest(df, Grid, cash=10_000_000, commission=0.0001).run()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "read_s": read, "candles": len(df), "trades": int(stats["# Trades"])}


def child(side: str, data: Path, workload: str, skip: bool) -> None:
    if side == "accountbuilder":
        result = run_accountbuilder(data, workload, skip)
    else:
        result = run_backtesting_py(data)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["user_s"] = usage.ru_utime
    print(json.dumps(result))


def measure(side: str, data: Path, workload: str, skip: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", side, "--data", str(data), "--workload", workload]
    if not skip:
        cmd.append("--no-skip")
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _best(runs: list[dict], key: str) -> dict:
    return min(runs, key=lambda r: r[key])


def report(workload: str, ab_runs: list[dict], bt_runs: list[dict]) -> dict:
    """Best-of-n by user CPU (wall is noisy on a shared machine); ratios on both."""
    ab, bt = _best(ab_runs, "user_s"), _best(bt_runs, "user_s")
    row = {
        "workload": workload,
        "n": len(ab_runs),
        "ticks": ab["ticks"],
        "candles": ab["candles"],
        "candles_per_s": ab["candles"] / ab["wall_s"],
        "wall_s": ab["wall_s"],
        "wall_median_s": statistics.median(r["wall_s"] for r in ab_runs),
        "user_s": ab["user_s"],
        "peak_mb": max(r["peak_mb"] for r in ab_runs),
        "tick_p50_us": ab["tick_p50_us"],
        "tick_p99_us": ab["tick_p99_us"],
        "tick_max_us": ab["tick_max_us"],
        "trades": ab["trades"],
        "outcome": ab["outcome"],
        "digest": ab["digest"],
        "bt_wall_s": bt["wall_s"],
        "bt_user_s": bt["user_s"],
        "bt_peak_mb": max(r["peak_mb"] for r in bt_runs),
        "ratio_wall": ab["wall_s"] / _best(bt_runs, "wall_s")["wall_s"],
        "ratio_user": ab["user_s"] / bt["user_s"],
    }
    print(
        f"{workload}: {row['ticks']:,} ticks, {row['candles_per_s']:,.0f} candles/s, "
        f"wall {row['wall_s']:.2f} s, user {row['user_s']:.2f} s, peak {row['peak_mb']:.0f} MB, "
        f"tick p50/p99/max {row['tick_p50_us']:.0f}/{row['tick_p99_us']:.0f}/"
        f"{row['tick_max_us']:.0f} µs, {row['trades']} trades, {row['outcome']}, "
        f"digest {row['digest']} | backtesting.py wall {row['bt_wall_s']:.2f} s user "
        f"{row['bt_user_s']:.2f} s peak {row['bt_peak_mb']:.0f} MB | ratio wall "
        f"{row['ratio_wall']:.2f} user {row['ratio_user']:.2f}",
        flush=True,
    )
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--workload", choices=(*WORKLOADS, "all"), default="all")
    p.add_argument("--no-skip", action="store_true", help="tick every candle (no skipping)")
    p.add_argument("--json", type=Path, help="also write the rows here")
    p.add_argument("--child", choices=("accountbuilder", "backtesting"), help=argparse.SUPPRESS)
    args = p.parse_args()
    skip = not args.no_skip
    if args.child:
        child(args.child, args.data, args.workload, skip)
        return
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    print(f"{datetime.now(UTC):%Y-%m-%d} · {machine()} · {args.data.name}", flush=True)
    rows = []
    for name in names:
        ab_runs, bt_runs = [], []
        for _ in range(args.repeat):
            ab_runs.append(measure("accountbuilder", args.data, name, skip))
            bt_runs.append(measure("backtesting", args.data, name, skip))
        rows.append(report(name, ab_runs, bt_runs))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
