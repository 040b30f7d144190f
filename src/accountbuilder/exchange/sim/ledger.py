"""The simulated account: one-way BTCUSD position and BTC wallet, with exact inverse math.

Every BTC amount is ``Decimal``. The wallet only changes through realised PnL, fees and
funding, and the ledger keeps the three running totals, so
``wallet − start = realised − fees + funding`` holds to the last Decimal digit's rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.enums import MarginMode, OrderSide, Side
from accountbuilder.domain.inverse import (
    bankruptcy_price,
    fee_btc,
    liquidation_price_cross,
    liquidation_price_isolated,
)
from accountbuilder.domain.models import Instrument

ZERO = Decimal(0)
INF = Decimal("Infinity")


@dataclass(frozen=True, slots=True)
class FillResult:
    """What one execution did to the account."""

    fee_btc: Decimal
    realised_pnl_btc: Decimal
    closed_qty: int
    opened_qty: int


@dataclass(frozen=True, slots=True)
class Liquidation:
    """A liquidated position: closed at ``price`` (bankruptcy), losing its margin."""

    side: Side
    contracts: int
    price: Decimal
    realised_pnl_btc: Decimal


@dataclass(slots=True)
class Ledger:
    """Wallet and position. ``value_btc`` is Σ contracts/entry of the open contracts."""

    wallet_btc: Decimal
    leverage: Decimal
    margin_mode: MarginMode = MarginMode.ISOLATED
    side: Side | None = None
    contracts: int = 0
    value_btc: Decimal = ZERO
    realised_btc: Decimal = ZERO
    fees_btc: Decimal = ZERO
    funding_btc: Decimal = ZERO

    # ------------------------------------------------------------------------ position view
    @property
    def entry_price(self) -> Decimal | None:
        """Average entry: contracts ÷ Σ(contracts/price) (Bybit's inverse average)."""
        return Decimal(self.contracts) / self.value_btc if self.contracts else None

    def unrealised_btc(self, mark: Decimal) -> Decimal:
        """Inverse uPnL at ``mark`` (SPEC A2): long ``value − C/mark``, short the reverse."""
        if not self.contracts:
            return ZERO
        at_mark = Decimal(self.contracts) / mark
        return self.value_btc - at_mark if self.side is Side.LONG else at_mark - self.value_btc

    def position_margin_btc(self) -> Decimal:
        """Initial margin of the position: ``(C / entry) / leverage``."""
        return self.value_btc / self.leverage

    def order_cost_btc(self, qty: int, price: Decimal, taker_rate: Decimal) -> Decimal:
        """Bybit-style order cost: initial margin plus open and close fees at the taker rate."""
        value = Decimal(qty) / price
        return value / self.leverage + 2 * value * taker_rate

    def opening_qty(self, side: OrderSide, qty: int) -> int:
        """The part of an order on ``side`` that would open (not reduce) a position."""
        if self.side is None or self.side.entry_order_side is side:
            return qty
        return max(qty - self.contracts, 0)

    # --------------------------------------------------------------------------- risk view
    def liq_price(self, instrument: Instrument) -> Decimal | None:
        """Liquidation price rounded to the nearest tick (``None`` flat, ``Infinity`` never)."""
        if not self.contracts:
            return None
        tier = instrument.tier_for(self.contracts)
        if self.margin_mode is MarginMode.ISOLATED:
            lp = liquidation_price_isolated(
                self.side,
                self.contracts,
                self.entry_price,
                self.leverage,
                tier.maintenance_margin_rate,
                tier.mm_deduction_btc,
            )
        else:
            lp = liquidation_price_cross(
                self.side,
                self.contracts,
                self.entry_price,
                self.wallet_btc,
                tier.maintenance_margin_rate,
                tier.mm_deduction_btc,
            )
        if not lp.is_finite() or lp <= 0:
            return INF if self.side is Side.SHORT else ZERO
        tick = instrument.tick_size
        return (lp / tick).to_integral_value() * tick

    # ------------------------------------------------------------------------------ changes
    def apply_fill(
        self, side: OrderSide, qty: int, price: Decimal, fee_rate: Decimal
    ) -> FillResult:
        """Execute ``qty`` at ``price``: reduce the opposite position first, open the rest."""
        fee = fee_btc(qty, fee_rate, price)
        closed = (
            0
            if self.side is None or self.side.entry_order_side is side
            else min(qty, self.contracts)
        )
        realised = self._close(closed, price) if closed else ZERO
        opened = qty - closed
        if opened:
            self.side = Side.LONG if side is OrderSide.BUY else Side.SHORT
            self.contracts += opened
            self.value_btc += Decimal(opened) / price
        self.fees_btc += fee
        self.wallet_btc -= fee
        return FillResult(fee, realised, closed, opened)

    def _close(self, qty: int, price: Decimal) -> Decimal:
        share = self.value_btc if qty == self.contracts else self.value_btc * qty / self.contracts
        at_exit = Decimal(qty) / price
        realised = share - at_exit if self.side is Side.LONG else at_exit - share
        self.contracts -= qty
        self.value_btc = self.value_btc - share if self.contracts else ZERO
        if not self.contracts:
            self.side = None
        self._realise(realised)
        return realised

    def _realise(self, amount: Decimal) -> None:
        self.realised_btc += amount
        self.wallet_btc += amount

    def apply_funding(self, rate: Decimal, mark: Decimal) -> Decimal:
        """Funding: ``C / mark × rate``; rate > 0 → longs pay, shorts receive. Returns + received."""
        if not self.contracts:
            return ZERO
        paid_by_long = Decimal(self.contracts) / mark * rate
        amount = -paid_by_long if self.side is Side.LONG else paid_by_long
        self.funding_btc += amount
        self.wallet_btc += amount
        return amount

    def liquidate(self) -> Liquidation:
        """Close the whole position at its bankruptcy price, losing its margin.

        Isolated: the loss is exactly the position's initial margin ``C/(E·L)``.
        Cross: the whole wallet backs the position, so the loss is the whole wallet.
        """
        side, contracts, entry = self.side, self.contracts, self.entry_price
        if self.margin_mode is MarginMode.ISOLATED:
            loss = self.position_margin_btc()
            price = bankruptcy_price(side, entry, self.leverage)
        else:
            loss = max(self.wallet_btc, ZERO)
            sign = 1 if side is Side.LONG else -1
            denom = self.value_btc + sign * loss
            price = Decimal(contracts) / denom if denom > 0 else INF
        self.side, self.contracts, self.value_btc = None, 0, ZERO
        self._realise(-loss)
        return Liquidation(side, contracts, price, -loss)
