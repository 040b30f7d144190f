"""C1 stop distance, C2 contracts, C3 rounding and the exact loss cut — worked by hand."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import Side
from accountbuilder.domain.models import Instrument
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.risk.sizing import (
    Sizing,
    contracts_from_budget,
    exact_loss_fits,
    floor_to_step,
    maker_entry_price,
    max_contracts_for_loss,
    size_entry,
    smallest_qty,
    stop_distance_pct,
    stop_price,
    take_profit_price,
)

ONE = D(1)


@pytest.mark.parametrize(
    ("spacing", "stop"),
    [
        ("0.02", "0.03"),  # 2% × 1.5
        ("0.03", "0.045"),  # 3% × 1.5
        ("0.01", "0.02"),  # 1.5% → clamped up to 2%
        ("0.05", "0.06"),  # 7.5% → clamped down to 6%
        ("0.04", "0.06"),  # exactly 6%
    ],
)
def test_c1_stop_distance_is_clamped_spacing_times_1_5(spacing, stop):
    assert stop_distance_pct(D(spacing)) == D(stop)


def test_c1_unknown_spacing_falls_back_to_3_pct():
    assert stop_distance_pct(None) == D("0.03")


@pytest.mark.parametrize("spacing", ["0", "-0.01", "NaN", "Infinity"])
def test_c1_non_positive_or_non_finite_spacing_rejects(spacing):
    result = stop_distance_pct(D(spacing))

    assert isinstance(result, Denial) and result.reason is ReasonCode.STOP_DISTANCE_INVALID


def test_c2_contracts_floor_of_budget_over_stop():
    # 0.00025 × 40,000 / 0.045 = 222.2… → 222
    assert contracts_from_budget(D("0.00025"), D(40000), D("0.045"), ONE, ONE) == 222
    # × size multiplier 0.5 → 111.1… → 111; × haircut 0.8 → 177.7… → 177
    assert contracts_from_budget(D("0.00025"), D(40000), D("0.045"), D("0.5"), ONE) == 111
    assert contracts_from_budget(D("0.00025"), D(40000), D("0.045"), ONE, D("0.8")) == 177


def test_c2_contracts_below_one_rejects():
    # 0.0000007 × 40,000 / 0.03 = 0.93 → 0 contracts
    result = size_entry(Side.LONG, D(40000), D("0.02"), D("0.0000007"), ONE, ONE, Instrument())

    assert isinstance(result, Denial) and result.reason is ReasonCode.CONTRACTS_BELOW_MIN
    assert result.figures["contracts_c2"] == 0


def test_c3_maker_buy_rounds_down_sell_rounds_up():
    assert maker_entry_price(Side.LONG, D("40000.3"), D("0.5")) == D("40000.0")
    assert maker_entry_price(Side.SHORT, D("40000.3"), D("0.5")) == D("40000.5")
    assert maker_entry_price(Side.LONG, D("40000.5"), D("0.5")) == D("40000.5")


def test_c3_stop_trigger_rounds_toward_the_entry():
    # long: 40,000.5 × 0.97 = 38,800.485 → up to 38,800.5 (closer to the entry)
    assert stop_price(Side.LONG, D("40000.5"), D("0.03"), D("0.5")) == D("38800.5")
    # short: 40,000.5 × 1.03 = 41,200.515 → down to 41,200.5
    assert stop_price(Side.SHORT, D("40000.5"), D("0.03"), D("0.5")) == D("41200.5")


def test_c3_take_profit_is_the_next_grid_level_rounded_outward():
    # long: 40,000.5 × 1.03 = 41,200.515 → sell rounds up → 41,201.0
    assert take_profit_price(Side.LONG, D("40000.5"), D("0.03"), D("0.5")) == D("41201.0")
    # short: 40,000.5 × 0.97 = 38,800.485 → buy rounds down → 38,800.0
    assert take_profit_price(Side.SHORT, D("40000.5"), D("0.03"), D("0.5")) == D("38800.0")


def test_c3_long_contracts_cut_to_exact_loss_at_rounded_stop():
    # M = 0.00025, entry 40,000, stop 4.5% → 38,200. C2 = 222 overshoots (÷(1−d)):
    # exact max = M × E × S / (E − S) = 0.00025 × 40,000 × 38,200 / 1,800 = 212.2 → 212
    result = size_entry(Side.LONG, D(40000), D("0.03"), D("0.00025"), ONE, ONE, Instrument())

    assert isinstance(result, Sizing)
    assert (result.contracts_c2, result.contracts_budget, result.contracts) == (222, 212, 212)
    assert result.stop_price == D(38200)
    # loss(212) = 212 × 1,800 / (40,000 × 38,200) = 0.000249738…; loss(213) = 0.000250916… > M
    assert D("0.0002497") < result.loss_at_stop_btc < D("0.00025")
    assert not exact_loss_fits(Side.LONG, 213, D(40000), D(38200), D("0.00025"))


def test_c3_short_keeps_c2_when_exact_loss_allows_more():
    # short stop 41,800: exact max = 0.00025 × 40,000 × 41,800 / 1,800 = 232.2; C2 = 222 binds
    result = size_entry(Side.SHORT, D(40000), D("0.03"), D("0.00025"), ONE, ONE, Instrument())

    assert isinstance(result, Sizing)
    assert (result.stop_price, result.contracts_budget, result.contracts) == (D(41800), 232, 222)
    # loss = 222 × 1,800 / (40,000 × 41,800) = 0.000238995…
    exact = Fraction(222 * 1800, 40000 * 41800)
    assert abs(Fraction(result.loss_at_stop_btc) - exact) < Fraction(1, 10**30)


def test_c3_qty_floored_to_qty_step():
    result = size_entry(
        Side.LONG, D(40000), D("0.03"), D("0.00025"), ONE, ONE, Instrument(qty_step=10)
    )

    assert isinstance(result, Sizing) and result.contracts == 210  # 212 → 210


def test_c3_below_min_qty_after_flooring_rejects():
    result = size_entry(
        Side.LONG, D(40000), D("0.03"), D("0.00025"), ONE, ONE, Instrument(min_qty=300)
    )

    assert isinstance(result, Denial) and result.reason is ReasonCode.CONTRACTS_BELOW_MIN


def test_c3_one_contract_over_budget_at_rounded_stop_rejects():
    # M = 0.00000076: C2 = M × 40,000 / 0.03 = 1.01 → 1, but the exact max at 38,800 is
    # M × 40,000 × 38,800 / 1,200 = 0.98 → 0
    result = size_entry(Side.LONG, D(40000), D("0.02"), D("0.00000076"), ONE, ONE, Instrument())

    assert isinstance(result, Denial) and result.reason is ReasonCode.LOSS_AT_STOP_OVER_BUDGET
    assert result.figures["loss_at_stop_btc"] > D("0.00000076")


def test_c3_tick_as_large_as_the_stop_distance_rejects():
    # 40,000 × 0.97 = 38,800 rounds up to 40,000 with a 5,000 tick: no stop distance left
    result = size_entry(
        Side.LONG, D(40000), D("0.02"), D("0.00025"), ONE, ONE, Instrument(tick_size=D(5000))
    )

    assert isinstance(result, Denial) and result.reason is ReasonCode.STOP_DISTANCE_INVALID


def test_c3_contracts_capped_at_max_qty():
    result = size_entry(
        Side.LONG, D(40000), D("0.03"), D("0.00025"), ONE, ONE, Instrument(max_qty=100)
    )

    assert isinstance(result, Sizing) and result.contracts == 100


def test_c3_smallest_qty_is_a_step_multiple_at_or_above_min():
    assert smallest_qty(Instrument(qty_step=10, min_qty=15)) == 20
    assert smallest_qty(Instrument(qty_step=1, min_qty=1)) == 1
    assert floor_to_step(219, 10) == 210


prices = st.decimals(min_value=D(1000), max_value=D(250000), places=2)
ticks = st.sampled_from([D("0.1"), D("0.5"), D(1), D("2.5"), D(10)])
stops = st.decimals(min_value=D("0.02"), max_value=D("0.06"), places=4)
budgets = st.decimals(min_value=D("0.0000001"), max_value=D("0.5"), places=10)


@given(st.sampled_from(Side), prices, ticks, stops)
def test_c3_rounding_is_always_on_the_safe_side(side, price, tick, d):
    entry = maker_entry_price(side, price, tick)
    stop = stop_price(side, entry, d, tick)

    # entry: a buy never pays more, a sell never gets less, by less than one tick
    assert 0 <= (price - entry) * side.sign < tick
    # stop: between the raw stop and the entry, so the distance never grows
    raw = Fraction(entry) * (1 - side.sign * Fraction(d))
    assert (Fraction(stop) - raw) * side.sign >= 0
    assert (entry - stop) * side.sign >= 0


@given(side=st.sampled_from(Side), entry=prices, tick=ticks, d=stops, budget=budgets)
def test_c3_contracts_are_the_largest_that_fit_exactly(side, entry, tick, d, budget):
    entry = maker_entry_price(side, entry, tick)
    stop = stop_price(side, entry, d, tick)
    if stop == entry:
        return
    best = max_contracts_for_loss(entry, stop, budget)

    assert exact_loss_fits(side, best, entry, stop, budget)
    assert not exact_loss_fits(side, best + 1, entry, stop, budget)


def test_c3_max_qty_below_min_qty_rejects():
    instrument = Instrument(min_qty=10, max_qty=5)
    result = size_entry(Side.LONG, D(40000), D("0.03"), D("0.00025"), ONE, ONE, instrument)

    assert isinstance(result, Denial) and result.reason is ReasonCode.CONTRACTS_BELOW_MIN
