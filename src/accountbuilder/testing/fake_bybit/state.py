"""Exchange-side records of the fake Bybit: orders, fills and the one-way position."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

SAT = Decimal("0.00000001")
OPEN = frozenset({"New", "PartiallyFilled", "Untriggered"})


def to_sat(amount: Decimal) -> Decimal:
    """Round a BTC amount to 1 satoshi (half up)."""
    return amount.quantize(SAT, ROUND_HALF_UP)


@dataclass(slots=True, eq=False)
class FakeOrder:
    """One order as the exchange holds it (mutable: fills and amends change it)."""

    order_id: str
    link_id: str
    side: str
    order_type: str
    qty: int
    price: Decimal | None
    tif: str
    reduce_only: bool
    close_on_trigger: bool
    trigger_price: Decimal | None
    trigger_direction: int
    trigger_by: str
    status: str
    created_ms: int
    updated_ms: int
    price_on_created: Decimal
    reject_reason: str = "EC_NoError"
    cancel_type: str = "UNKNOWN"
    cum_qty: int = 0
    cum_value: Decimal = Decimal(0)
    cum_fee: Decimal = Decimal(0)
    closed_pnl: Decimal = Decimal(0)

    @property
    def is_open(self) -> bool:
        """New, PartiallyFilled or Untriggered."""
        return self.status in OPEN

    @property
    def leaves(self) -> int:
        """Contracts still to fill (0 once closed)."""
        return self.qty - self.cum_qty if self.is_open else 0

    @property
    def is_conditional(self) -> bool:
        """Created with a ``triggerPrice``."""
        return self.trigger_price is not None


@dataclass(frozen=True, slots=True)
class Execution:
    """One execution with the order's state right after it.

    ``exec_type``: ``Trade`` (a fill), ``Funding`` (a funding payment: ``fee`` is the amount
    paid, negative when received; ``fee_rate`` the funding rate), ``BustTrade`` (liquidation)
    or ``AdlTrade`` (auto-deleveraging); the last three carry no order ids.
    """

    exec_id: str
    order: dict[str, Any]  # order_id, link_id, side, order_type, price, qty, leaves, stop
    price: Decimal
    qty: int
    fee: Decimal
    fee_rate: Decimal
    is_maker: bool
    time_ms: int
    closed_size: int
    pnl: Decimal
    mark: Decimal
    exec_type: str = "Trade"


@dataclass(slots=True)
class FakePosition:
    """The one-way BTCUSD position (``positionIdx 0``); ``side`` Buy, Sell or ""."""

    leverage: Decimal
    side: str = ""
    size: int = 0
    status: str = "Normal"  # positionStatus: Normal, Liq (being liquidated), Adl
    entry: Decimal = Decimal(0)
    cur_realised: Decimal = Decimal(0)
    cum_realised: Decimal = Decimal(0)
    created_ms: int = 0
    updated_ms: int = 0
    seq: int = 0
