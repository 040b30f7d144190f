"""The exchange port: what the core needs from an exchange, and nothing more.

Implemented by ``exchange.sim.SimExchange`` (paper, backtest, scenario tests) and by the
ccxt-based Bybit adapter (live). Methods raise the typed errors of ``exchange.errors``.
All ids are client ids (Bybit ``orderLinkId``); every order is one-way (``positionIdx=0``).

Acks are not evidence (SPEC G8, F4): ``place_order``, ``amend_order`` and ``cancel_order``
return an ``OrderAck`` once the exchange accepted the request, and nothing about the order's
state. The state comes as ``OrderUpdated`` events from ``events()``, or from ``fetch_order``
(the core reads it when no update came within 5 s).
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
        """The BTCUSD position with the exchange's liquidation price.

        An answer that cannot be the position (no list, no BTCUSD row, non-numeric figures,
        an unknown side) raises ``MalformedResponse`` (SPEC E3); "flat" comes only from a
        well-formed BTCUSD row of size 0.
        """

    async def fetch_settings(self) -> AccountSettings:
        """Position mode, margin mode and leverage in force (the bot never switches the
        position mode: BTCUSD inverse is one-way, F7 is verified at start)."""

    async def set_margin_mode(self, mode: MarginMode) -> None:
        """Set isolated/cross; only allowed with nothing open (SPEC C5). ``MarginModeRefused``
        when the exchange (or, for an account-wide mode, another position) refuses it."""

    async def set_leverage(self, leverage: Decimal) -> None:
        """Set leverage. "Not modified" is success. Callers only ever lower it (SPEC B3)."""

    # --- orders --------------------------------------------------------------------------
    async def place_order(self, spec: OrderSpec) -> OrderAck:
        """Send an order (limit/PostOnly/IOC/market or a conditional stop); return the ack.

        A refusal with a known code raises a ``Rejected`` subclass (a reused client id:
        ``DuplicateClientId``); an ambiguous outcome raises ``OutcomeUnknown``. A PostOnly that
        would cross raises ``PostOnlyWouldTake`` where the exchange says so at once (the
        simulator); Bybit acks it and then reports an ``OrderUpdated`` with status REJECTED and
        ``reject_reason`` ``EC_PostOnlyWillTakeLiquidity``.
        """

    async def amend_order(
        self, client_id: str, *, qty: int | None = None, trigger_price: Decimal | None = None
    ) -> OrderAck:
        """Ask to amend qty and/or trigger price in place (SPEC G7); ``OrderNotFound`` if it
        vanished. The amended order is confirmed only by an ``OrderUpdated`` (or a lookup)."""

    async def cancel_order(self, client_id: str) -> OrderAck:
        """Ask to cancel an open order; ``OrderNotFound`` if it is already gone. The cancel is
        confirmed only by an ``OrderUpdated`` (or a lookup)."""

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
