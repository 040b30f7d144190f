"""Expected value gate (SPEC D1, D8) and the taker fallback's EV condition (G4)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.enums import Side
from accountbuilder.domain.inverse import fee_usd, pnl_btc
from accountbuilder.domain.reasons import Denial, ReasonCode

# G4: a taker entry needs expected profit of at least this many taker fees.
TAKER_EV_MULTIPLE = Decimal(5)


def expected_profit_usd(side: Side, contracts: int, entry: Decimal, target: Decimal) -> Decimal:
    """D1: the BTC PnL from entry to the next grid level, valued at the lower of the two prices.

    ``pnl_btc × min(entry, target)`` = ``C × |target − entry| / max(entry, target)``: the
    conservative of the two natural USD values (a long's profit is worth less at its entry
    price, a short's at its target).
    """
    return pnl_btc(side, contracts, entry, target) * min(entry, target)


def estimated_fee_usd(contracts: int, fee_rate: Decimal) -> Decimal:
    """D1 / A3: ``contracts × fee_rate`` of the order type used (price cancels)."""
    return fee_usd(contracts, fee_rate)


def ev_factor(stage_k: Decimal, fee_spike_active: bool, spike_multiplier: Decimal) -> Decimal:
    """D1 / D8: ``K(stage)``, times the spike multiplier (1.5) while a fee spike runs."""
    return stage_k * spike_multiplier if fee_spike_active else stage_k


@dataclass(frozen=True, slots=True)
class EvCheck:
    """D1's figures."""

    expected_profit_usd: Decimal
    estimated_fee_usd: Decimal
    k: Decimal

    @property
    def need_usd(self) -> Decimal:
        return self.estimated_fee_usd * self.k

    def figures(self) -> dict[str, object]:
        return {
            "expected_profit_usd": self.expected_profit_usd,
            "estimated_fee_usd": self.estimated_fee_usd,
            "K": self.k,
            "need_usd": self.need_usd,
        }


def check_ev(ev: EvCheck) -> Denial | None:
    """D1: refuse when ``expected_profit_usd < estimated_fee_usd × K``."""
    if ev.expected_profit_usd >= ev.need_usd:
        return None
    return Denial(ReasonCode.EV_TOO_LOW, ev.figures())


def taker_ev_ok(expected_profit_usd_: Decimal, contracts: int, taker_fee: Decimal) -> bool:
    """G4: ``expected_profit_usd ≥ taker_fee_usd × 5``."""
    return expected_profit_usd_ >= fee_usd(contracts, taker_fee) * TAKER_EV_MULTIPLE
