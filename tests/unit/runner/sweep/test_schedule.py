"""Sweep schedule (runner/sweep/schedule.py): start dates, windows, one task per equity."""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from accountbuilder.marketdata.candles import candles_from_columns, load_candles
from accountbuilder_runner.sweep.schedule import (
    Every,
    add_months,
    parse_equities,
    parse_every,
    tasks_for,
    window_days,
    windows,
)

DAY = 86_400_000
T0 = 1_609_459_200_000  # 2021-01-01T00:00:00Z


def daily(days: int, start_ms: int = T0):
    ts = start_ms + np.arange(days) * DAY
    ones = np.full(days, 100.0)
    return candles_from_columns(ts, ones, ones, ones, ones, ones, source="d.csv")


def test_every_parses_quarter_month_and_days():
    assert parse_every("quarter") == Every("quarter")
    assert parse_every("30d") == Every("days", 30)
    for bad in ("week", "0d", "d", "-3d"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_every(bad)
    assert parse_equities("100, 300") == (Decimal(100), Decimal(300))
    with pytest.raises(argparse.ArgumentTypeError):
        parse_equities("100,-5")


def test_h2_months_step_by_the_calendar_and_windows_count_spec_days():
    assert add_months(date(2021, 1, 31), 1) == date(2021, 2, 28)
    assert add_months(date(2020, 10, 1), 18) == date(2022, 4, 1)
    assert (window_days(12), window_days(18), window_days(2)) == (365, 548, 61)


def test_quarter_starts_need_31_days_of_history_and_one_step_after():
    # 2021-01-01 → 2021-12-31: history until 02-01, so the first quarter start is 04-01; the
    # last is 10-01 (a quarter after it, 2022-01-01, is the day after the data's last day)
    wins = windows(daily(365), Every("quarter"), 6)
    assert [w.start for w in wins] == [date(2021, 4, 1), date(2021, 7, 1), date(2021, 10, 1)]
    # 6 months = ceil(6 × 365 / 12) = 183 days (SPEC H2's months), the last day included
    assert [(w.to, w.complete) for w in wins] == [
        (date(2021, 9, 30), True),
        (date(2021, 12, 30), True),
        (date(2021, 12, 31), False),  # 10-01 + 183 days runs past the data: cut
    ]


def test_every_n_days_and_a_from_date():
    wins = windows(daily(120), Every("days", 20), 1, from_day=date(2021, 3, 1))
    assert [w.start.isoformat() for w in wins] == ["2021-03-01", "2021-03-21", "2021-04-10"]


def test_the_hourly_file_has_27_quarterly_starts(shared_data):
    # 2017-08-17 → 2024-07-25: the first quarter with 31 days of history is 2017-10-01, the
    # last with a quarter of data after it 2024-04-01: 27 starts, 54 runs at $100 and $300
    arrays = load_candles(shared_data / "btcusd_1h_2017-08_2024-07.csv.gz")
    wins = windows(arrays, Every("quarter"), 18)
    assert (
        len(wins) == 27
        and wins[0].start == date(2017, 10, 1)
        and wins[-1].start == date(2024, 4, 1)
    )
    assert sum(w.complete for w in wins) == 22  # 18 months fit up to the 2023-01-01 start
    tasks = tasks_for("f", arrays, wins, (Decimal(100), Decimal(300)))
    assert len(tasks) == 54
    assert tasks[1].run_id == "runs/btcusd_1h_2017-08_2024-07/2017-10-01_300usd"
    # 18 months = 548 days (H2's failure deadline): 2017-10-01 → 2019-04-01 inclusive
    assert (tasks[0].start, tasks[0].to) == ("2017-10-01", "2019-04-01")
