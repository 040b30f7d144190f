"""Drawdown of USD equity (runner/reporting/drawdown.py): the deepest fall, its duration."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder_runner.reporting.drawdown import drawdown_pct, max_drawdown, max_drawdown_pct

DAY = 86_400_000


def test_h2_max_drawdown_is_the_deepest_fall_from_a_running_peak():
    # 100 → 120 → 90 (−25 % of 120) → 130 → 65 (−50 % of 130): the answer is 50 %
    assert max_drawdown_pct(np.array([100.0, 120.0, 90.0, 130.0, 65.0])) == 50.0
    assert max_drawdown_pct(np.array([100.0, 110.0, 120.0])) == 0.0


def test_drawdown_series_is_the_percent_below_the_running_peak():
    # peaks 100, 120, 120, 130: 0, 0, 90/120 − 1 = −25 %, 0
    series = drawdown_pct(np.array([100.0, 120.0, 90.0, 130.0]))
    assert series.tolist() == [0.0, 0.0, -25.0, 0.0]


def test_max_drawdown_duration_runs_from_the_peak_to_the_recovery():
    # peak 120 on day 1, trough 60 on day 3 (−50 %), back at 120 on day 6: 5 days
    ts = np.arange(8) * DAY
    dd = max_drawdown(ts, np.array([100.0, 120.0, 100.0, 60.0, 80.0, 110.0, 120.0, 125.0]))
    assert (dd.pct, dd.peak_ms, dd.trough_ms, dd.recovered_ms) == (50.0, DAY, 3 * DAY, 6 * DAY)
    assert dd.duration_days == 5.0


def test_max_drawdown_never_recovered_lasts_to_the_end_of_the_period():
    # peak 200 on day 0, trough 100 on day 2 (−50 %), still 150 on day 4: 4 days, not recovered
    dd = max_drawdown(np.arange(5) * DAY, np.array([200.0, 150.0, 100.0, 120.0, 150.0]))
    assert dd.recovered_ms is None and dd.duration_days == 4.0 and dd.pct == 50.0


def test_max_drawdown_of_a_rising_series_is_zero_with_no_peak():
    dd = max_drawdown(np.arange(3) * DAY, np.array([1.0, 2.0, 3.0]))
    assert dd.pct == 0.0 and dd.peak_ms is None and dd.duration_days == 0.0


@given(st.lists(st.floats(1.0, 1e6), min_size=1, max_size=80))
def test_h2_max_drawdown_matches_every_pair_of_peak_then_trough(values):
    # brute force: the worst (peak − later value) / peak over all pairs i <= j
    worst = max(1 - values[j] / max(values[: j + 1]) for j in range(len(values)))
    dd = max_drawdown_pct(np.array(values))
    assert 0.0 <= dd < 100.0 and abs(dd - worst * 100) < 1e-9
