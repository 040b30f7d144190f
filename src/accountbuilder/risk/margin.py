"""Margin feasibility (SPEC C4), in BTC."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.inverse import position_value_btc
from accountbuilder.domain.reasons import Denial, ReasonCode

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class MarginCheck:
    """C4's figures: ``required_margin_btc`` and ``fee_buffer_btc`` against ``equity_btc``."""

    required_margin_btc: Decimal
    fee_buffer_btc: Decimal
    equity_btc: Decimal

    @property
    def total_btc(self) -> Decimal:
        return self.required_margin_btc + self.fee_buffer_btc

    @property
    def fits(self) -> bool:
        return self.total_btc <= self.equity_btc

    def figures(self) -> dict[str, object]:
        return {
            "required_margin_btc": self.required_margin_btc,
            "fee_buffer_btc": self.fee_buffer_btc,
            "equity_btc": self.equity_btc,
        }


def margin_check(
    contracts: int,
    entry: Decimal,
    leverage: Decimal,
    maker_fee: Decimal,
    equity_btc: Decimal,
    entry_fee: Decimal | None = None,
) -> MarginCheck:
    """C4: ``required = (C / entry) / leverage``; ``buffer = (C / entry) × maker_fee × 2``.

    The buffer covers the entry and the exit fee. ``entry_fee`` (the taker rate of a G4 taker
    entry) is used for the entry leg when it is higher than the maker rate. A rebate
    (negative rate) counts as 0, so the buffer is never below SPEC's.
    """
    value = position_value_btc(contracts, entry)
    exit_rate = max(maker_fee, ZERO)
    entry_rate = max(maker_fee, entry_fee if entry_fee is not None else ZERO, ZERO)
    return MarginCheck(value / leverage, value * (entry_rate + exit_rate), equity_btc)


def check_margin(check: MarginCheck) -> Denial | None:
    """C4: refuse when margin plus fee buffer exceeds equity."""
    if check.fits:
        return None
    return Denial(ReasonCode.MARGIN_INSUFFICIENT, {**check.figures(), "total_btc": check.total_btc})
