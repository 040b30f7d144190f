"""The grid's keys over a path of marks (signal.grid_path) equal ``propose`` at every mark
(SPEC G1, G3, C1: level and the day's ATR spacing), including marks on level boundaries."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.runner.slices import BUNDLED

from accountbuilder.config.models import GridConfig
from accountbuilder.marketdata.candles import load_candles
from accountbuilder.signal.grid import GridSignal, level_price
from accountbuilder.signal.source import SignalInputs

DAILY = Decimal("0.0437")  # the day's ATR over the last daily close


def _proposed_keys(grid: GridSignal, daily: Decimal | None, marks: np.ndarray) -> list[list[int]]:
    keys = []
    for m in marks:
        signal = grid.propose(SignalInputs(0, Decimal(repr(float(m))), daily))
        keys.append(list(grid.key_of(signal)))
    return keys


@pytest.mark.parametrize("direction", ["long", "short"])
@pytest.mark.parametrize("mode", ["atr", "fixed"])
def test_g3_path_keys_equal_propose_on_real_minutes(direction, mode):
    grid = GridSignal(GridConfig(direction=direction, spacing_mode=mode))
    marks = load_candles(BUNDLED).close[:20_000]

    assert grid.path_keys(DAILY, marks).tolist() == _proposed_keys(grid, DAILY, marks)


@given(
    k=st.integers(-60, 200),
    code=st.integers(100, 400),
    nudge=st.sampled_from([-1e-12, 0.0, 1e-12]),
    direction=st.sampled_from(["long", "short"]),
)
@settings(max_examples=300, deadline=None)
def test_g3_path_keys_equal_propose_on_level_boundaries(k, code, nudge, direction):
    # a mark on (or one float step beside) a level, where floats and decimals could disagree
    spacing = Decimal(code) / 10_000
    grid = GridSignal(GridConfig(direction=direction, spacing_mode="fixed", spacing_pct=spacing))
    marks = np.array([float(level_price(k, spacing)) * (1 + nudge)])
    assert grid.path_keys(None, marks).tolist() == _proposed_keys(grid, None, marks)


def test_path_keys_need_one_side_and_a_known_spacing():
    marks = np.array([50_000.0])
    assert GridSignal(GridConfig(direction="both")).path_keys(DAILY, marks) is None
    assert GridSignal(GridConfig(spacing_mode="atr")).path_keys(None, marks) is None
