"""The grid's keys over a path of marks (signal.grid_path) equal ``propose`` at every mark
(SPEC G1, G3, C1: level and ATR spacing), including marks on rounding and level boundaries."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.runner.slices import BUNDLED

from accountbuilder.config.models import GridConfig
from accountbuilder.marketdata.atr import WilderAtr
from accountbuilder.marketdata.candles import load_candles
from accountbuilder.marketdata.view import atr_pct_at
from accountbuilder.signal.grid import GridSignal, level_price
from accountbuilder.signal.source import SignalInputs


def _atr(value: float) -> WilderAtr:
    return WilderAtr(value=value)


def _proposed_keys(grid: GridSignal, atr: float, marks: np.ndarray) -> list[tuple[int, int]]:
    keys = []
    for m in marks:
        inputs = SignalInputs(0, Decimal(repr(float(m))), atr_pct_at(_atr(atr), float(m)))
        keys.append(grid.key_of(grid.propose(inputs)))
    return keys


@pytest.mark.parametrize("direction", ["long", "short"])
@pytest.mark.parametrize("mode", ["atr", "fixed"])
def test_g3_path_keys_equal_propose_on_real_minutes(direction, mode):
    grid = GridSignal(GridConfig(direction=direction, spacing_mode=mode))
    marks = load_candles(BUNDLED).close[:20_000]
    atr = 0.035 * float(marks[0])

    assert grid.path_keys(atr, marks).tolist() == [
        list(k) for k in _proposed_keys(grid, atr, marks)
    ]


@given(
    k=st.integers(-60, 200),
    code=st.integers(100, 400),
    nudge=st.sampled_from([-1e-12, 0.0, 1e-12]),
    direction=st.sampled_from(["long", "short"]),
)
@settings(max_examples=300, deadline=None)
def test_g3_path_keys_equal_propose_on_level_boundaries(k, code, nudge, direction):
    # a mark on (or one float step beside) a level, where floats and decimals could disagree
    grid = GridSignal(
        GridConfig(direction=direction, spacing_mode="fixed", spacing_pct=Decimal(code) / 10_000)
    )
    mark = float(level_price(k, Decimal(code) / 10_000)) * (1 + nudge)
    marks = np.array([mark])
    assert grid.path_keys(None, marks).tolist() == [list(_proposed_keys(grid, 1.0, marks)[0])]


@given(
    units=st.integers(100, 400),
    half=st.sampled_from([-1e-9, 0.0, 1e-9]),
    mark=st.floats(5_000, 150_000),
)
@settings(max_examples=300, deadline=None)
def test_c1_path_keys_equal_propose_on_spacing_rounding_boundaries(units, half, mark):
    # an ATR that puts ATR ÷ mark × factor on a rounding edge of the 0.0001 spacing quantum
    grid = GridSignal(GridConfig(spacing_mode="atr"))
    raw = (units + 0.5 + half) * 1e-4 / float(grid.config.atr_factor)
    atr = raw * mark
    marks = np.array([mark])
    assert grid.path_keys(atr, marks).tolist() == [list(_proposed_keys(grid, atr, marks)[0])]


def test_path_keys_need_one_side_and_a_known_spacing():
    assert GridSignal(GridConfig(direction="both")).path_keys(1_000.0, np.array([50_000.0])) is None
    assert GridSignal(GridConfig(spacing_mode="atr")).path_keys(None, np.array([50_000.0])) is None
