"""Liquidation safety (SPEC C5, C6): estimate before entry, distance gate, no-estimate fallback."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.enums import MarginMode, Side
from accountbuilder.domain.inverse import liquidation_price_cross, liquidation_price_isolated
from accountbuilder.domain.models import Instrument
from accountbuilder.domain.reasons import Denial, ReasonCode

# C6: without an estimate, leverage and stop must stay within these, and contracts are cut.
FALLBACK_MAX_LEVERAGE = Decimal(3)
FALLBACK_MAX_STOP_PCT = Decimal("0.05")
FALLBACK_HAIRCUT = Decimal("0.8")


@dataclass(frozen=True, slots=True)
class LiqEstimate:
    """An estimated liquidation price and its distance from the entry (fraction of entry)."""

    liq_price: Decimal
    liq_distance_pct: Decimal
    mmr: Decimal
    margin_mode: MarginMode


def estimate_available(instrument: Instrument) -> bool:
    """C6: an estimate needs the instrument's risk tiers (the maintenance margin rate)."""
    return bool(instrument.risk_tiers)


def liq_distance_pct(entry: Decimal, liq_price: Decimal) -> Decimal:
    """Distance of the liquidation price from the entry as a fraction of the entry.

    A liquidation price that cannot be reached (``Infinity`` for a short, 0 for a long)
    gives ``Infinity`` and 1 respectively.
    """
    if not liq_price.is_finite():
        return Decimal("Infinity")
    return abs(entry - liq_price) / entry


def estimate_liquidation(
    side: Side,
    contracts: int,
    entry: Decimal,
    leverage: Decimal,
    instrument: Instrument,
    margin_mode: MarginMode,
    available_btc: Decimal,
    taker_fee: Decimal,
) -> LiqEstimate | None:
    """C5: Bybit's inverse estimate with the MMR (and deduction) of the contracts' risk tier.

    Isolated uses the position's own margin (``IM = PV / leverage``); cross lets
    ``available_btc`` back the position. The closing taker fee is added to the maintenance
    margin, which moves the estimate toward the entry (the conservative side). ``None`` when
    no estimate is obtainable (no risk tiers: C6 applies).
    """
    if not estimate_available(instrument):
        return None
    tier = instrument.tier_for(contracts)
    mmr, deduction = tier.maintenance_margin_rate, tier.mm_deduction_btc
    fee = max(taker_fee, Decimal(0))
    if margin_mode is MarginMode.ISOLATED:
        liq = liquidation_price_isolated(side, contracts, entry, leverage, mmr, deduction, fee)
    else:
        liq = liquidation_price_cross(side, contracts, entry, available_btc, mmr, deduction, fee)
    return LiqEstimate(liq, liq_distance_pct(entry, liq), mmr, margin_mode)


def required_liq_distance(stop_pct: Decimal, multiple: Decimal, floor_pct: Decimal) -> Decimal:
    """C5: ``max(stop_distance_pct × liq_multiple, liq_floor_pct)``."""
    return max(stop_pct * multiple, floor_pct)


def check_liq_distance(
    distance_pct: Decimal, stop_pct: Decimal, multiple: Decimal, floor_pct: Decimal
) -> Denial | None:
    """C5 gate; also usable after the fill with the exchange's ``liqPrice``."""
    need = required_liq_distance(stop_pct, multiple, floor_pct)
    if distance_pct >= need:
        return None
    return Denial(
        ReasonCode.LIQ_DISTANCE_TOO_SMALL,
        {"liq_distance_pct": distance_pct, "need": need, "stop_distance_pct": stop_pct},
    )


def check_fallback(leverage: Decimal, stop_pct: Decimal) -> Denial | None:
    """C6: with no estimate, require leverage ≤ 3 and stop ≤ 5% (contracts are cut by 20%)."""
    if leverage <= FALLBACK_MAX_LEVERAGE and stop_pct <= FALLBACK_MAX_STOP_PCT:
        return None
    return Denial(
        ReasonCode.LIQ_FALLBACK_LIMITS,
        {
            "leverage": leverage,
            "max_leverage": FALLBACK_MAX_LEVERAGE,
            "stop_distance_pct": stop_pct,
            "max_stop_pct": FALLBACK_MAX_STOP_PCT,
        },
    )
