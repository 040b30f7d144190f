"""G10 fee verification: the exchange's execFee against the estimate."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.domain.enums import Liquidity, OrderSide
from accountbuilder.domain.models import Fill
from accountbuilder.execution.fees import verify_fee


def _fill(fee_btc: str, qty: int = 100, price: str = "40000") -> Fill:
    return Fill(
        "e1",
        "c1",
        "o1",
        OrderSide.BUY,
        Decimal(price),
        qty,
        Decimal(fee_btc),
        Decimal("0.0001"),
        Liquidity.MAKER,
        0,
    )


def test_g10_fee_at_the_estimate_is_no_spike():
    # 100 contracts x 0.0001 = 0.01 USD; in BTC at 40,000: 0.01 / 40,000 = 0.00000025
    check = verify_fee(_fill("0.00000025"), Decimal("0.0001"))

    assert check.estimated_usd == Decimal("0.0100")
    assert check.actual_usd == Decimal("0.01")
    assert check.ratio == 1 and not check.spike


def test_g10_fee_1_5x_is_not_a_spike_but_above_is():
    at = verify_fee(_fill("0.000000375"), Decimal("0.0001"))  # 0.015 USD -> ratio 1.5
    above = verify_fee(_fill("0.000000376"), Decimal("0.0001"))

    assert at.ratio == Decimal("1.5") and not at.spike
    assert above.spike


def test_g10_taker_fee_on_a_maker_estimate_is_a_spike():
    # charged 0.0006 instead of 0.0001: ratio 6
    check = verify_fee(_fill("0.0000015"), Decimal("0.0001"))

    assert check.ratio == 6 and check.spike
