"""``accountbuilder halt reset --reason TEXT``: lift a HALT by a recorded decision (SPEC E5).

The reset is recorded in the halt log with who, why, the previous reasons and a context snapshot.
It never clears a condition that still holds: the next tick checks again and halts again if so.
"""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from accountbuilder.store.errors import StoreError
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.requests import (
    MAX_REASON_CHARS,
    MAX_WHO_CHARS,
    check_text,
    write_reset_request,
)

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
    who = args.who if args.who is not None else _os_user()
    problem = check_text(args.reason, "--reason", MAX_REASON_CHARS) or check_text(
        who, "--who", MAX_WHO_CHARS
    )
    if problem:
        print(f"error: {problem}: say who decides and why the HALT may be lifted", file=sys.stderr)
        return 2
    if not args.state.exists():
        print(f"error: no store at {args.state} (use --state PATH)", file=sys.stderr)
        return 2
    stored = _stored_halt(args.state)
    if isinstance(stored, str):
        print(f"error: cannot read {args.state}: {stored}", file=sys.stderr)
        return 2
    state, halt = stored
    if state != "HALT":  # the main machine is the one halt machine
        print(f"not halted (state {state}); nothing to reset", file=sys.stderr)
        return 1
    try:
        path = write_reset_request(args.state, args.reason.strip(), who.strip(), _now_ms())
    except OSError as e:
        print(f"error: cannot file the request beside {args.state}: {e.strerror}", file=sys.stderr)
        return 2
    listed = halt.get("reasons")
    reasons = ", ".join(map(str, listed)) if isinstance(listed, list) else str(listed or "")
    print(
        f"reset requested by {who.strip()}: HALT ({halt.get('kind')}: {reasons}) -> "
        "answered at the bot's next tick (see `accountbuilder status`)"
    )
    print(f"request: {path}")
    return 0


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""  # refused below as blank: --who is then required


def _now_ms() -> int:
    return int(time.time() * 1000)


def _stored_halt(store: Path) -> tuple[str, dict[str, Any]] | str:
    """The main machine's state and the session's ``halt`` facts, or why they cannot be read."""
    try:
        with SqliteStore.open_readonly(store) as reader:
            doc = reader.load_session()
    except (StoreError, sqlite3.Error, UnicodeDecodeError) as e:  # damaged pages
        return str(e)
    doc = doc or {}
    machines, halt = doc.get("machines") or {}, doc.get("halt") or {}
    if not isinstance(machines, dict) or not isinstance(halt, dict):
        return "the session document's 'machines' or 'halt' is not a mapping (a damaged store?)"
    state = machines.get("main", "unknown")
    return (state if isinstance(state, str) else "unknown"), halt
