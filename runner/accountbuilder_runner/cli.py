"""The ``accountbuilder`` command: one sub-command per module in ``commands/``.

Exit codes: 0 success, 1 a check failed or the run ended HALTED/FAILURE, 2 bad input or usage,
3 a required system tool is missing, 70 internal error (one line names the traceback file),
101-199 a sweep finished with 1-99 crashed runs (100 + their number), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from accountbuilder_runner import crash

# Each module exposes ``register(subparsers)`` which adds its parser and sets ``func``.
COMMAND_MODULES = (
    "run",
    "backtest",
    "evaluate",
    "status",
    "halt",
    "config_check",
    "diagram",
    "notify",
    "sweep",
)

EPILOG = """\
examples:
  accountbuilder run                         paper-trade the bundled real BTC slice (offline)
  accountbuilder backtest --data FILE --out DIR
  accountbuilder evaluate --input what_if.yaml   why would the bot (not) enter now?
  accountbuilder status                      state, stop, equity, blocks, budget (reads the store)
  accountbuilder halt reset --reason TEXT    lift a manual HALT (recorded in the halt log)
  accountbuilder config check config/*.yaml  validate config files
  accountbuilder diagram --format mermaid    the state machines as a diagram
  accountbuilder notify test                 send a test message to every notification URL
  accountbuilder sweep --data FILE --every quarter --months 18 --start-equity-usd 100,300 --out DIR

exit codes: 0 ok, 1 check failed / run ended halted, 2 bad input, 3 missing tool,
70 internal error, 100+N a sweep with N crashed runs, 130 interrupted
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accountbuilder",
        description=(
            "Survival-first account builder for Bybit inverse perpetual BTCUSD: grows a small "
            "BTC-margined account under hard stage, loss-budget, margin, liquidation and "
            "emergency rules, with an exchange-side stop that is never left missing."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from accountbuilder import __version__

    parser.add_argument("--version", action="version", version=f"accountbuilder {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"accountbuilder_runner.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"accountbuilder_runner.commands.{name}":
                raise
            continue  # not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: one line and the traceback's file, never a bare traceback
        print(crash.report(e, args.command), file=sys.stderr)
        return crash.EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
