"""Benchmark: the full-policy backtest against backtesting.py on a year of 1-minute candles.

Run by hand, not in CI. Needs the ``bench`` extra (``pip install -e '.[bench]'``: pandas and
backtesting) and the data, built once from the project root:

    python ../shared/tools/make_year_1m.py benchmarks/data/year_1m.csv.gz
    python benchmarks/bench_backtest.py [--repeat 3] [--start-equity-usd 100]

Both sides run in the same invocation, alternately, each in a fresh subprocess (so that peak
memory is each side's own ``ru_maxrss``), on the same file:

- accountbuilder: what ``accountbuilder backtest --no-plot`` does, end to end — load and check
  the CSV, replay the whole core (every gate, emergency rule and machine) on the simulated
  exchange, summarise, write report.json and the CSV tables (plots and CLI start-up excluded);
- backtesting.py: read the CSV with pandas, then a plain grid — a limit buy one step below
  the close, stop 1.5 steps below it, take-profit one step above it, one position at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "year_1m.csv.gz"
STEP = 0.01  # the grid step of the backtesting.py side (1 % of the price)


def run_accountbuilder(data: Path, usd: str) -> dict:
    """One full backtest, as ``accountbuilder backtest --no-plot`` runs it (minus CLI start-up).

    Timed: loading and checking the CSV, the replay through the core, the summary and writing
    report.json and the CSV tables.
    """
    import asyncio
    from decimal import Decimal

    from accountbuilder.config import load_config
    from accountbuilder_runner.backtest import BacktestOptions, run_backtest
    from accountbuilder_runner.console import Console

    config = load_config()
    with tempfile.TemporaryDirectory() as out:
        options = BacktestOptions(data, Path(out), start_equity_usd=Decimal(usd), plot=False)
        t0 = time.perf_counter()
        result = asyncio.run(run_backtest(options, config, Console(quiet=True)))
        wall = time.perf_counter() - t0
    f = result.summary.to_json()
    return {
        "wall_s": wall,
        "load_s": result.load_s,
        "run_s": result.run_s,
        "candles": f["candles"],
        "ticks": f["ticks"],
        "outcome": f["outcome"],
        "trades": f["trades"],
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


def child(side: str, data: Path, usd: str) -> None:
    result = run_accountbuilder(data, usd) if side == "accountbuilder" else run_backtesting_py(data)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(side: str, data: Path, usd: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", side, "--data", str(data), "--start-equity-usd", usd],
        capture_output=True,
        text=True,
        check=True,
    )
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--start-equity-usd", default="100")
    p.add_argument("--child", choices=("accountbuilder", "backtesting"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child, args.data, args.start_equity_usd)
        return
    runs: dict[str, list[dict]] = {"accountbuilder": [], "backtesting": []}
    for _ in range(args.repeat):
        for side in runs:
            runs[side].append(measure(side, args.data, args.start_equity_usd))
    ab = min(runs["accountbuilder"], key=lambda r: r["wall_s"])
    bt = min(runs["backtesting"], key=lambda r: r["wall_s"])
    med_ab = statistics.median(r["wall_s"] for r in runs["accountbuilder"])
    med_bt = statistics.median(r["wall_s"] for r in runs["backtesting"])
    print(
        f"{datetime.now(UTC):%Y-%m-%d} · {machine()} · {args.data.name} · "
        f"start ${args.start_equity_usd}"
    )
    print(
        f"accountbuilder: best {ab['wall_s']:.2f} s (median {med_ab:.2f}; load "
        f"{ab['load_s']:.2f} s, replay {ab['run_s']:.2f} s, report the rest), "
        f"{ab['candles'] / ab['wall_s']:,.0f} candles/s, peak {ab['peak_mb']:.0f} MB, "
        f"{ab['ticks']:,} core ticks, {ab['trades']} trades, {ab['outcome']}"
    )
    print(
        f"backtesting.py: best {bt['wall_s']:.2f} s (median {med_bt:.2f}; CSV read "
        f"{bt['read_s']:.2f} s), {bt['candles'] / bt['wall_s']:,.0f} candles/s, "
        f"peak {bt['peak_mb']:.0f} MB, {bt['trades']} trades"
    )
    print(
        f"ratio accountbuilder / backtesting.py: best {ab['wall_s'] / bt['wall_s']:.2f}, "
        f"median {med_ab / med_bt:.2f}"
    )


if __name__ == "__main__":
    main()
