"""``accountbuilder sweep``: one full-core backtest per (start date, start equity), and the
answer across them (docs/sweep.md)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from accountbuilder.config.loader import ConfigError
from accountbuilder.marketdata.candles import CandleFileError
from accountbuilder_runner.commands.argtypes import positive_decimal
from accountbuilder_runner.console import Console
from accountbuilder_runner.replay import ReplayError
from accountbuilder_runner.sweep.ray_engine import RayUnavailable
from accountbuilder_runner.sweep.schedule import parse_equities, parse_every

EXIT_OK, EXIT_BAD_INPUT, EXIT_NO_TOOL, EXIT_INTERRUPTED = 0, 2, 3, 130
EXIT_CRASHED_BASE = 100  # + the number of crashed runs (at most 99 counted)

DESCRIPTION = """\
Run one full-core backtest per (start date, start equity) over each --data file — each exactly
what `backtest --from START --to END --start-equity-usd USD` does for that window — then write
DIR/sweep.csv (one row per run), DIR/sweep.json (per start equity: the share of runs that
reached $200 by month 12 and $1,000 by month 18, halts by reason, median days traded, with
Wilson 95 % intervals and run counts), DIR/sweep.html, and each run's report in DIR/runs/.
Starts fall on each quarter's or month's first day, or every N days (--every), from the first
day with 31 days of history. With --paths N the runs use N Monte Carlo paths per file instead:
resampled history (a stationary block bootstrap of the candles), not a forecast.
The D4 win rate is never stored by a sweep. Ctrl-C stops it and writes what finished.
"""

EPILOG = """\
exit codes: 0 every run finished (whatever its outcome), 2 bad input, 3 Ray missing for
--engine ray, 70 internal error, 100+N N runs crashed (their rows say ERROR and name the
traceback file), 130 interrupted (the finished runs are written)
"""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 1: {text!r}")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="backtests across start dates (or Monte Carlo paths): how often the plan succeeds",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _schedule_arguments(p)
    _engine_arguments(p)
    _monte_carlo_arguments(p)
    p.add_argument("--config", type=Path, metavar="DIR", help="config directory")
    p.add_argument("--no-plot", action="store_true", help="no equity.png in run reports (faster)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _schedule_arguments(p: argparse.ArgumentParser) -> None:
    """Which runs: the files, the starts, the windows, the account sizes."""
    add = p.add_argument
    add(
        "--data",
        type=Path,
        action="append",
        required=True,
        metavar="FILE",
        help="candle file (repeat for more)",
    )
    add(
        "--every",
        type=parse_every,
        default=parse_every("quarter"),
        metavar="quarter|month|Nd",
        help="step between starts (default quarter)",
    )
    add(
        "--months",
        type=_count,
        default=18,
        metavar="N",
        help="window in SPEC H2 months, 12 = 365 days, 18 = 548 (default 18)",
    )
    add(
        "--start-equity-usd",
        type=parse_equities,
        default=parse_equities("100"),
        metavar="USD[,USD…]",
        help="account sizes (default 100)",
    )
    add("--from", dest="from_day", type=_day, metavar="DATE", help="first start date (UTC)")
    add("--to", dest="to_day", type=_day, metavar="DATE", help="last day of data used (inclusive)")


def _engine_arguments(p: argparse.ArgumentParser) -> None:
    """Where the runs go: this machine's processes or Ray."""
    add = p.add_argument
    add(
        "--workers",
        type=_count,
        default=os.cpu_count() or 1,
        metavar="N",
        help="parallel runs (default: the core count)",
    )
    add(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local process pool (default) or Ray",
    )
    add("--ray-address", metavar="ADDR", help="an existing Ray cluster (default: start Ray here)")


def _monte_carlo_arguments(p: argparse.ArgumentParser) -> None:
    """Resampled paths instead of the real history (docs/sweep.md)."""
    add = p.add_argument
    add(
        "--paths",
        type=_count,
        default=0,
        metavar="N",
        help="Monte Carlo: N resampled paths per file",
    )
    add(
        "--block-days",
        type=positive_decimal,
        default=None,
        metavar="D",
        help="Monte Carlo: mean block length in days (default 5)",
    )
    add("--seed", type=int, default=0, metavar="S", help="Monte Carlo: seed (default 0)")


def _options(args: argparse.Namespace):
    from accountbuilder_runner.sweep.sweeper import SweepInputError, SweepOptions

    names = [d.name for d in args.data]
    if len(set(names)) != len(names):
        raise SweepInputError(f"two --data files share a name: {names}")
    return SweepOptions(
        data=tuple(args.data),
        every=args.every,
        months=args.months,
        equities=args.start_equity_usd,
        out=args.out,
        from_day=args.from_day,
        to_day=args.to_day,
        workers=args.workers,
        engine=args.engine,
        ray_address=args.ray_address,
        config_dir=args.config,
        plot=not args.no_plot,
        paths=args.paths,
        block_days=float(args.block_days) if args.block_days is not None else 5.0,
        seed=args.seed,
    )


def run(args: argparse.Namespace) -> int:
    # imported here: the sweep's page draws with matplotlib, which `--help` need not load
    from accountbuilder_runner.sweep.sweeper import SweepInputError, run_sweep

    console = Console(quiet=args.quiet, label="sweep")
    try:
        options = _options(args)
        result = run_sweep(options, console)
    except (ConfigError, CandleFileError, ReplayError, SweepInputError, OSError) as e:
        print(f"sweep: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RayUnavailable as e:
        print(f"sweep: {e}", file=sys.stderr)
        return EXIT_NO_TOOL
    out = args.out
    print(
        f"{len(result.rows)} of {result.planned} runs finished, {result.errors} crashed; "
        f"{out}/sweep.csv, {out}/sweep.json, {out}/sweep.html"
    )
    for usd, s in result.summaries.items():
        a, b = s["reached_200_by_month_12"], s["reached_1000_by_month_18"]
        print(
            f"  ${usd}: $200 by month 12 {a['k']} of {a['n']}, "
            f"$1,000 by month 18 {b['k']} of {b['n']}, median {s['median_days_traded']} days traded"
        )
    if result.interrupted:
        print("interrupted: the runs that finished are written", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.errors:
        print(f"{result.errors} runs crashed: see their ERROR rows", file=sys.stderr)
        return EXIT_CRASHED_BASE + min(result.errors, 99)
    return EXIT_OK
