"""The plan's targets (runner/reporting/plan.py): H2 review flag, marks, outcome line."""

from __future__ import annotations

from accountbuilder.domain.enums import Outcome
from accountbuilder_runner.reporting.plan import outcome_line, plan_targets
from accountbuilder_runner.reporting.summary import iso

DAY = 86_400_000
T0 = 1_609_459_200_000  # 2021-01-01T00:00:00Z


def test_h2_marks_count_down_before_they_pass():
    t = plan_targets(T0, T0 + 100 * DAY, None, None)
    assert t.age_days == 100
    assert (t.review_mark.passed, t.review_mark.days_left) == (False, 265)
    assert (t.deadline_mark.passed, t.deadline_mark.days_left) == (False, 448)
    assert t.review_ms is None  # 12 months not over yet
    assert iso(t.review_mark.at_ms) == "2022-01-01T00:00:00Z"  # 365 days after the start
    assert iso(t.deadline_mark.at_ms) == "2022-07-03T00:00:00Z"  # 548 days


def test_h2_review_flag_raised_at_12_months_without_200():
    t = plan_targets(T0, T0 + 400 * DAY, None, None)
    assert (
        t.review_ms == T0 + 365 * DAY and t.review_mark.passed and t.review_mark.days_left is None
    )
    assert t.to_json(iso)["review_flag"] == {
        "raised": True,
        "at": "2022-01-01T00:00:00Z",
        "day": 365,
    }


def test_h2_review_flag_not_raised_when_200_came_before_the_mark():
    assert plan_targets(T0, T0 + 400 * DAY, T0 + 200 * DAY, None).review_ms is None
    # $200 after the 12-month mark: the review was due all the same
    assert plan_targets(T0, T0 + 400 * DAY, T0 + 370 * DAY, None).review_ms == T0 + 365 * DAY


def test_h2_success_line_in_the_plans_words():
    t = plan_targets(T0, T0 + 300 * DAY, T0 + 40 * DAY, T0 + 300 * DAY)
    line = outcome_line(t, Outcome.SUCCESS, "100", None, iso)
    assert line == "Target $100 → $1,000 reached after 300.0 days (2021-10-28), within 18 months."


def test_h3_halt_line_names_the_hard_stop_and_its_day():
    halt_ms = T0 + 41 * 3_600_000  # 1.7 days
    t = plan_targets(T0, halt_ms, None, None)
    line = outcome_line(t, Outcome.HALTED, "100", (halt_ms, "EQUITY_BELOW_80"), iso)
    assert line.startswith("Hard stop: balance under $80 after 1.7 days (2021-01-02) ⇒ HALT")


def test_h2_failure_and_running_lines_with_the_review_trigger():
    t = plan_targets(T0, T0 + 548 * DAY, None, None)
    line = outcome_line(t, Outcome.FAILURE, "100", None, iso)
    assert line.startswith("Hard Failure: 18 months without $1,000")
    assert line.endswith("Review Trigger: 12 months without $200 (flag raised 2022-01-01).")
    running = outcome_line(
        plan_targets(T0, T0 + 10 * DAY, None, None), Outcome.RUNNING, None, None, iso
    )
    assert running == (
        "Still trading after 10.0 days: target $1,000 not reached yet; "
        "18-month deadline: 538.0 days to go (2022-07-03)."
    )
