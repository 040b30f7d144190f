"""Candle files: loading, validation messages, gaps, slicing and resampling.

The backtest and the simulator replay these files (SPEC F6: the same core runs backtests);
the daily resample feeds the ATR of SPEC D2.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from accountbuilder.marketdata.candles import (
    HEADER,
    CandleFileError,
    load_candles,
    parse_utc_date_ms,
    resample,
    slice_dates,
    slice_ms,
)

DAY0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
MIN = 60_000
GOOD = [
    f"{DAY0},100.0,101.0,99.0,100.5,2.5",
    f"{DAY0 + MIN},100.5,102.0,100.0,101.0,1.0",
    f"{DAY0 + 2 * MIN},101.0,101.5,100.5,101.0,0",
]


def write(tmp_path, rows, header=HEADER, name="c.csv", gz=False):
    text = "\n".join([header, *rows]) + "\n"
    path = tmp_path / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def test_f6_real_minute_file_loads_with_its_gaps_reported(shared_data):
    arrays = load_candles(shared_data / "btcusd_1m_2021-04_2021-05.csv.gz")

    assert len(arrays) == 69_927 and arrays.timeframe_ms == MIN
    # README: Binance maintenance 2021-04-20 02:00–04:29 (150 min), 2021-04-25 04:01–08:44 (284)
    assert arrays.gaps == (
        (parse_utc_date_ms("2021-04-20T02:00"), 150),
        (parse_utc_date_ms("2021-04-25T04:01"), 284),
    )
    assert arrays.ts_ms.dtype == np.int64 and arrays.close.dtype == np.float64
    assert not arrays.close.flags.writeable


def test_f6_plain_and_gzip_csv_load_the_same(tmp_path):
    plain = load_candles(write(tmp_path, GOOD))
    zipped = load_candles(write(tmp_path, GOOD, gz=True))

    assert plain.ts_ms.tolist() == zipped.ts_ms.tolist() == [DAY0, DAY0 + MIN, DAY0 + 2 * MIN]
    assert plain.high.tolist() == zipped.high.tolist() == [101.0, 102.0, 101.5]
    assert plain.volume.tolist() == [2.5, 1.0, 0.0]
    assert plain.candle(1).close == 101 and plain.gaps == ()


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (GOOD, "ts,open,high,low,close,volume", "c.csv line 1: header must be"),
        (
            GOOD[:1] + [f"{DAY0 + MIN},100.5,102.0,100.0,101.0"],
            HEADER,
            "c.csv line 3: expected 6 columns",
        ),
        (
            GOOD[:2] + [f"{DAY0 + 2 * MIN},101.0,abc,100.5,101.0,0"],
            HEADER,
            "c.csv line 4: column high is not numeric: 'abc'",
        ),
        (
            GOOD[:1] + [f"{DAY0 + MIN},100.5,102.0,100.0,nan,1"],
            HEADER,
            f"c.csv line 3 (ts_ms={DAY0 + MIN}): close is NaN",
        ),
        (
            GOOD[:1] + [f"{DAY0 + MIN},0,102.0,100.0,101.0,1"],
            HEADER,
            "line 3 (ts_ms=1704067260000): open must be > 0",
        ),
        (
            GOOD[:1] + [f"{DAY0 + MIN},100.5,101.0,100.0,101.5,1"],
            HEADER,
            "line 3 (ts_ms=1704067260000): high is below max(open, close)",
        ),
        (
            GOOD[:1] + [f"{DAY0 + MIN},100.5,102.0,100.6,101.0,1"],
            HEADER,
            "line 3 (ts_ms=1704067260000): low is above min(open, close)",
        ),
        (
            GOOD[:1] + [f"{DAY0 + MIN},100.5,102.0,100.0,101.0,-1"],
            HEADER,
            "line 3 (ts_ms=1704067260000): volume must be >= 0",
        ),
        (
            [GOOD[0], GOOD[2], GOOD[1]],
            HEADER,
            "line 4 (ts_ms=1704067260000): timestamps not sorted",
        ),
        ([GOOD[0], GOOD[1], GOOD[1]], HEADER, "line 4 (ts_ms=1704067260000): duplicate timestamp"),
        ([GOOD[0], "", GOOD[1]], HEADER, "c.csv line 3: empty line inside the data"),
        ([], HEADER, "c.csv: no candle rows"),
    ],
)
def test_f6_bad_files_are_refused_naming_file_line_and_column(tmp_path, rows, header, message):
    with pytest.raises(CandleFileError) as err:
        load_candles(write(tmp_path, rows, header=header))

    assert message in str(err.value)


def test_f6_a_step_that_is_not_a_multiple_of_the_timeframe_is_refused(tmp_path):
    rows = [GOOD[0], GOOD[1], f"{DAY0 + 150_000},101.0,101.5,100.5,101.0,0"]

    with pytest.raises(CandleFileError, match="line 4 .* not a multiple of the 60000 ms"):
        load_candles(write(tmp_path, rows))


def test_f6_timeframe_is_inferred_and_gaps_counted(tmp_path):
    five = 5 * MIN
    rows = [f"{DAY0 + k * five},100,101,99,100,1" for k in (0, 1, 2, 6, 7, 10)]

    arrays = load_candles(write(tmp_path, rows))

    assert arrays.timeframe_ms == five
    assert arrays.gaps == ((DAY0 + 3 * five, 3), (DAY0 + 8 * five, 2))


def test_f6_a_single_row_needs_the_timeframe_given(tmp_path):
    path = write(tmp_path, GOOD[:1])

    with pytest.raises(CandleFileError, match="cannot infer the timeframe"):
        load_candles(path)
    assert load_candles(path, timeframe_ms=MIN).timeframe_ms == MIN


def test_f6_slicing_by_dates_includes_the_whole_to_day(shared_data):
    arrays = load_candles(shared_data / "btcusd_1m_2021-04_2021-05.csv.gz")

    day = slice_dates(arrays, "2021-05-19", "2021-05-19")
    hour = slice_ms(
        arrays, parse_utc_date_ms("2021-05-19T13:00"), parse_utc_date_ms("2021-05-19T14:00")
    )

    assert len(day) == 1440 and day.ts_ms[0] == parse_utc_date_ms("2021-05-19")
    assert len(hour) == 60 and hour.ts_ms[-1] == parse_utc_date_ms("2021-05-19T13:59")
    with pytest.raises(CandleFileError, match="not after"):
        slice_dates(arrays, "2021-05-19", "2021-05-18")


def test_f6_resampled_minutes_match_the_real_five_minute_file(shared_data):
    minutes = load_candles(shared_data / "btcusd_1m_2025-05_2025-08.csv.gz")
    fives = load_candles(shared_data / "btcusd_5m_2024-08_2025-08.csv.gz")

    got = resample(minutes, 5, complete_only=True)
    lo, hi = max(got.ts_ms[0], fives.ts_ms[0]), min(got.ts_ms[-1], fives.ts_ms[-1])
    a = slice_ms(got, lo, hi + 1)
    b = slice_ms(fives, lo, hi + 1)

    # README: "Resampled to 5m, it matches the 5m file exactly (26,141 bars)"
    assert len(a) == len(b) == 26_141
    for col in ("ts_ms", "open", "high", "low", "close"):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
    assert np.allclose(a.volume, b.volume, rtol=1e-9)


def test_d2_daily_resample_aggregates_each_utc_day(tmp_path):
    rows = [f"{DAY0 + k * 720 * MIN},{100 + k},{110 + k},{90 + k},{101 + k},1" for k in range(5)]
    arrays = load_candles(write(tmp_path, rows))  # 12-hour bars

    days = resample(arrays, 2)

    assert days.timeframe_ms == 86_400_000
    assert days.ts_ms.tolist() == [DAY0, DAY0 + 86_400_000, DAY0 + 2 * 86_400_000]
    # day 0 = bars 0, 1: open 100, high 111, low 90, close 102, volume 2
    assert (days.open[0], days.high[0], days.low[0], days.close[0], days.volume[0]) == (
        100,
        111,
        90,
        102,
        2,
    )
    assert len(resample(arrays, 2, complete_only=True)) == 2  # the last day has one bar of two
