"""The simulator's order records and Bybit's create/amend validation (tick, lot, min, mode)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from accountbuilder.domain.enums import (
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TriggerDirection,
)
from accountbuilder.domain.models import Instrument, Order, OrderSpec
from accountbuilder.exchange.errors import Rejected

BYBIT_PARAM_ERROR = 10001  # Bybit retCode for an invalid parameter (price/qty filters)


@dataclass(slots=True)
class SimOrder:
    """A mutable order record; ``value_btc`` is Σ qty/price of its fills (inverse average)."""

    spec: OrderSpec
    order_id: str
    seq: int
    status: OrderStatus
    qty: int
    created_ts_ms: int
    updated_ts_ms: int
    trigger_price: Decimal | None = None
    filled_qty: int = 0
    value_btc: Decimal = Decimal(0)
    reject_reason: str = ""
    price_f: float = 0.0
    trigger_f: float = 0.0

    @property
    def side(self) -> OrderSide:
        return self.spec.side

    @property
    def leaves(self) -> int:
        return max(self.qty - self.filled_qty, 0)

    @property
    def is_untriggered(self) -> bool:
        return self.status is OrderStatus.UNTRIGGERED

    @property
    def is_resting_limit(self) -> bool:
        """A plain limit order in the book (conditional orders are never in the book)."""
        return self.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)

    @property
    def falling(self) -> bool:
        return self.spec.trigger_direction is TriggerDirection.FALLING

    def to_order(self) -> Order:
        """The exchange view of this order (Bybit's order row)."""
        s = self.spec
        avg = Decimal(self.filled_qty) / self.value_btc if self.filled_qty else None
        return Order.from_spec(
            s,
            self.order_id,
            self.status,
            qty=self.qty,
            filled_qty=self.filled_qty,
            avg_price=avg,
            trigger_price=self.trigger_price,
            reject_reason=self.reject_reason,
            updated_ts_ms=self.updated_ts_ms,
        )


def is_tick_multiple(price: Decimal, tick: Decimal) -> bool:
    return price > 0 and price % tick == 0


def round_to_tick(price: Decimal, tick: Decimal, side: OrderSide | None) -> Decimal:
    """Round to the tick: a buy up, a sell down (the taker's worse side); ``None`` = nearest."""
    mode = {OrderSide.BUY: ROUND_CEILING, OrderSide.SELL: ROUND_FLOOR}.get(side, ROUND_HALF_EVEN)
    return (price / tick).to_integral_value(rounding=mode) * tick


def check_qty(qty: int, instrument: Instrument) -> None:
    """Bybit's lot filter: ``minOrderQty ≤ qty ≤ maxOrderQty`` and a multiple of ``qtyStep``."""
    if qty < instrument.min_qty:
        raise Rejected(f"qty {qty} below minOrderQty {instrument.min_qty}", code=BYBIT_PARAM_ERROR)
    if qty > instrument.max_qty:
        raise Rejected(f"qty {qty} above maxOrderQty {instrument.max_qty}", code=BYBIT_PARAM_ERROR)
    if qty % instrument.qty_step:
        raise Rejected(
            f"qty {qty} not a multiple of qtyStep {instrument.qty_step}", code=BYBIT_PARAM_ERROR
        )


def check_price(name: str, price: Decimal, instrument: Instrument) -> None:
    """Bybit's price filter: positive and a multiple of ``tickSize``."""
    if not is_tick_multiple(price, instrument.tick_size):
        raise Rejected(
            f"{name} {price} not a positive multiple of tickSize {instrument.tick_size}",
            code=BYBIT_PARAM_ERROR,
        )


def check_spec(spec: OrderSpec, instrument: Instrument, one_way: bool) -> None:
    """Reject like Bybit's create endpoint: mode, index, lot and tick filters, type rules."""
    if not one_way or spec.position_idx not in (0, "0"):
        raise Rejected(
            f"positionIdx {spec.position_idx} does not match the position mode",
            code=BYBIT_PARAM_ERROR,
        )
    check_qty(spec.qty, instrument)
    if spec.order_type is OrderType.LIMIT:
        if spec.price is None:
            raise Rejected("a Limit order needs a price", code=BYBIT_PARAM_ERROR)
        check_price("price", spec.price, instrument)
    elif spec.time_in_force is TimeInForce.POST_ONLY:
        raise Rejected("PostOnly needs a Limit order", code=BYBIT_PARAM_ERROR)
    if spec.is_conditional:
        check_price("triggerPrice", spec.trigger_price, instrument)
        if spec.trigger_direction is None:
            raise Rejected("a conditional order needs triggerDirection", code=BYBIT_PARAM_ERROR)
        if spec.order_type is not OrderType.MARKET:
            raise Rejected(
                "the simulator supports conditional Market orders only", code=BYBIT_PARAM_ERROR
            )
