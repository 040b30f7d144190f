"""``accountbuilder status``: what the bot is doing, read from the store (safe while it runs)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from accountbuilder.constants import REST_BUDGET_MAX_CALLS, REST_BUDGET_WINDOW_MS
from accountbuilder.emergency.halts import HaltFacts, HaltPhase, HaltState
from accountbuilder.store.errors import StoreError
from accountbuilder.store.lock import read_holder
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.requests import pending_requests
from accountbuilder_runner.status_plan import plan_rows, plan_status

DEFAULT_STORE = Path("state/accountbuilder.sqlite")
DRY_RUN_MODE = "dry-run"  # the runtime mode a dry run stores (``dryrun.MODE``)
DRY_RUN_BANNER = "DRY RUN      simulated account on Bybit's public prices; no order reaches Bybit"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "status",
        help="state, stop, equity, stage, blocks, REST budget, halts, decisions, plan targets",
        description=(
            "Show the bot's state from its SQLite store: main state and stop_status, equity and "
            "stage, HALT and blocks with their expiry, REST budget, notifications sent and "
            "dropped, live orders, recent halts, last decisions and today's trades, and the "
            "plan's targets (SPEC H2: account start and age, the 12-month review flag, days to "
            "the 12- and 18-month marks, SUCCESS). Read-only: safe while the bot runs."
        ),
    )
    p.add_argument(
        "--state", type=Path, default=DEFAULT_STORE, help="the SQLite store (default: %(default)s)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _iso(ms: int | None) -> str | None:
    return (
        None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")
    )


class SessionShapeError(ValueError):
    """The stored session document does not have the shape ``status`` reads."""


def _mapping(doc: Any, *keys: str) -> dict[str, Any]:
    """``doc[k1][k2]...`` as a mapping (absent or null: empty); a wrong shape is refused."""
    node = doc
    for depth, key in enumerate(keys):
        node = node.get(key) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, dict):
            where = ".".join(keys[: depth + 1])
            raise SessionShapeError(f"'{where}' is a {type(node).__name__}, not a mapping")
    return node or {}


def _items(doc: Any) -> list[dict[str, Any]]:
    items = _mapping(doc, "risk", "blocks").get("items") or []
    if not isinstance(items, list) or not all(isinstance(b, dict) for b in items):
        raise SessionShapeError("'risk.blocks.items' is not a list of mappings")
    return items


def collect(store: SqliteStore, now_ms: int, store_path: Path | None = None) -> dict[str, Any]:
    """What ``status`` shows; raise ``SessionShapeError`` for a wrong-shape session document."""
    day = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y-%m-%d")
    view = store.status(day, calls_since_ms=now_ms - REST_BUDGET_WINDOW_MS)
    doc = view.session.doc if view.session is not None else {}
    if not isinstance(doc, dict):
        raise SessionShapeError(f"the document is a {type(doc).__name__}, not a mapping")
    machines, halt, runtime = (
        _mapping(doc, "machines"),
        _mapping(doc, "halt"),
        _mapping(doc, "runtime"),
    )
    blocks = _items(doc)
    trade = _mapping(doc, "trade") or None
    return {
        "dry_run": (doc.get("runtime") or {}).get("mode") == DRY_RUN_MODE,
        "state": machines.get("main"),
        "stop_status": machines.get("stop"),
        "halt": _halt_shown(machines.get("main"), halt),
        "blocks": [
            {"reason": b.get("reason"), "until": _iso(_int(b.get("until_ms")))}
            for b in blocks
            if (_int(b.get("until_ms")) or 0) > now_ms
        ],
        "leverage_in_force": doc.get("leverage_in_force"),
        "runtime": runtime or None,
        "trade": None
        if trade is None
        else {
            k: trade.get(k)
            for k in (
                "side",
                "entry_stage",
                "entry_qty",
                "stop_price",
                "take_profit_price",
                "signal_id",
            )
        },
        "live_orders": [
            {"client_id": o.client_id, "role": o.role.value, "phase": o.phase.value}
            for o in view.live_orders
        ],
        "open_halts": [h.to_dict() for h in view.open_halts],
        "recent_halts": [h.to_dict() for h in view.recent_halts],
        "last_decisions": [
            {
                "ts": _iso(r.record.ts_ms),
                "accepted": r.record.accepted,
                "reason": r.record.reason and r.record.reason.value,
                "count": r.count,
            }
            for r in view.last_decisions
        ],
        "trades_today": [t.to_dict() for t in view.trades_today],
        "session_saved": _iso(view.session.ts_ms) if view.session is not None else None,
        "plan": plan_status(doc, store.daily_metrics(), now_ms),
        "runner": _runner(view.owner, store_path),
        "store_lag_s": store_lag_s(
            _runner(view.owner, store_path), view.session.ts_ms if view.session else None, now_ms
        ),
        "rest_calls_last_60s": len(view.rest_calls_ms),
        "requests_pending": [p.name for p in pending_requests(store_path)] if store_path else [],
        "requests_answered": [
            {
                "request": r.request_id,
                "who": r.who,
                "outcome": r.outcome,
                "detail": r.detail,
                "at": _iso(r.taken_ts_ms),
            }
            for r in view.requests
        ],  # fmt: skip
    }


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _runner(owner: Any, store_path: Path | None) -> dict[str, Any] | None:
    """The last process that took the store, and whether it holds it now (by its PID)."""
    holder = (read_holder(store_path) if store_path else None) or (owner and owner.holder)
    if holder is None:
        return None
    return {
        "pid": holder.pid,
        "host": holder.host,
        "started": _iso(holder.started_ms),
        "command": holder.command,
        "mode": owner.mode if owner else None,
        "running": holder.alive(),
    }


# A live or dry run commits every round (a tick a second): a running one whose last commit is
# this old cannot write its store (a full disk, an I/O error: docs/live.md). Protection goes
# on meanwhile; `status` only sees the last commit that succeeded.
STORE_LAG_S = 30
COMMITS_EACH_ROUND = ("live", "dry-run")


def store_lag_s(runner: dict[str, Any] | None, saved_ms: int | None, now_ms: int) -> int | None:
    """Seconds since the last commit of a running live/dry runner when that is too long."""
    if runner is None or not runner.get("running") or runner.get("mode") not in COMMITS_EACH_ROUND:
        return None
    if saved_ms is None:
        return None
    lag = (now_ms - saved_ms) // 1000
    return lag if lag > STORE_LAG_S else None


def _halt_shown(main_state: Any, facts: dict[str, Any]) -> dict[str, Any]:
    """``_halt``; stored facts it cannot read are a wrong-shape session document."""
    try:
        return _halt(main_state if isinstance(main_state, str) else None, facts)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise SessionShapeError(f"'halt' cannot be read ({type(e).__name__}: {e})"[:300]) from None


def _halt(main_state: str | None, facts: dict | None) -> dict[str, Any]:
    """The halt as the main machine decides it (its phase) with its stored facts."""
    phase = HaltPhase.of(main_state or "")
    view = HaltState.of(phase, HaltFacts.from_dict(facts or {}))
    return view.to_dict()


def _shown(value: str | None, step: str) -> str:
    """An exact stored decimal rounded for reading (satoshis, cents); ``--json`` keeps it exact."""
    if value is None:
        return "n/a"
    try:
        return format(Decimal(value).quantize(Decimal(step)), "f")
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def _rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    """The text view: one (label, value) per line."""
    rt = s.get("runtime") or {}
    halt = s.get("halt") or {}
    budget = rt.get("rest_budget_remaining")
    budget = budget if isinstance(budget, dict) else {}
    blocks = ", ".join(f"{b['reason']} until {b['until']}" for b in s["blocks"]) or "none"
    answered = s["requests_answered"]
    rows = [
        ("state", f"{s['state']}   stop_status {s['stop_status']}   (saved {s['session_saved']})"),
        (
            "equity",
            f"{_shown(rt.get('equity_btc'), '0.00000001')} BTC = "
            f"{_shown(rt.get('equity_usd'), '0.01')} USD   stage {rt.get('stage')}   "
            f"mark {rt.get('mark_price')}",
        ),
        ("halt", f"{halt.get('phase')} {halt.get('kind') or ''} {_listed(halt.get('reasons'))}"),
        ("blocks", blocks),
        (
            "rest budget",
            f"ordinary {budget.get('ordinary')}  protective {budget.get('protective')}   "
            f"ws {rt.get('ws')}",
        ),
        (
            "rest calls",
            f"{s['rest_calls_last_60s']} recorded in the last 60 s "
            f"(limit {REST_BUDGET_MAX_CALLS}, counted across restarts)",
        ),
        ("runner", _runner_text(s["runner"])),
        *(
            [
                (
                    "store",
                    f"FAILING? no commit for {s['store_lag_s']} s while the runner runs "
                    "(disk full? see its log; protection goes on, entries are blocked)",
                )
            ]
            if s.get("store_lag_s")
            else []
        ),  # fmt: skip
        ("position", str(rt.get("position") or "flat")),
        ("notify", _notify_text(rt.get("notify"))),
        ("ticks", _ticks_text(rt.get("ticks"))),
        *([("exchange", _exchange_line(rt["exchange"]))] if rt.get("exchange") else []),
        (
            "orders live",
            f"{len(s['live_orders'])}   trades today {len(s['trades_today'])}   "
            f"halts open {len(s['open_halts'])}",
        ),
        ("requests", f"{len(s['requests_pending'])} pending   {len(answered)} answered"),
        *(
            ("reset", f"{r['at']}  {r['outcome']}  by {r['who'] or '?'}: {r['detail']}")
            for r in answered[:5]
        ),
    ]
    if s.get("dry_run"):
        rows.insert(0, ("DRY RUN", DRY_RUN_BANNER.removeprefix("DRY RUN").strip()))
    rows += plan_rows(s.get("plan"))
    for d in s["last_decisions"][:5]:
        verdict = "ACCEPT" if d["accepted"] else d["reason"]
        rows.append(("decision", f"{d['ts']}  {verdict}  x{d['count']}"))
    return rows


def _print_text(s: dict[str, Any]) -> None:
    rows = _rows(s)
    if not sys.stdout.isatty():
        for label, value in rows:
            print(f"{label:<12} {value}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    Console().print(table)


def _exchange_line(ex: dict[str, Any]) -> str:
    """Live only: the clock offset against Bybit and what the adapter refused or repaired."""
    offset = ex.get("clock_offset_ms")
    clock = "clock n/a" if offset is None else f"clock {offset:+d} ms"
    if offset is not None:
        clock += " (in sync)" if ex.get("clock_in_sync") else " (OFF by > 1 s: no entries)"
    return (
        f"{clock}   invalid position answers {ex.get('invalid_position_answers')}   "
        f"fills recovered {ex.get('fills_recovered')}"
    )


def _listed(values: Any) -> str:
    return ", ".join(map(str, values)) if isinstance(values, list) else str(values or "")


def _runner_text(runner: dict[str, Any] | None) -> str:
    if runner is None:
        return "none recorded"
    alive = "running" if runner["running"] else "not running"
    return f"pid {runner['pid']} ({alive}, {runner['mode']}), started {runner['started']}"


def _ticks_text(t: dict[str, Any] | None) -> str:
    """The live core's tick durations over the last ``window`` ticks (runner.ticktimes)."""
    if not t or not t.get("window"):
        return "n/a (no live ticks timed)"
    return (
        f"p50 {t['p50_us']} µs  p99 {t['p99_us']} µs  max {t['max_us']} µs  "
        f"(last {t['window']} of {t['ticks']})"
    )


def _notify_text(counts: dict[str, Any] | None) -> str:
    """The notifier's counts (docs/notifications.md): dropped is what some URL never got."""
    if not counts:
        return "off (no notification URL configured for this run)"
    if not isinstance(counts, dict):
        return f"unreadable ({str(counts)[:40]})"  # a damaged session document
    by_cause = counts.get("dropped_by_cause")
    by_cause = by_cause if isinstance(by_cause, dict) else {}
    causes = ", ".join(f"{k} {v}" for k, v in by_cause.items())
    return (
        f"sent {counts.get('sent')}  dropped {counts.get('dropped')}"
        f"{f' ({causes})' if causes else ''}  queued {counts.get('queued')}  "
        f"urls {counts.get('urls')}"
    )


def run(args: argparse.Namespace) -> int:
    if not args.state.exists():
        print(f"error: no store at {args.state} (use --state PATH)", file=sys.stderr)
        return 2
    try:
        with SqliteStore.open_readonly(args.state) as store:
            summary = collect(store, int(time.time() * 1000), args.state)
    except (StoreError, sqlite3.Error, UnicodeDecodeError) as e:  # damaged pages
        print(f"error: cannot read {args.state}: {e}", file=sys.stderr)
        return 2
    except SessionShapeError as e:
        print(f"error: {args.state}: latest session revision: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, default=str, indent=2))
    else:
        _print_text(summary)
    return 0
