"""equity.png's time axis (runner/reporting/plot.py): a short trading period is not squeezed
into a multi-year axis."""

from __future__ import annotations

from accountbuilder_runner.reporting.plot import shown_until

DAY = 86_400_000


def test_e5_an_early_end_of_trading_cuts_the_axis_a_quarter_period_later():
    # traded 8 days of a 2,500-day file: drawn to 8 + 2 days
    assert shown_until(0, 8 * DAY, 2500 * DAY) == 10 * DAY
    # traded 1.7 days: at least one day after the end of trading
    assert shown_until(0, 41 * 3_600_000, 2500 * DAY) == 41 * 3_600_000 + DAY


def test_the_whole_data_is_drawn_when_trading_took_most_of_it():
    assert shown_until(0, 300 * DAY, 548 * DAY) == 548 * DAY
    assert shown_until(0, 548 * DAY, 548 * DAY) == 548 * DAY
