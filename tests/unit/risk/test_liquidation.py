"""C5 liquidation estimate and distance gate, C6 fallback — checked against the reference."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from accountbuilder.domain.enums import MarginMode, Side
from accountbuilder.domain.models import Instrument, RiskTier
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.liquidation import (
    check_fallback,
    check_liq_distance,
    estimate_liquidation,
    liq_distance_pct,
    required_liq_distance,
)

CENT = D("0.01")
ISO = MarginMode.ISOLATED


def _estimate(side, contracts, entry, lev, *, fee="0", instrument=None, mode=ISO, avail="0"):
    return estimate_liquidation(
        side, contracts, D(entry), D(lev), instrument or Instrument(), mode, D(avail), D(fee)
    )


def test_c5_reference_example_100_at_60000_10x():
    # reference §7: 60,000 / (1 + 1/10 − 0.005) = 60,000 / 1.095 = 54,794.52
    est = _estimate(Side.LONG, 100, "60000", "10")

    assert est is not None
    assert est.liq_price.quantize(CENT) == D("54794.52")
    assert est.mmr == D("0.005")
    # distance (60,000 − 54,794.52) / 60,000 = 8.676%
    assert est.liq_distance_pct.quantize(D("0.00001")) == D("0.08676")


def test_c5_reference_example_8000_at_50x():
    # E·L / (L + 1 − MMR·L) = 8,000 × 50 / (51 − 0.25) = 7,881.77
    est = _estimate(Side.LONG, 1000, "8000", "50")

    assert est is not None and est.liq_price.quantize(CENT) == D("7881.77")


def test_c5_short_liquidation_above_entry():
    # 60,000 / (1 − 1/10 + 0.005) = 60,000 / 0.905 = 66,298.34
    est = _estimate(Side.SHORT, 100, "60000", "10")

    assert est is not None and est.liq_price.quantize(CENT) == D("66298.34")


def test_c5_closing_fee_moves_the_estimate_toward_the_entry():
    plain = _estimate(Side.LONG, 100, "60000", "10")
    with_fee = _estimate(Side.LONG, 100, "60000", "10", fee="0.0006")

    assert plain is not None and with_fee is not None
    assert D("54794.52") < with_fee.liq_price < D(60000)
    assert with_fee.liq_distance_pct < plain.liq_distance_pct


def test_c5_mmr_comes_from_the_contracts_risk_tier():
    tiers = (
        RiskTier(100, D("0.005"), D("0.01"), D(100)),
        RiskTier(1000, D("0.01"), D("0.02"), D(50)),
    )
    small = _estimate(Side.LONG, 100, "60000", "10", instrument=Instrument(risk_tiers=tiers))
    large = _estimate(Side.LONG, 150, "60000", "10", instrument=Instrument(risk_tiers=tiers))

    assert small is not None and large is not None
    assert (small.mmr, large.mmr) == (D("0.005"), D("0.01"))
    # 60,000 / (1.1 − 0.01) = 55,045.87
    assert large.liq_price.quantize(CENT) == D("55045.87")


def test_c5_cross_margin_uses_available_equity():
    # PV = 100/60,000 = 0.00166667, MM = PV × 0.5% = 0.00000833, available 0.001:
    # 100 / (0.00166667 + 0.001 − 0.00000833) = 37,617.55
    est = _estimate(Side.LONG, 100, "60000", "10", mode=MarginMode.CROSS, avail="0.001")

    assert est is not None and est.margin_mode is MarginMode.CROSS
    assert est.liq_price.quantize(CENT) == D("37617.55")


def test_c6_no_risk_tiers_means_no_estimate():
    assert _estimate(Side.LONG, 100, "60000", "3", instrument=Instrument(risk_tiers=())) is None


def test_c5_unreachable_short_liquidation_is_infinitely_far():
    assert liq_distance_pct(D(60000), D("Infinity")) == D("Infinity")
    assert liq_distance_pct(D(60000), D(0)) == D(1)


@pytest.mark.parametrize(
    ("stop", "need"),
    [
        ("0.03", "0.15"),  # 3 × 3% = 9% < 15% floor
        ("0.045", "0.15"),  # 13.5% < 15%
        ("0.06", "0.18"),  # 3 × 6% = 18%
    ],
)
def test_c5_required_distance_is_max_of_multiple_and_floor(stop, need):
    assert required_liq_distance(D(stop), D(3), D("0.15")) == D(need)


def test_c5_gate_refuses_liquidation_too_close():
    denial = check_liq_distance(D("0.17"), D("0.06"), D(3), D("0.15"))

    assert denial is not None and denial.reason is ReasonCode.LIQ_DISTANCE_TOO_SMALL
    assert denial.figures["need"] == D("0.18")
    assert check_liq_distance(D("0.18"), D("0.06"), D(3), D("0.15")) is None


@pytest.mark.parametrize(
    ("lev", "stop", "ok"),
    [
        ("3", "0.05", True),
        ("2", "0.03", True),
        ("3", "0.06", False),  # stop above 5%
        ("3.5", "0.03", False),  # leverage above 3
    ],
)
def test_c6_fallback_requires_leverage_3_and_stop_5_pct(lev, stop, ok):
    denial = check_fallback(D(lev), D(stop))

    assert (denial is None) is ok
    if not ok:
        assert denial.reason is ReasonCode.LIQ_FALLBACK_LIMITS
