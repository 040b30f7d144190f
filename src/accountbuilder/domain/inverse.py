"""Inverse-contract arithmetic (SPEC A2, A3): exact, in Decimal."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.domain.enums import Side


def pnl_btc(side: Side, contracts: int, entry: Decimal, exit_: Decimal) -> Decimal:
    """PnL in BTC: long ``C × (1/entry − 1/exit)``, short ``C × (1/exit − 1/entry)`` (A2)."""
    c = Decimal(contracts)
    if side is Side.LONG:
        return c / entry - c / exit_
    return c / exit_ - c / entry


def position_value_btc(contracts: int, price: Decimal) -> Decimal:
    """Position value in BTC: ``C / price``."""
    return Decimal(contracts) / price


def fee_usd(contracts: int, fee_rate: Decimal) -> Decimal:
    """Fee in USD: ``contracts × fee_rate`` (A3; price cancels)."""
    return Decimal(contracts) * fee_rate


def fee_btc(contracts: int, fee_rate: Decimal, price: Decimal) -> Decimal:
    """Fee in BTC: ``contracts × fee_rate / price`` (A3)."""
    return Decimal(contracts) * fee_rate / price


def bankruptcy_price(side: Side, entry: Decimal, leverage: Decimal) -> Decimal:
    """Isolated bankruptcy price with no extra margin: long ``E·L/(L+1)``, short ``E·L/(L−1)``."""
    if side is Side.LONG:
        return entry * leverage / (leverage + 1)
    if leverage <= 1:
        return Decimal("Infinity")
    return entry * leverage / (leverage - 1)


def liquidation_price_isolated(
    side: Side,
    contracts: int,
    entry: Decimal,
    leverage: Decimal,
    mmr: Decimal,
    mm_deduction_btc: Decimal = Decimal(0),
    taker_fee: Decimal = Decimal(0),
) -> Decimal:
    """Bybit inverse liquidation price under isolated margin (SPEC C5).

    Bybit help "Liquidation Price Calculation under Isolated Mode (UTA)":
    ``LP_long = Q / (PV + IM − MM)``, ``LP_short = Q / (PV − (IM − MM))`` with ``PV = Q/E``,
    ``IM = PV/L``, ``MM = PV·MMR − mmDeduction``. With ``taker_fee`` > 0 the estimated fee to
    close at the bankruptcy price is added to MM, as UTA does for position margin; this moves
    the estimate toward the entry (the conservative side). With no fee and no deduction it
    reduces to ``E / (1 + 1/L − MMR)`` (long), e.g. 100 @ 60,000, 10x, 0.5% → 54,794.52.
    Returns ``Infinity`` for a short that cannot be liquidated by a rise (``L ≤ 1`` edge).
    """
    q = Decimal(contracts)
    pv = q / entry
    im = pv / leverage
    closing_fee = Decimal(0)
    if taker_fee:
        bp = bankruptcy_price(side, entry, leverage)
        closing_fee = q / bp * taker_fee if bp.is_finite() else Decimal(0)
    mm = pv * mmr - mm_deduction_btc + closing_fee
    if side is Side.LONG:
        return q / (pv + im - mm)
    denom = pv - (im - mm)
    return q / denom if denom > 0 else Decimal("Infinity")


def liquidation_price_cross(
    side: Side,
    contracts: int,
    entry: Decimal,
    available_btc: Decimal,
    mmr: Decimal,
    mm_deduction_btc: Decimal = Decimal(0),
    taker_fee: Decimal = Decimal(0),
) -> Decimal:
    """Estimated liquidation price under cross margin: the whole ``available_btc`` backs it.

    Same form as isolated with IM replaced by the equity available to the position; an
    estimate only (Bybit's cross liquidation depends on the whole account).
    """
    q = Decimal(contracts)
    pv = q / entry
    mm = pv * mmr - mm_deduction_btc + pv * taker_fee
    if side is Side.LONG:
        denom = pv + available_btc - mm
        return q / denom if denom > 0 else Decimal(0)
    denom = pv - (available_btc - mm)
    return q / denom if denom > 0 else Decimal("Infinity")
