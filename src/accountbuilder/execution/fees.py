"""Fee verification (SPEC G10): each fill's real fee against the estimate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.models import Fill

FEE_SPIKE_RATIO = Decimal("1.5")


@dataclass(frozen=True, slots=True)
class FeeCheck:
    actual_usd: Decimal
    estimated_usd: Decimal
    ratio: Decimal | None
    spike: bool


def verify_fee(fill: Fill, estimated_rate: Decimal) -> FeeCheck:
    """Compare ``execFee`` (BTC, converted at the fill price) with ``qty × estimated_rate`` (A3).

    A ratio above 1.5 is a ``fee_spike`` (D8 applies). A non-positive estimate (a maker rebate)
    makes any positive fee a spike.
    """
    actual = fill.fee_btc * fill.price
    estimated = Decimal(fill.qty) * estimated_rate
    if estimated <= 0:
        return FeeCheck(actual, estimated, None, actual > 0)
    ratio = actual / estimated
    return FeeCheck(actual, estimated, ratio, ratio > FEE_SPIKE_RATIO)
