"""The grid signal: levels, side choice, spacing from ATR (SPEC C1, D1, G1 inputs)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.config.models import GridConfig
from accountbuilder.domain.enums import Side
from accountbuilder.signal.grid import GridSignal, grid_spacing_pct, level_price
from accountbuilder.signal.source import SignalInputs

NOW = 1_700_000_000_000


def test_c1_spacing_from_atr_is_factor_times_atr_clamped():
    cfg = GridConfig(
        spacing_mode="atr",
        atr_factor=Decimal("0.5"),
        spacing_min_pct=Decimal("0.01"),
        spacing_max_pct=Decimal("0.04"),
    )

    assert grid_spacing_pct(cfg, Decimal("0.05")) == Decimal("0.025")  # 0.05 x 0.5
    assert grid_spacing_pct(cfg, Decimal("0.01")) == Decimal("0.01")  # 0.005 -> min
    assert grid_spacing_pct(cfg, Decimal("0.20")) == Decimal("0.04")  # 0.10 -> max
    assert grid_spacing_pct(cfg, None) is None


def test_d1_long_enters_below_the_mark_and_targets_the_next_level_up():
    signal = GridSignal(GridConfig(spacing_mode="fixed", spacing_pct=Decimal("0.02"))).propose(
        SignalInputs(NOW, Decimal(40_000), None)
    )

    assert signal.side is Side.LONG
    assert signal.entry_price < Decimal(40_000) < signal.take_profit_price
    assert signal.take_profit_price / signal.entry_price == Decimal("1.02")


def test_d1_short_enters_above_the_mark_and_targets_the_next_level_down():
    signal = GridSignal(GridConfig(spacing_mode="fixed", direction="short")).propose(
        SignalInputs(NOW, Decimal(40_000), None)
    )

    assert signal.side is Side.SHORT
    assert signal.take_profit_price < Decimal(40_000) < signal.entry_price


def test_both_directions_choose_toward_the_24h_mean():
    grid = GridSignal(GridConfig(spacing_mode="fixed", direction="both"))

    below = grid.propose(SignalInputs(NOW, Decimal(40_000), None, mean_price_24h=Decimal(41_000)))
    above = grid.propose(SignalInputs(NOW, Decimal(40_000), None, mean_price_24h=Decimal(39_000)))
    unknown = grid.propose(SignalInputs(NOW, Decimal(40_000), None))

    assert (below.side, above.side, unknown) == (Side.LONG, Side.SHORT, None)


def test_g1_same_level_and_bucket_gives_the_same_signal_id():
    grid = GridSignal(GridConfig(spacing_mode="fixed"))
    a = grid.propose(SignalInputs(NOW, Decimal(40_000), None))
    b = grid.propose(SignalInputs(NOW + 1000, Decimal("40010"), None))
    c = grid.propose(SignalInputs(NOW + 3_600_000, Decimal(40_000), None))

    assert a.signal_id == b.signal_id
    assert a.signal_id != c.signal_id


@given(
    st.decimals(min_value=1000, max_value=200_000, places=1),
    st.sampled_from(["0.01", "0.02", "0.035"]),
)
def test_d1_entry_is_the_nearest_level_strictly_below_the_mark(mark, spacing):
    spacing = Decimal(spacing)
    signal = GridSignal(GridConfig(spacing_mode="fixed", spacing_pct=spacing)).propose(
        SignalInputs(NOW, mark, None)
    )

    k = int(signal.level)
    assert level_price(k, spacing) < mark <= level_price(k + 1, spacing) * Decimal("1.000000001")
