"""``accountbuilder halt reset --reason TEXT``: lift a HALT by a recorded decision (SPEC E5).

The reset is recorded in the halt log with who, why, the previous reasons and a context snapshot.
It never clears a condition that still holds: the next tick checks again and halts again if so.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path

from accountbuilder.store.errors import StoreError
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.requests import write_reset_request

DEFAULT_STORE = Path("state/accountbuilder.sqlite")


def register(subparsers: argparse._SubParsersAction) -> None:
    halt = subparsers.add_parser("halt", help="inspect or reset a HALT")
    sub = halt.add_subparsers(dest="halt_command", metavar="ACTION", required=True)
    reset = sub.add_parser(
        "reset",
        help="lift a HALT (manual or temporary); recorded in the halt log",
        description=(
            "Ask the bot to lift its HALT. The request is recorded in the halt log with who, why, "
            "the previous reasons and a context snapshot, and takes effect at the running bot's "
            "next tick (or at its next start). A condition that still holds halts again at once. "
            "Exit 0 when the request was filed, 1 when the store shows no HALT, 2 on bad input."
        ),
    )
    reset.add_argument("--reason", required=True, help="why the HALT may be lifted (recorded)")
    reset.add_argument("--who", default=None, help="who decides (default: the OS user name)")
    reset.add_argument(
        "--state", type=Path, default=DEFAULT_STORE, help="the SQLite store (default: %(default)s)"
    )
    reset.set_defaults(func=run_reset)


def run_reset(args: argparse.Namespace) -> int:
    reason = args.reason.strip()
    if not reason:
        print("error: --reason must say why the HALT may be lifted", file=sys.stderr)
        return 2
    if not args.state.exists():
        print(f"error: no store at {args.state} (use --state PATH)", file=sys.stderr)
        return 2
    try:
        with SqliteStore.open_readonly(args.state) as store:
            doc = store.load_session()
    except StoreError as e:
        print(f"error: cannot read {args.state}: {e}", file=sys.stderr)
        return 2
    halt = (doc or {}).get("halt", {})
    state = ((doc or {}).get("machines") or {}).get("main", "unknown")  # the one halt machine
    if state != "HALT":
        print(f"not halted (state {state}); nothing to reset", file=sys.stderr)
        return 1
    who = args.who or getpass.getuser()
    path = write_reset_request(args.state, reason, who, int(time.time() * 1000))
    reasons = ", ".join(halt.get("reasons", []))
    print(
        f"reset requested by {who}: HALT ({halt.get('kind')}: {reasons}) -> lifted at the bot's next tick"
    )
    print(f"request: {path}")
    return 0
