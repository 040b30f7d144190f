"""``accountbuilder run``: trade. Today: paper trading on the simulated exchange (the default).

With no arguments it replays the real BTC 1-minute slice shipped in the package, offline, at
``--speed`` simulated seconds per wall second, with a live status line, and prints a summary.
``--exchange bybit [--testnet] [--exchange-url URL]`` trades live (``live.run_live``,
docs/live.md); ``--exchange bybit --dry-run`` trades a simulated account on Bybit's live
public prices, with no key (``dryrun.run_dry``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from accountbuilder.config.loader import ConfigError, load_config
from accountbuilder.domain.enums import Outcome
from accountbuilder.marketdata.candles import CandleFileError, load_candles
from accountbuilder.store.errors import StoreError
from accountbuilder_runner import live_args
from accountbuilder_runner.backtest import date_range_ms
from accountbuilder_runner.bundled import paper_slice
from accountbuilder_runner.commands.argtypes import positive_decimal
from accountbuilder_runner.console import Console
from accountbuilder_runner.notify import NotifyUrlError, build_notifier
from accountbuilder_runner.paper import DEFAULT_SPEED, PaperOptions, PaperResult, run_paper
from accountbuilder_runner.replay import WARMUP_DAYS, ReplayError
from accountbuilder_runner.reporting.terminal import render, summary_blocks
from accountbuilder_runner.winrate_file import WinrateFileError, resolve_winrate

EXIT_OK, EXIT_HALTED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_STATE = Path("state") / "paper.sqlite"

DESCRIPTION = """\
Paper-trade: the same core, store and records as live, on the simulated exchange, replaying
real BTC candles (by default the 2021-04-09 → 2021-05-20 1-minute slice shipped in the
package; its first 15 days seed the daily ATR). Works offline. A live line shows state,
stop_status, equity in BTC and USD, stage, the last gate decision and its reason, and halts;
trades and halts are printed as they happen; a summary ends the run. With notification URLs
configured (ACCOUNTBUILDER_NOTIFY_URLS, docs/notifications.md) it notifies as live does.

--exchange bybit trades live (docs/live.md). --exchange bybit --dry-run is the dry run: the
real market's prices from Bybit's public REST and WebSocket endpoints (or --exchange-url),
orders, fills, fees, funding and liquidation simulated, no API key read, nothing sent to any
account; its own store (default state/dryrun.sqlite) and account file beside it, resumed by a
restart; --start-equity-usd sizes a new dry account at the first mark. Stop with Ctrl-C.
"""

EPILOG = """\
exit codes: 0 the data ended, 1 the run ended HALTED (manual) or FAILURE, 2 bad input,
70 internal error (one line names the traceback file), 130 interrupted (Ctrl-C; the session
is persisted first)
"""


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = float(Decimal(text))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number or 'max': {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="paper-trade the bundled real BTC slice (offline); the default job",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--exchange",
        choices=("sim", "bybit"),
        default="sim",
        help="sim: paper trading (default); bybit: live trading, or with --dry-run a simulated "
        "account on Bybit's live prices; see docs/live.md",
    )
    p.add_argument(
        "--speed",
        type=_speed,
        default=DEFAULT_SPEED,
        metavar="X|max",
        help=f"simulated seconds per wall second (default {DEFAULT_SPEED:g}), or max",
    )
    p.add_argument(
        "--data",
        type=Path,
        metavar="FILE",
        help="replay this candle file instead of the bundled slice",
    )
    p.add_argument("--from", dest="from_date", metavar="DATE", help="first day (UTC) to trade")
    p.add_argument("--to", dest="to_date", metavar="DATE", help="last day (UTC, inclusive)")
    p.add_argument("--config", type=Path, metavar="DIR", help="config directory")
    p.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"SQLite store of the paper account (default {DEFAULT_STATE}); an "
        "earlier one is kept as PATH.prev. Live: runner_config.yaml store_path. Dry run: "
        "state/dryrun.sqlite",
    )
    p.add_argument(
        "--start-equity-usd",
        type=positive_decimal,
        default=None,
        metavar="USD",
        help="paper (and new dry-run) account size (default: runner_config.yaml, 100)",
    )
    p.add_argument("--quiet", action="store_true", help="no status line; only the summary")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="with --exchange bybit: trade a simulated account on Bybit's live public prices "
        "(REST + public WebSocket); no API key is read and no private request can be sent; "
        "own store (default state/dryrun.sqlite); see docs/live.md 'Dry run first'",
    )
    live_args.add_arguments(p)  # --testnet, --exchange-url, --key-file (with --exchange bybit)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.exchange == "bybit" and args.dry_run:
        from accountbuilder_runner import dryrun  # imports ccxt: only on the live market

        return dryrun.run_dry(args)
    if args.dry_run:
        print("run: --dry-run needs --exchange bybit (the live market's prices)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.exchange == "bybit":
        from accountbuilder_runner import live  # imports ccxt: only when trading live

        return live.run_live(args)
    args.state = args.state or DEFAULT_STATE
    console = Console(quiet=args.quiet, label="paper")
    try:
        config = load_config(args.config)
        winrate = resolve_winrate(config, args.state)
        from_ms, to_ms = date_range_ms(args.from_date, args.to_date)
        with contextlib.ExitStack() as stack:
            data = args.data or stack.enter_context(paper_slice())
            arrays = load_candles(data)
        options = PaperOptions(
            data=data,
            state=args.state,
            speed=args.speed,
            start_equity_usd=args.start_equity_usd or config.runner.start_equity_usd,
            from_ms=from_ms,
            to_ms=to_ms,
            warmup_days=WARMUP_DAYS,
        )
        notifier, _ = build_notifier(config.notify, os.environ, mode="paper")
        try:
            result = asyncio.run(run_paper(options, config, winrate, arrays, console, notifier))
        finally:
            if notifier is not None:
                notifier.close()  # flushed already unless the run failed to start
    except (
        ConfigError,
        CandleFileError,
        ReplayError,
        WinrateFileError,
        NotifyUrlError,
        StoreError,
        OSError,
    ) as e:
        print(f"run: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print_summary(result, args.state, quiet=args.quiet)
    if result.interrupted:
        return EXIT_INTERRUPTED
    outcome = result.summary.figures["outcome"]
    return EXIT_HALTED if outcome in (Outcome.HALTED, Outcome.FAILURE) else EXIT_OK


def print_summary(result: PaperResult, state: Path, *, quiet: bool) -> None:
    """The end-of-run summary (stdout): the outcome in the plan's words, the tables (rich on a
    terminal, plain otherwise), where the store is."""
    f = result.summary.figures
    head = "paper run interrupted" if result.interrupted else "paper run finished"
    print(f"{head}: {f['outcome']} — {f['outcome_reason']}\n{f['outcome_line']}", flush=True)
    render(summary_blocks(result.summary), sys.stdout, rich=sys.stdout.isatty() and not quiet)
    lines = [f"store {state} (`accountbuilder status --state {state}` reads it)"]
    if result.moved is not None:
        lines.append(f"the previous paper store was kept as {result.moved}")
    if result.duplicates:
        lines.append(f"intents not recorded twice: {', '.join(result.duplicates[:5])}")
    print("\n".join(lines))
