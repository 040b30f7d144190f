"""Position sizing (SPEC C1-C3): stop distance, contracts from the loss budget, tick/lot rounding.

Rounding is done in exact rationals so that "safe direction" really holds: a maker buy price
never rounds up, a stop never rounds away from the entry, and the contract count is the
largest whose exact inverse loss at the rounded stop fits the budget. The rationals are kept
as integer pairs (``Decimal.as_integer_ratio``): the same exact results as ``Fraction``,
without building one per operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from accountbuilder.domain.enums import Side
from accountbuilder.domain.inverse import pnl_btc
from accountbuilder.domain.models import Instrument
from accountbuilder.domain.reasons import Denial, ReasonCode

# C1: stop distance from the grid spacing.
STOP_SPACING_FACTOR = Decimal("1.5")
STOP_MIN_PCT = Decimal("0.02")
STOP_MAX_PCT = Decimal("0.06")
STOP_FALLBACK_PCT = Decimal("0.03")


def stop_distance_pct(grid_spacing_pct: Decimal | None) -> Decimal | Denial:
    """C1: ``clamp(grid_spacing_pct × 1.5, 2%, 6%)``; unknown spacing → 3%.

    A spacing that is not a positive finite number cannot place a grid and is refused
    (``STOP_DISTANCE_INVALID``) rather than clamped to 2%.
    """
    if grid_spacing_pct is None:
        return STOP_FALLBACK_PCT
    if not grid_spacing_pct.is_finite() or grid_spacing_pct <= 0:
        return Denial(ReasonCode.STOP_DISTANCE_INVALID, {"grid_spacing_pct": grid_spacing_pct})
    return min(max(grid_spacing_pct * STOP_SPACING_FACTOR, STOP_MIN_PCT), STOP_MAX_PCT)


def _ratio(x: Decimal | Fraction | int) -> tuple[int, int]:
    """``x`` as ``(numerator, denominator > 0)``, exactly."""
    return x.as_integer_ratio()


def _floor_div(num: int, den: int, *, up: bool = False) -> int:
    return -(-num // den) if up else num // den


def _round_ratio(num: int, den: int, tick: Decimal, up: bool) -> Decimal:
    tn, td = _ratio(tick)
    return Decimal(_floor_div(num * td, den * tn, up=up)) * tick


def round_to_tick(price: Decimal | Fraction, tick: Decimal, *, up: bool) -> Decimal:
    """Round ``price`` to a multiple of ``tick``, up or down, exactly."""
    num, den = _ratio(price)
    return _round_ratio(num, den, tick, up)


def _times_one_plus(x: Decimal, d: Decimal, sign: int) -> tuple[int, int]:
    """``x × (1 + sign × d)`` as an exact ratio."""
    (xn, xd), (dn, dd) = _ratio(x), _ratio(d)
    return xn * (dd + sign * dn), xd * dd


def maker_entry_price(side: Side, price: Decimal, tick: Decimal) -> Decimal:
    """C3: a maker buy rounds down, a maker sell rounds up."""
    return round_to_tick(price, tick, up=side is Side.SHORT)


def stop_price(side: Side, entry: Decimal, stop_pct: Decimal, tick: Decimal) -> Decimal:
    """C3: the stop trigger ``entry × (1 ∓ d)`` rounded toward the entry (loss never grows)."""
    if side is Side.LONG:
        return _round_ratio(*_times_one_plus(entry, stop_pct, -1), tick, up=True)
    return _round_ratio(*_times_one_plus(entry, stop_pct, 1), tick, up=False)


def take_profit_price(side: Side, entry: Decimal, spacing_pct: Decimal, tick: Decimal) -> Decimal:
    """G9: the next grid level ``entry × (1 ± spacing)``, rounded like a maker exit (C3)."""
    if side is Side.LONG:
        return _round_ratio(*_times_one_plus(entry, spacing_pct, 1), tick, up=True)
    return _round_ratio(*_times_one_plus(entry, spacing_pct, -1), tick, up=False)


def floor_to_step(qty: int, step: int) -> int:
    """C3: quantity floored to a multiple of ``qtyStep``."""
    return (qty // step) * step


def contracts_from_budget(
    max_loss_btc: Decimal,
    entry: Decimal,
    stop_pct: Decimal,
    size_multiplier: Decimal,
    haircut: Decimal,
) -> int:
    """C2: ``floor(max_loss_btc × entry / stop_distance_pct × size_multiplier × haircut)``."""
    (mn, md), (en, ed), (pn, pd) = _ratio(max_loss_btc), _ratio(entry), _ratio(stop_pct)
    (kn, kd), (hn, hd) = _ratio(size_multiplier), _ratio(haircut)
    return (mn * en * pd * kn * hn) // (md * ed * pn * kd * hd)


def max_contracts_for_loss(entry: Decimal, stop: Decimal, max_loss_btc: Decimal) -> int:
    """C3: the largest C with exact loss ``C × |1/entry − 1/stop| ≤ max_loss_btc``.

    ``C × |stop − entry| / (entry × stop) ≤ M`` ⇔ ``C ≤ M × entry × stop / |stop − entry|``.
    """
    (mn, md), (en, ed), (sn, sd) = _ratio(max_loss_btc), _ratio(entry), _ratio(stop)
    gap_n, gap_d = abs(sn * ed - en * sd), sd * ed  # |stop − entry|
    return (mn * en * sn * gap_d) // (md * ed * sd * gap_n)


def loss_at_stop_btc(side: Side, contracts: int, entry: Decimal, stop: Decimal) -> Decimal:
    """C3: the loss (positive BTC) of ``contracts`` if the stop fills at its trigger price."""
    return -pnl_btc(side, contracts, entry, stop)


def exact_loss_fits(
    side: Side, contracts: int, entry: Decimal, stop: Decimal, budget: Decimal
) -> bool:
    """C3: exact-rational check that the loss at ``stop`` is within ``budget``."""
    c, e, s = Fraction(contracts), Fraction(entry), Fraction(stop)
    pnl = c / e - c / s if side is Side.LONG else c / s - c / e
    return -pnl <= Fraction(budget)


def smallest_qty(instrument: Instrument) -> int:
    """The smallest orderable quantity: the first multiple of ``qtyStep`` ≥ ``minOrderQty``."""
    step = instrument.qty_step
    return max(-(-max(instrument.min_qty, 1) // step) * step, step)


@dataclass(frozen=True, slots=True)
class Sizing:
    """Everything C1-C3 computed for one entry."""

    stop_distance_pct: Decimal
    entry_price: Decimal
    stop_price: Decimal
    contracts_c2: int
    contracts_budget: int
    contracts: int
    loss_at_stop_btc: Decimal

    def figures(self) -> dict[str, object]:
        return {
            "stop_distance_pct": self.stop_distance_pct,
            "entry_price": self.entry_price,
            "stop_price": self.stop_price,
            "contracts_c2": self.contracts_c2,
            "contracts_budget": self.contracts_budget,
            "contracts": self.contracts,
            "loss_at_stop_btc": self.loss_at_stop_btc,
        }


def _prices(
    side: Side, entry_price: Decimal, spacing: Decimal | None, tick: Decimal
) -> tuple[Decimal, Decimal, Decimal] | Denial:
    stop_pct = stop_distance_pct(spacing)
    if isinstance(stop_pct, Denial):
        return stop_pct
    entry = maker_entry_price(side, entry_price, tick)
    if entry <= 0:
        return Denial(ReasonCode.INVALID_INPUT, {"entry_price": entry_price, "tick_size": tick})
    stop = stop_price(side, entry, stop_pct, tick)
    if stop <= 0 or stop == entry:
        # a tick as large as the stop distance collapses the stop onto the entry
        figures = {"stop_distance_pct": stop_pct, "entry_price": entry, "stop_price": stop}
        return Denial(ReasonCode.STOP_DISTANCE_INVALID, figures)
    return stop_pct, entry, stop


def _over_budget(side: Side, qty: int, entry: Decimal, stop: Decimal, budget: Decimal) -> Denial:
    """C3: even the smallest orderable quantity loses more than the budget at the stop."""
    return Denial(
        ReasonCode.LOSS_AT_STOP_OVER_BUDGET,
        {
            "contracts": qty,
            "loss_at_stop_btc": loss_at_stop_btc(side, qty, entry, stop),
            "max_loss_btc": budget,
            "stop_price": stop,
        },
    )


def size_entry(
    side: Side,
    entry_price: Decimal,
    grid_spacing_pct: Decimal | None,
    max_loss_btc: Decimal,
    size_multiplier: Decimal,
    haircut: Decimal,
    instrument: Instrument,
) -> Sizing | Denial:
    """C1-C3: stop, rounded prices and contracts; a ``Denial`` if no contract fits.

    Contracts are ``min(C2, exact-loss maximum, max_qty)`` floored to ``qtyStep``; below the
    smallest orderable quantity the entry is refused.
    """
    prices = _prices(side, entry_price, grid_spacing_pct, instrument.tick_size)
    if isinstance(prices, Denial):
        return prices
    stop_pct, entry, stop = prices
    c2 = contracts_from_budget(max_loss_btc, entry, stop_pct, size_multiplier, haircut)
    step, least = instrument.qty_step, smallest_qty(instrument)
    if floor_to_step(min(c2, instrument.max_qty), step) < least:
        return Denial(
            ReasonCode.CONTRACTS_BELOW_MIN,
            {"contracts_c2": c2, "qty_step": step, "min_qty": instrument.min_qty},
        )
    budget = max_contracts_for_loss(entry, stop, max_loss_btc)
    if floor_to_step(budget, step) < least:
        return _over_budget(side, least, entry, stop, max_loss_btc)
    contracts = floor_to_step(min(c2, budget, instrument.max_qty), step)
    return Sizing(
        stop_distance_pct=stop_pct,
        entry_price=entry,
        stop_price=stop,
        contracts_c2=c2,
        contracts_budget=budget,
        contracts=contracts,
        loss_at_stop_btc=loss_at_stop_btc(side, contracts, entry, stop),
    )
