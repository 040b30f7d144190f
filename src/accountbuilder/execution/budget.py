"""C3 after an entry fill: the exact loss at the stop from the actual average fill.

A maker entry at its level, or a taker IOC limit sized from its worst acceptable price, always
fits its loss budget by construction. A fill worse than the order allowed is an exchange
anomaly: the stop trigger is then moved toward the entry (never away) to the first tick at
which the exact inverse loss of the filled contracts fits ``max_loss_btc``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from accountbuilder.domain.enums import Side
from accountbuilder.risk.sizing import round_to_tick


def loss_at_stop(side: Side, contracts: int, notional_btc: Decimal, stop: Decimal) -> Fraction:
    """The exact loss (BTC, positive) of ``contracts`` bought/sold for ``notional_btc`` if the
    stop fills at its trigger: long ``C/stop − notional``, short ``notional − C/stop``."""
    at_stop = Fraction(contracts) / Fraction(stop)
    n = Fraction(notional_btc)
    return at_stop - n if side is Side.LONG else n - at_stop


def loss_at_stop_btc(side: Side, contracts: int, notional_btc: Decimal, stop: Decimal) -> Decimal:
    """``loss_at_stop`` as a Decimal (12 places: far below a satoshi), for records (I1)."""
    return _dec(loss_at_stop(side, contracts, notional_btc, stop))


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """The loss at the current stop, and the stop that fits (None when it already fits)."""

    loss_btc: Decimal
    max_loss_btc: Decimal
    stop: Decimal
    fitted_stop: Decimal | None

    def figures(self) -> dict[str, object]:
        return {
            "loss_at_stop_btc": self.loss_btc,
            "max_loss_btc": self.max_loss_btc,
            "stop_price": self.stop,
            "fitted_stop_price": self.fitted_stop,
        }


def check_budget(
    side: Side,
    contracts: int,
    notional_btc: Decimal,
    stop: Decimal,
    max_loss_btc: Decimal,
    tick: Decimal,
) -> BudgetCheck:
    """C3: the loss at ``stop`` of the filled position; a stop moved toward the entry if over.

    Long: ``C/s − N ≤ M`` ⇔ ``s ≥ C / (M + N)`` (rounded up, toward the entry).
    Short: ``N − C/s ≤ M`` ⇔ ``s ≤ C / (N − M)`` (rounded down), any stop fits when ``N ≤ M``.
    """
    loss = loss_at_stop(side, contracts, notional_btc, stop)
    budget = Fraction(max_loss_btc)
    exact = _dec(loss)
    if loss <= budget or contracts <= 0:
        return BudgetCheck(exact, max_loss_btc, stop, None)
    c, n = Fraction(contracts), Fraction(notional_btc)
    if side is Side.LONG:
        fitted = round_to_tick(c / (budget + n), tick, up=True)
        fitted = max(fitted, stop)  # never away from the entry
    else:
        fitted = stop if n <= budget else round_to_tick(c / (n - budget), tick, up=False)
        fitted = min(fitted, stop)
    return BudgetCheck(exact, max_loss_btc, stop, fitted)


def _dec(x: Fraction) -> Decimal:
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("1e-12"))
