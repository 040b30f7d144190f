"""The plan's targets (SPEC H2, H3) for ``accountbuilder status``, read from the store.

The session document keeps the account's start time, its peak USD equity and the SUCCESS
time (``risk.targets``); the day $200 was first reached comes from the daily metrics (I3).
Age and marks are counted to the session's last save (``runtime.updated_ms``: the simulated
time in a paper store, about now in a live one).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from accountbuilder.constants import REVIEW_EQUITY_USD
from accountbuilder.domain.enums import Outcome
from accountbuilder.records.daily_metrics import DailyMetrics
from accountbuilder_runner.reporting.plan import outcome_line, plan_targets
from accountbuilder_runner.reporting.summary import iso


def first_day_at_200(days: Sequence[DailyMetrics]) -> int | None:
    """The first daily equity sample (open or close) at or above $200."""
    for d in days:
        for ts, usd in (
            (d.equity_open_ts_ms, d.equity_open_usd),
            (d.equity_close_ts_ms, d.equity_close_usd),
        ):
            if ts is not None and usd is not None and usd >= REVIEW_EQUITY_USD:
                return ts
    return None


def _outcome(halt: Mapping[str, Any], success_ms: int | None) -> Outcome:
    reasons = halt.get("reasons") or []
    if success_ms is not None:
        return Outcome.SUCCESS
    if halt.get("phase") == "HALT" and "EIGHTEEN_MONTH_FAILURE" in reasons:
        return Outcome.FAILURE
    if halt.get("phase") == "HALT" and halt.get("kind") == "manual":
        return Outcome.HALTED
    return Outcome.RUNNING


def plan_status(
    doc: Mapping[str, Any], days: Sequence[DailyMetrics], now_ms: int | None = None
) -> dict[str, Any] | None:
    """The plan section of ``status --json`` (None before the account's first start)."""
    targets = (doc.get("risk") or {}).get("targets") or {}
    if targets.get("start_ms") is None:
        return None
    start = int(targets["start_ms"])
    success = targets.get("success_ms")
    peak = Decimal(str(targets.get("peak_equity_usd", "0")))
    runtime = doc.get("runtime") or {}
    at = int(runtime.get("updated_ms") or now_ms or time.time() * 1000)
    reached = first_day_at_200(days)
    unknown_day = reached is None and peak >= REVIEW_EQUITY_USD
    t = plan_targets(start, at, start if unknown_day else reached, success)
    halt = doc.get("halt") or {}
    outcome = _outcome(halt, success)
    manual = None
    if outcome is Outcome.HALTED and halt.get("since_ms") is not None:
        manual = (int(halt["since_ms"]), (halt.get("reasons") or ["?"])[0])
    out = t.to_json(iso)
    if unknown_day:
        out["reached_200"] = {"at": None, "day": None, "note": "peak ≥ $200; day not in metrics"}
    return {
        **out,
        "peak_equity_usd": str(peak),
        "outcome": outcome.value,
        "outcome_line": outcome_line(t, outcome, None, manual, iso),
    }


def plan_rows(plan: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The plan's lines of the ``status`` text view."""
    if plan is None:
        return [("plan", "no account start recorded yet")]

    def event(e: Mapping[str, Any] | None) -> str:
        if e is None:
            return "not reached"
        if e.get("at") is None:
            return e.get("note", "reached")
        return f"{e['at'][:10]} (day {e['day']:.1f})"

    def mark(m: Mapping[str, Any]) -> str:
        if m["passed"]:
            return f"passed on {m['at'][:10]}"
        return f"{m['days_left']:.1f} days to go ({m['at'][:10]})"

    flag = plan["review_flag"]
    return [
        ("plan", plan["outcome_line"]),
        ("account", f"started {plan['account_start']}, {plan['age_days']:.1f} days old"),
        ("review flag", f"raised {flag['at'][:10]} (H2)" if flag["raised"] else "not raised (H2)"),
        ("12 months", mark(plan["mark_12_months"])),
        ("18 months", mark(plan["mark_18_months"])),
        ("$200", event(plan["reached_200"])),
        ("SUCCESS", event(plan["success"])),
    ]
