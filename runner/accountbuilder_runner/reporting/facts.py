"""One closed trade as the report's statistics read it: exact decimals, times, fees by fill.

``facts_of`` turns the collector's round trips into ``TradeFacts``; every statistic
(``stats``, ``months``) is a pure function of a list of them, so it can be checked on small
fixed inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.enums import ExitReason, Liquidity
from accountbuilder_runner.reporting.collector import ClosedTrade

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class TradeFacts:
    """A round trip: times (ms), prices, PnL after fees and funding (SPEC H1), fees by leg.

    The exit's liquidity follows its order type: the take-profit is a PostOnly limit (maker,
    G9); the stop, a close and a liquidation are market orders (taker, G6).
    """

    entry_ms: int
    exit_ms: int
    contracts: int
    entry_price: Decimal
    exit_price: Decimal
    pnl_btc: Decimal
    entry_fee_btc: Decimal
    exit_fee_btc: Decimal
    max_loss_btc: Decimal
    entry_liquidity: Liquidity
    exit_reason: ExitReason

    @property
    def is_win(self) -> bool:
        """SPEC H1: PnL after fees (BTC) > 0."""
        return self.pnl_btc > 0

    @property
    def pnl_usd(self) -> Decimal:
        """``pnl_btc`` at the exit price (as ``trades.csv``)."""
        return self.pnl_btc * self.exit_price

    @property
    def fee_btc(self) -> Decimal:
        return self.entry_fee_btc + self.exit_fee_btc

    @property
    def fee_usd(self) -> Decimal:
        """Each leg's fee at its own fill price (SPEC A3: ``contracts × rate``)."""
        return self.entry_fee_btc * self.entry_price + self.exit_fee_btc * self.exit_price

    @property
    def exit_liquidity(self) -> Liquidity:
        if self.exit_reason is ExitReason.TAKE_PROFIT:
            return Liquidity.MAKER
        return Liquidity.TAKER

    @property
    def duration_ms(self) -> int:
        return self.exit_ms - self.entry_ms


def facts_of(closed: Iterable[ClosedTrade]) -> list[TradeFacts]:
    """The facts of each closed trade (an exit without its entry record: all fees on exit)."""
    out = []
    for t in closed:
        x = t.exit
        entry_fee = t.entry.actual_fee_btc if t.entry is not None else ZERO
        liquidity = t.entry.liquidity if t.entry is not None else Liquidity.MAKER
        out.append(
            TradeFacts(
                entry_ms=t.entry_ts_ms,
                exit_ms=x.ts_ms,
                contracts=x.contracts,
                entry_price=x.entry_price,
                exit_price=x.exit_price,
                pnl_btc=x.pnl_btc,
                entry_fee_btc=entry_fee,
                exit_fee_btc=x.actual_fee_btc - entry_fee,
                max_loss_btc=x.max_loss_btc,
                entry_liquidity=liquidity,
                exit_reason=x.exit_reason,
            )
        )
    return out
