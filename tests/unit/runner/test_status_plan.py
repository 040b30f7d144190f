"""``status``'s plan section (runner/status_plan.py): H2/H3 from the session document and the
daily metrics, counted to the session's last save."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.records.daily_metrics import DailyMetrics
from accountbuilder_runner.status_plan import plan_rows, plan_status

DAY = 86_400_000
T0 = 1_609_459_200_000  # 2021-01-01T00:00:00Z


def doc(saved_ms: int, *, peak="150", success=None, halt=None) -> dict:
    return {
        "risk": {"targets": {"start_ms": T0, "peak_equity_usd": peak, "success_ms": success}},
        "runtime": {"updated_ms": saved_ms},
        "halt": halt or {"phase": "NORMAL", "kind": None, "reasons": []},
    }


def day(d: int, open_usd: str, close_usd: str) -> DailyMetrics:
    ts = T0 + d * DAY
    return DailyMetrics(
        day=f"d{d}",
        equity_open_ts_ms=ts,
        equity_open_usd=D(open_usd),
        equity_close_ts_ms=ts + DAY - 1,
        equity_close_usd=D(close_usd),
    )


def test_h2_status_counts_age_and_marks_to_the_last_save():
    plan = plan_status(doc(T0 + 400 * DAY), [day(0, "100", "120")])

    assert plan["age_days"] == 400 and plan["account_start"] == "2021-01-01T00:00:00Z"
    assert plan["review_flag"] == {"raised": True, "at": "2022-01-01T00:00:00Z", "day": 365}
    assert plan["mark_18_months"] == {
        "at": "2022-07-03T00:00:00Z",
        "passed": False,
        "days_left": 148,
    }
    assert plan["outcome"] == "RUNNING" and "Review Trigger" in plan["outcome_line"]


def test_h2_the_day_200_was_reached_comes_from_the_daily_metrics():
    days = [day(0, "100", "150"), day(40, "190", "205"), day(41, "210", "220")]
    plan = plan_status(doc(T0 + 400 * DAY, peak="220"), days)

    assert plan["reached_200"] == {"at": "2021-02-10T23:59:59Z", "day": 41.0}
    assert plan["review_flag"] == {"raised": False}


def test_h3_a_manual_halt_is_told_in_the_plans_words():
    halt = {"phase": "HALT", "kind": "manual", "reasons": ["EQUITY_BELOW_80"], "since_ms": T0 + DAY}
    plan = plan_status(doc(T0 + 2 * DAY, halt=halt), [])

    assert plan["outcome"] == "HALTED"
    assert plan["outcome_line"].startswith("Hard stop: balance under $80 after 1.0 days")
    rows = dict(plan_rows(plan))
    assert rows["review flag"] == "not raised (H2)" and rows["12 months"].startswith("363.0 days")


def test_no_start_recorded_yet():
    assert plan_status({}, []) is None
    assert plan_rows(None) == [("plan", "no account start recorded yet")]
