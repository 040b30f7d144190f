"""Order specs the adapter tests send (client ids in the G1 shape)."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.domain.enums import (
    OrderRole,
    OrderSide,
    OrderType,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
)
from accountbuilder.domain.models import OrderSpec


def limit(cid: str, price: str, qty: int = 100, tif=TimeInForce.POST_ONLY, **kw) -> OrderSpec:
    role = kw.pop("role", OrderRole.ENTRY)
    return OrderSpec(cid, role, kw.pop("side", OrderSide.BUY), OrderType.LIMIT, qty,
                     Decimal(price), tif, **kw)  # fmt: skip


def market(cid: str, side=OrderSide.BUY, qty: int = 100, **kw) -> OrderSpec:
    role = kw.pop("role", OrderRole.TAKER_ENTRY)
    return OrderSpec(cid, role, side, OrderType.MARKET, qty, None, TimeInForce.IOC, **kw)


def stop(cid: str, trigger: str, qty: int = 100) -> OrderSpec:
    return OrderSpec(
        cid, OrderRole.STOP, OrderSide.SELL, OrderType.MARKET, qty, reduce_only=True,
        trigger_price=Decimal(trigger), trigger_direction=TriggerDirection.FALLING,
        trigger_by=TriggerBy.MARK_PRICE,
    )  # fmt: skip
