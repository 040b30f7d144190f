"""sweep.json's figures (runner/sweep/aggregate.py) on fixed rows, against hand values."""

from __future__ import annotations

from accountbuilder_runner.sweep.aggregate import (
    reached_200_by_12,
    reached_1000_by_18,
    summary_for,
    survival,
    wilson,
)
from accountbuilder_runner.sweep.rows import SweepRow


def row(outcome, days, *, r200=None, halt=None, review=False) -> SweepRow:
    return SweepRow(
        "f", "2020-01-01", "100", "2021-06-30", True, None, outcome,
        halt_reason=halt, days_traded=days, reached_200_day=r200, review_flag=review,
    )  # fmt: skip


def test_wilson_95_matches_published_values():
    # Wilson (1927) / Newcombe (1998) table: 5/10 → 0.2366–0.7634, 0/10 → 0–0.2775, 10/10
    lo, hi = wilson(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    assert tuple(round(x, 4) for x in wilson(0, 10)) == (0.0, 0.2775)
    assert tuple(round(x, 4) for x in wilson(10, 10)) == (0.7225, 1.0)
    assert wilson(0, 0) is None


ROWS = [
    row("SUCCESS", 277.0, r200=47.0),  # yes / yes
    row("HALTED", 1.25, halt="EQUITY_BELOW_80"),  # no / no
    row("HALTED", 400.0, r200=380.0, halt="EQUITY_BELOW_80", review=True),  # no (late) / no
    row("RUNNING", 181.0),  # window cut at 181 days: cannot tell either
    row("RUNNING", 200.0, r200=120.0),  # yes / cannot tell
    row("FAILURE", 548.0, r200=300.0),  # yes / no
    row("ERROR", None),
]


def test_h2_200_by_month_12_leaves_out_runs_that_cannot_tell():
    share = reached_200_by_12(ROWS[:6])
    assert (share.k, share.n) == (3, 5)  # rows 1, 5, 6 yes; 2, 3 no; 4 left out


def test_h2_1000_by_month_18_counts_success_against_halts_and_failures():
    share = reached_1000_by_18(ROWS[:6])
    assert (share.k, share.n) == (1, 4)  # SUCCESS; against 2 HALTED and the FAILURE


def test_kaplan_meier_survival_by_hand():
    # days traded 1.25 (HALT), 181 (cut), 200 (cut), 277 (SUCCESS), 400 (HALT), 548 (FAILURE)
    # month 1: 1 − 1/6 = 5/6; then censored at 181, 200, 277; HALT at 400 with 2 at risk:
    # 5/6 × 1/2 = 5/12 from month 14 (425.8 days) on
    curve = survival(ROWS[:6], 18)
    assert curve[0]["still_trading"] == 1.0
    assert curve[1]["still_trading"] == round(5 / 6, 4)
    assert curve[13]["still_trading"] == round(5 / 6, 4)  # 395.4 days: not yet
    assert curve[14]["still_trading"] == round(5 / 12, 4)
    assert curve[18]["still_trading"] == round(5 / 12, 4)


def test_summary_counts_errors_apart_and_shares_halts_by_reason():
    s = summary_for(ROWS, 18)
    assert (s["runs"], s["errors"]) == (7, 1)
    lo, hi = wilson(2, 6)
    assert s["halted_by_reason"] == {
        "EQUITY_BELOW_80": {"share": 0.3333, "ci95": [round(lo, 4), round(hi, 4)], "k": 2, "n": 6}
    }
    assert s["outcomes"]["RUNNING"]["k"] == 2 and s["review_flag"]["k"] == 1
    assert s["median_days_traded"] == (200.0 + 277.0) / 2  # of 1.25, 181, 200, 277, 400, 548
    lo, hi = s["reached_200_by_month_12"]["ci95"]
    assert (lo, hi) == tuple(round(x, 4) for x in wilson(3, 5))
