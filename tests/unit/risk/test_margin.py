"""C4 margin feasibility — worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.margin import check_margin, margin_check


def test_c4_margin_and_fee_buffer_fit_equity():
    # 212 contracts at 40,000: value 0.0053 BTC; margin 0.0053 / 3 = 0.00176667;
    # buffer 0.0053 × 0.0001 × 2 = 0.00000106; total 0.00176773 ≤ 0.0025
    check = margin_check(212, D(40000), D(3), D("0.0001"), D("0.0025"))

    assert check.fee_buffer_btc == D("0.00000106")
    assert check.required_margin_btc == D("0.0053") / 3
    assert check_margin(check) is None


def test_c4_margin_over_equity_rejects():
    # 323 at 40,000, 3x: 0.008075 / 3 = 0.00269167 + 0.000001615 > 0.0025
    check = margin_check(323, D(40000), D(3), D("0.0001"), D("0.0025"))
    denial = check_margin(check)

    assert denial is not None and denial.reason is ReasonCode.MARGIN_INSUFFICIENT
    assert denial.figures["total_btc"] > D("0.0025")


def test_c4_exactly_equal_to_equity_fits():
    # 300 at 30,000, 1x: value 0.01; margin 0.01, buffer 0 (fee 0) → equals equity 0.01
    check = margin_check(300, D(30000), D(1), D(0), D("0.01"))

    assert check.total_btc == D("0.01") and check_margin(check) is None


def test_c4_taker_entry_buffers_taker_plus_maker_fee():
    # value 0.0053: (0.0006 + 0.0001) × 0.0053 = 0.00000371
    check = margin_check(212, D(40000), D(3), D("0.0001"), D("0.0025"), entry_fee=D("0.0006"))

    assert check.fee_buffer_btc == D("0.00000371")


def test_c4_rebate_never_shrinks_the_margin_needed():
    check = margin_check(212, D(40000), D(3), D("-0.00025"), D("0.0025"))

    assert check.fee_buffer_btc == 0
