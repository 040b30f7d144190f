"""``accountbuilder status``: what the bot is doing, read from the store (safe while it runs)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from accountbuilder.emergency.halts import HaltFacts, HaltPhase, HaltState
from accountbuilder.store.errors import StoreError
from accountbuilder.store.sqlite_store import SqliteStore

DEFAULT_STORE = Path("state/accountbuilder.sqlite")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "status",
        help="state, stop, equity, stage, blocks, REST budget, halts, decisions (reads the store)",
        description=(
            "Show the bot's state from its SQLite store: main state and stop_status, equity and "
            "stage, HALT and blocks with their expiry, REST budget, notifications sent and "
            "dropped, live orders, recent halts, last decisions and today's trades. Read-only: "
            "safe while the bot runs."
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


def collect(store: SqliteStore, now_ms: int) -> dict[str, Any]:
    day = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y-%m-%d")
    view = store.status(day)
    doc = view.session.doc if view.session is not None else {}
    machines = doc.get("machines", {})
    blocks = doc.get("risk", {}).get("blocks", {}).get("items", [])
    trade = doc.get("trade")
    return {
        "state": machines.get("main"),
        "stop_status": machines.get("stop"),
        "halt": _halt(machines.get("main"), doc.get("halt")),
        "blocks": [
            {"reason": b.get("reason"), "until": _iso(b.get("until_ms"))}
            for b in blocks
            if b.get("until_ms", 0) > now_ms
        ],
        "leverage_in_force": doc.get("leverage_in_force"),
        "runtime": doc.get("runtime"),
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
    }


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
    except (InvalidOperation, ValueError):
        return str(value)


def _print_text(s: dict[str, Any]) -> None:
    rt = s.get("runtime") or {}
    halt = s.get("halt") or {}
    print(
        f"state        {s['state']}   stop_status {s['stop_status']}   (saved {s['session_saved']})"
    )
    print(
        f"equity       {_shown(rt.get('equity_btc'), '0.00000001')} BTC = "
        f"{_shown(rt.get('equity_usd'), '0.01')} USD   stage {rt.get('stage')}   "
        f"mark {rt.get('mark_price')}"
    )
    print(
        f"halt         {halt.get('phase')} {halt.get('kind') or ''} {', '.join(halt.get('reasons', []))}"
    )
    blocks = ", ".join(f"{b['reason']} until {b['until']}" for b in s["blocks"]) or "none"
    print(f"blocks       {blocks}")
    budget = rt.get("rest_budget_remaining") or {}
    print(
        f"rest budget  ordinary {budget.get('ordinary')}  protective {budget.get('protective')}   ws {rt.get('ws')}"
    )
    print(f"position     {rt.get('position') or 'flat'}")
    print(f"notify       {_notify_text(rt.get('notify'))}")
    print(f"ticks        {_ticks_text(rt.get('ticks'))}")
    print(
        f"orders live {len(s['live_orders'])}   trades today {len(s['trades_today'])}   halts open {len(s['open_halts'])}"
    )
    for d in s["last_decisions"][:5]:
        print(f"  decision {d['ts']}  {'ACCEPT' if d['accepted'] else d['reason']}  x{d['count']}")


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
    causes = ", ".join(f"{k} {v}" for k, v in (counts.get("dropped_by_cause") or {}).items())
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
            summary = collect(store, int(time.time() * 1000))
    except StoreError as e:
        print(f"error: cannot read {args.state}: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, default=str, indent=2))
    else:
        _print_text(summary)
    return 0
