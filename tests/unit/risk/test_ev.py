"""D1 expected value, D8 K × 1.5 during a fee spike, G4's taker EV condition."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

from accountbuilder.domain.enums import Side
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.ev import (
    EvCheck,
    check_ev,
    estimated_fee_usd,
    ev_factor,
    expected_profit_usd,
    taker_ev_ok,
)

TINY = Fraction(1, 10**20)


def test_d1_long_profit_valued_at_the_entry_price():
    # 212 × (1/40,000 − 1/41,200) BTC × 40,000 = 212 × 1,200 / 41,200 = 6.17475…
    profit = expected_profit_usd(Side.LONG, 212, D(40000), D(41200))

    assert abs(Fraction(profit) - Fraction(212 * 1200, 41200)) < TINY
    # conservative: below the value at the target price (212 × 1,200 / 40,000 = 6.36)
    assert profit < D("6.36")


def test_d1_short_profit_valued_at_the_target_price():
    # 222 × (1/38,800 − 1/40,000) BTC × 38,800 = 222 × 1,200 / 40,000 = 6.66
    profit = expected_profit_usd(Side.SHORT, 222, D(40000), D(38800))

    assert abs(Fraction(profit) - Fraction("6.66")) < TINY


def test_a3_d1_estimated_fee_is_contracts_times_rate():
    assert estimated_fee_usd(212, D("0.0001")) == D("0.0212")
    assert estimated_fee_usd(212, D("0.0006")) == D("0.1272")


def test_d1_ev_gate_needs_profit_of_fee_times_k():
    # fee 0.0212 × K 2 = 0.0424
    assert check_ev(EvCheck(D("0.0424"), D("0.0212"), D(2))) is None
    denial = check_ev(EvCheck(D("0.0423"), D("0.0212"), D(2)))

    assert denial is not None and denial.reason is ReasonCode.EV_TOO_LOW
    assert denial.figures["need_usd"] == D("0.0424")


def test_d8_fee_spike_multiplies_k_by_1_5():
    assert ev_factor(D("2.0"), False, D("1.5")) == D("2.0")
    assert ev_factor(D("2.0"), True, D("1.5")) == D("3.0")
    assert ev_factor(D("2.5"), True, D("1.5")) == D("3.75")
    # 0.05 passes K 2 (need 0.0424), fails K 3 (need 0.0636)
    assert check_ev(EvCheck(D("0.05"), D("0.0212"), D("3.0"))) is not None


def test_g4_taker_needs_five_taker_fees_of_profit():
    # 212 × 0.0006 × 5 = 0.636
    assert taker_ev_ok(D("0.636"), 212, D("0.0006"))
    assert not taker_ev_ok(D("0.635"), 212, D("0.0006"))
