"""JSON-able forms of the value objects the session document stores (Decimals as strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accountbuilder.domain.enums import (
    OrderRole,
    OrderSide,
    OrderType,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
)
from accountbuilder.domain.models import OrderSpec


def _dec(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def _undec(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def spec_to_dict(spec: OrderSpec) -> dict[str, Any]:
    return {
        "client_id": spec.client_id,
        "role": spec.role.value,
        "side": spec.side.value,
        "order_type": spec.order_type.value,
        "qty": spec.qty,
        "price": _dec(spec.price),
        "time_in_force": spec.time_in_force.value,
        "reduce_only": spec.reduce_only,
        "trigger_price": _dec(spec.trigger_price),
        "trigger_direction": None
        if spec.trigger_direction is None
        else spec.trigger_direction.value,
        "trigger_by": None if spec.trigger_by is None else spec.trigger_by.value,
        "position_idx": spec.position_idx,
    }


def spec_from_dict(d: dict[str, Any]) -> OrderSpec:
    return OrderSpec(
        client_id=d["client_id"],
        role=OrderRole(d["role"]),
        side=OrderSide(d["side"]),
        order_type=OrderType(d["order_type"]),
        qty=int(d["qty"]),
        price=_undec(d["price"]),
        time_in_force=TimeInForce(d["time_in_force"]),
        reduce_only=bool(d["reduce_only"]),
        trigger_price=_undec(d["trigger_price"]),
        trigger_direction=None
        if d["trigger_direction"] is None
        else TriggerDirection(d["trigger_direction"]),
        trigger_by=None if d["trigger_by"] is None else TriggerBy(d["trigger_by"]),
        position_idx=int(d["position_idx"]),
    )
