"""``accountbuilder backtest --data FILE --out DIR``: the full core over candles, with a report."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from accountbuilder.config.loader import ConfigError, load_config
from accountbuilder.domain.enums import Outcome
from accountbuilder.marketdata.candles import CandleFileError
from accountbuilder_runner import bundled, winrate_file
from accountbuilder_runner.backtest import BacktestOptions, run_backtest, stored_winrate
from accountbuilder_runner.commands.argtypes import positive_decimal
from accountbuilder_runner.console import Console
from accountbuilder_runner.replay import WARMUP_DAYS, ReplayError
from accountbuilder_runner.reporting.terminal import render, summary_blocks

EXIT_OK, EXIT_HALTED, EXIT_BAD_INPUT = 0, 1, 2

DESCRIPTION = """\
Replay a candle file (ts_ms,open,high,low,close,volume; 1m, 5m, 1h...) through the whole core
(every gate, emergency rule and machine) on the simulated exchange, one tick per candle, and
write DIR/report.json, trades.csv, halts.csv, decisions.csv, equity.png and report.html
(docs/backtest.md explains each). Without --data it replays the 1-minute slice shipped in the
package. The win rate is stored for SPEC D4 only when asked (--save-winrate), beside the
store (state/backtest_winrate.json by default), where `accountbuilder run` reads it.
"""

EPILOG = """\
exit codes: 0 report written, 1 report written and the run ended HALTED or FAILURE,
2 bad input (data file, dates, config), 70 internal error (one line names the traceback file)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "backtest",
        help="replay a candle file through the full core and write a report",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data",
        type=Path,
        metavar="FILE",
        help="candle CSV(.gz) (default: the 1-minute slice shipped in the package)",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="report directory")
    p.add_argument("--from", dest="from_date", metavar="DATE", help="first day (UTC) to trade")
    p.add_argument("--to", dest="to_date", metavar="DATE", help="last day (UTC, inclusive)")
    p.add_argument(
        "--start-equity-usd",
        type=positive_decimal,
        default=None,
        metavar="USD",
        help="account size at the start (default: runner_config.yaml, 100)",
    )
    p.add_argument("--config", type=Path, metavar="DIR", help="config directory")
    p.add_argument(
        "--warmup-days",
        type=int,
        default=WARMUP_DAYS,
        metavar="N",
        help=f"without --from: days that only seed the daily ATR (default {WARMUP_DAYS})",
    )
    p.add_argument(
        "--save-winrate",
        action="store_true",
        help="store this run's win rate for SPEC D4, where `run` reads it (default: not stored)",
    )
    p.add_argument(
        "--winrate-file",
        type=Path,
        metavar="PATH",
        help="with --save-winrate: where (default: beside runner_config.yaml store_path)",
    )
    p.add_argument(
        "--d4-winrate",
        type=positive_decimal,
        metavar="RATE",
        help="stored win rate D4 sees for the first 10 trades (default: open, 1)",
    )
    p.add_argument("--no-plot", action="store_true", help="skip equity.png (faster)")
    p.add_argument(
        "--no-skip",
        action="store_true",
        help="tick every candle even where the core provably idles (for checking)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.data is None:
        with bundled.paper_slice() as path:
            return _run(args, path)
    return _run(args, args.data)


def _run(args: argparse.Namespace, data: Path) -> int:
    console = Console(quiet=args.quiet, label="backtest")
    try:
        config = load_config(args.config)
        options = BacktestOptions(
            data=data,
            out=args.out,
            from_date=args.from_date,
            to_date=args.to_date,
            start_equity_usd=args.start_equity_usd or config.runner.start_equity_usd,
            warmup_days=args.warmup_days,
            skip_idle=not args.no_skip,
            plot=not args.no_plot,
            d4_winrate=args.d4_winrate,
        )
        result = asyncio.run(run_backtest(options, config, console))
    except (ConfigError, CandleFileError, ReplayError, OSError) as e:
        console.finish()
        print(f"backtest: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print_summary(result, args.out, quiet=args.quiet)
    if args.save_winrate or args.winrate_file is not None:
        _store_winrate(
            result, args.winrate_file or winrate_file.beside_store(config.runner.store_path)
        )
    outcome = result.summary.figures["outcome"]
    return EXIT_HALTED if outcome in (Outcome.HALTED, Outcome.FAILURE) else EXIT_OK


def print_summary(result, out: Path, *, quiet: bool) -> None:
    """The outcome in the plan's words, the summary tables, and where the report is."""
    f = result.summary.to_json()
    print(f"{f['outcome']}: {f['outcome_reason']}\n{f['outcome_line']}", flush=True)
    rich = sys.stdout.isatty() and not quiet
    render(summary_blocks(result.summary), sys.stdout, rich=rich)
    print(f"{f['candles']} candles in {f['elapsed_s']} s; report in {out}/")


def _store_winrate(result, path: Path) -> None:
    stored = stored_winrate(result)
    if stored is None:
        print("no closed trade: no win rate stored for D4")
        return
    winrate_file.save(path, stored)
    print(f"D4 backtest win rate {stored.describe()} stored in {path}")
