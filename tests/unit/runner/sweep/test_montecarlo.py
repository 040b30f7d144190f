"""Monte Carlo paths (runner/sweep/montecarlo.py): a seeded stationary block bootstrap that
keeps each candle's shape relative to the previous close."""

from __future__ import annotations

import numpy as np
import pytest

from accountbuilder.marketdata.candles import load_candles, slice_dates
from accountbuilder_runner.sweep.montecarlo import (
    bootstrap_indices,
    relative_candles,
    synthetic_path,
)


@pytest.fixture(scope="module")
def hourly(shared_data):
    arrays = load_candles(shared_data / "btcusd_1h_2017-08_2024-07.csv.gz")
    return slice_dates(arrays, "2020-01-01", "2020-12-31")


def test_the_same_seed_gives_the_same_path_whatever_else_runs(hourly):
    a = synthetic_path(hourly, 2000, 5, seed=7, path=3)
    b = synthetic_path(hourly, 2000, 5, seed=7, path=3)
    for col in ("ts_ms", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(a, col), getattr(b, col))
    other_path = synthetic_path(hourly, 2000, 5, seed=7, path=4)
    other_seed = synthetic_path(hourly, 2000, 5, seed=8, path=3)
    assert not np.array_equal(a.close, other_path.close)
    assert not np.array_equal(a.close, other_seed.close)


def test_each_candle_keeps_a_real_candles_shape_relative_to_the_previous_close(hourly):
    path = synthetic_path(hourly, 500, 5, seed=1, path=0)
    real = relative_candles(hourly)
    prev = np.concatenate(([hourly.close[0]], path.close[:-1]))
    mine = np.column_stack([np.log(c / prev) for c in (path.open, path.close)])
    # every synthetic (open, close) pair is a real candle's, up to rounding to the cent
    for o, c in mine[:100]:
        nearest = np.min(np.abs(real[:, 0] - o) + np.abs(real[:, 3] - c))
        assert nearest < 1e-5  # two roundings to the cent at ~7,000: ≤ 2 × 0.005 / 7,000
    assert np.all(path.low <= np.minimum(path.open, path.close))
    assert np.all(path.high >= np.maximum(path.open, path.close))
    assert np.all(np.diff(path.ts_ms) == hourly.timeframe_ms)


def test_blocks_are_consecutive_with_the_mean_length_asked():
    rng = np.random.default_rng(0)
    idx = bootstrap_indices(1000, 100_000, 24.0, rng)
    jumps = np.flatnonzero(np.diff(idx) != 1)
    mean_block = len(idx) / (len(jumps) + 1)
    assert 22 < mean_block < 26  # geometric lengths, mean 24 (a wrap 999 → 0 counts as a jump)
