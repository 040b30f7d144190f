"""A1 equity, B1 stage, B3 leverage, B4 loss budget — worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from tests.unit.risk.factories import CONFIG

from accountbuilder.domain.enums import Stage
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.risk.account import (
    check_leverage_request,
    entry_leverage,
    equity_btc,
    equity_usd,
    max_loss_btc,
    stage_for,
)

STAGES = CONFIG.stage.stages
TWO_X_ABOVE = CONFIG.stage.leverage_2x_above_usd


def test_a1_equity_adds_unrealized_pnl_and_values_at_mark():
    # 0.0025 + (−0.0001) = 0.0024 BTC; × 40,000 = $96
    eq = equity_btc(AccountSnapshot(0, D("0.0025"), D("-0.0001")))

    assert eq == D("0.0024")
    assert equity_usd(eq, D(40000)) == D(96)


@pytest.mark.parametrize(
    ("usd", "stage"),
    [
        ("80", Stage.S1),
        ("299.99", Stage.S1),
        ("300", Stage.S2),
        ("699.99", Stage.S2),
        ("700", Stage.S3),
        ("5000", Stage.S3),
    ],
)
def test_b1_stage_by_usd_equity_thresholds(usd, stage):
    assert stage_for(D(usd)) is stage


def test_b4_loss_budget_usd_cap_binds():
    # S1, $100 at 40,000: 0.0025 × 12% = 0.0003 BTC; $10 / 40,000 = 0.00025 BTC → 0.00025
    assert max_loss_btc(D("0.0025"), D(40000), STAGES.s1) == D("0.00025")


def test_b4_loss_budget_pct_cap_binds():
    # S1, 0.002 BTC ($80): 0.002 × 12% = 0.00024 < 0.00025 → 0.00024
    assert max_loss_btc(D("0.002"), D(40000), STAGES.s1) == D("0.00024")


def test_b4_loss_budget_s2_and_s3_caps():
    # S2: 0.02 BTC at 20,000 ($400): min(0.02 × 8% = 0.0016, $20 / 20,000 = 0.001) = 0.001
    assert max_loss_btc(D("0.02"), D(20000), STAGES.s2) == D("0.001")
    # S3: 0.01 BTC at 80,000 ($800): min(0.01 × 6% = 0.0006, $30 / 80,000 = 0.000375)
    assert max_loss_btc(D("0.01"), D(80000), STAGES.s3) == D("0.000375")


def test_b3_entry_leverage_is_stage_leverage():
    assert entry_leverage(STAGES.s1, D(100), D(3), TWO_X_ABOVE) == D(3)
    assert entry_leverage(STAGES.s3, D(800), D(3), TWO_X_ABOVE) == D(2)


def test_b3_two_x_only_strictly_above_500_usd():
    assert entry_leverage(STAGES.s2, D(500), D(3), TWO_X_ABOVE) == D(3)
    assert entry_leverage(STAGES.s2, D("500.01"), D(3), TWO_X_ABOVE) == D(2)


def test_b3_entry_leverage_never_above_the_leverage_in_force():
    # in force 2 (lowered earlier): S1's 3x is not restored
    assert entry_leverage(STAGES.s1, D(100), D(2), TWO_X_ABOVE) == D(2)
    assert entry_leverage(STAGES.s1, D(100), D("1.5"), TWO_X_ABOVE) == D("1.5")


def test_b3_leverage_in_force_above_cap_is_refused():
    result = entry_leverage(STAGES.s1, D(100), D(4), TWO_X_ABOVE)

    assert isinstance(result, Denial)
    assert result.reason is ReasonCode.LEVERAGE_ABOVE_CAP
    assert result.figures["cap"] == D(3)


def test_b3_leverage_in_force_not_positive_is_invalid():
    result = entry_leverage(STAGES.s1, D(100), D(0), TWO_X_ABOVE)

    assert isinstance(result, Denial) and result.reason is ReasonCode.INVALID_INPUT


@pytest.mark.parametrize(
    ("requested", "in_force", "reason"),
    [
        ("4", "3", ReasonCode.LEVERAGE_ABOVE_CAP),
        ("3.5", "2", ReasonCode.LEVERAGE_ABOVE_CAP),
        ("3", "2", ReasonCode.LEVERAGE_INCREASE),
        ("2.5", "2", ReasonCode.LEVERAGE_INCREASE),
        ("2", "3", None),
        ("3", "3", None),
    ],
)
def test_b3_leverage_request_never_increases(requested, in_force, reason):
    result = check_leverage_request(D(requested), D(in_force))

    assert (None if result is None else result.reason) is reason
