"""The exchange port: what the core needs from an exchange, and nothing more.

Implemented by ``exchange.sim.SimExchange`` (paper, backtest, scenario tests) and by the
ccxt-based Bybit adapter (live). Methods raise the typed errors of ``exchange.errors``.
All ids are client ids (Bybit ``orderLinkId``); every order is one-way (``positionIdx=0``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from accountbuilder.domain.enums import MarginMode, Side
from accountbuilder.domain.events import ExchangeEvent
from accountbuilder.domain.models import (
    AccountSnapshot,
    Candle,
    FeeRates,
    Instrument,
    Order,
    OrderSpec,
)


@dataclass(frozen=True, slots=True)
class ExchangePosition:
    """The exchange's position. ``contracts == 0`` (and ``side None``) means flat."""

    side: Side | None
    contracts: int
    entry_price: Decimal | None
    liq_price: Decimal | None
    leverage: Decimal
    unrealized_pnl_btc: Decimal = Decimal(0)
    position_idx: int | str = 0
    ts_ms: int = 0

    @property
    def is_open(self) -> bool:
        return self.contracts > 0


@dataclass(frozen=True, slots=True)
class OrderAck:
    """The exchange accepted a create, amend or cancel request: nothing more (SPEC G8, F4).

    Bybit processes these asynchronously; an ack is never evidence of the order's state. The
    state comes from the order stream (``OrderUpdated``) or from a REST read (``fetch_order``).
    """

    client_id: str
    order_id: str = ""


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """Account-level settings the bot verifies at start (SPEC C5, F7, B3)."""

    one_way: bool
    margin_mode: MarginMode
    leverage: Decimal


@runtime_checkable
class ExchangePort(Protocol):
    """The one seam between the core and an exchange (BTCUSD inverse perpetual only)."""

    # --- reference data ------------------------------------------------------------------
    async def load_instrument(self) -> Instrument:
        """Tick size, qty step, min/max qty and risk tiers."""

    async def fetch_fee_rates(self) -> FeeRates:
        """The account's real maker/taker rates (SPEC A3)."""

    async def fetch_candles(self, interval: str, limit: int) -> list[Candle]:
        """Closed candles, oldest first; ``interval`` is ``"1"`` (minute) or ``"D"`` (day)."""

    async def fetch_mark_price(self) -> Decimal:
        """The current mark price."""

    # --- account -------------------------------------------------------------------------
    async def fetch_account(self) -> AccountSnapshot:
        """Wallet balance and unrealised PnL in BTC."""

    async def fetch_position(self) -> ExchangePosition:
        """The BTCUSD position with the exchange's liquidation price."""

    async def fetch_settings(self) -> AccountSettings:
        """Position mode, margin mode and leverage in force."""

    async def set_one_way(self) -> None:
        """Switch to one-way mode; only allowed with nothing open (SPEC F7)."""

    async def set_margin_mode(self, mode: MarginMode) -> None:
        """Set isolated/cross; only allowed with nothing open (SPEC C5)."""

    async def set_leverage(self, leverage: Decimal) -> None:
        """Set leverage. "Not modified" is success. Callers only ever lower it (SPEC B3)."""

    # --- orders --------------------------------------------------------------------------
    async def place_order(self, spec: OrderSpec) -> Order:
        """Place an order (limit/PostOnly/IOC/market or a conditional stop); return the ack.

        A PostOnly that would cross raises ``PostOnlyWouldTake``; a reused client id raises
        ``DuplicateClientId``; a timeout raises ``OutcomeUnknown``.
        """

    async def amend_order(
        self, client_id: str, *, qty: int | None = None, trigger_price: Decimal | None = None
    ) -> Order:
        """Amend qty and/or trigger price in place (SPEC G7); ``OrderNotFound`` if vanished."""

    async def cancel_order(self, client_id: str) -> Order:
        """Cancel an open order; ``OrderNotFound`` if it is already gone."""

    async def fetch_order(self, client_id: str) -> Order | None:
        """Look an order up by client id, open or recently closed; ``None`` if unknown."""

    async def fetch_open_orders(self) -> list[Order]:
        """Every open order of BTCUSD, conditional ones included."""

    # --- stream --------------------------------------------------------------------------
    def events(self) -> AsyncIterator[ExchangeEvent]:
        """Order, execution, position, wallet, mark price and kline events, in order."""
        ...

    async def close(self) -> None:
        """Release connections."""
