"""Validation of V5 order request bodies into typed values (raises ApiError like Bybit)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from accountbuilder.testing.fake_bybit.config import FakeConfig

SYMBOL = "BTCUSD"
CATEGORY = "inverse"
LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
TIME_IN_FORCE = frozenset({"GTC", "IOC", "FOK", "PostOnly"})
TRIGGER_BY = frozenset({"LastPrice", "MarkPrice", "IndexPrice"})


class ApiError(Exception):
    """A business error, answered as a V5 envelope with this ``retCode`` (HTTP 200)."""

    def __init__(self, code: int, msg: str, result: Any = None) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.result = result  # the envelope's ``result`` (3400045 carries its ``reasons``)


def check_symbol(body: Mapping[str, Any]) -> None:
    """Refuse any category/symbol other than inverse BTCUSD."""
    if body.get("category") != CATEGORY or body.get("symbol") != SYMBOL:
        raise ApiError(10001, "Not supported symbols")


def positive_decimal(value: Any, name: str) -> Decimal:
    """Parse a positive finite number sent as a string or a JSON number."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApiError(10001, f"{name} invalid") from None
    if not number.is_finite() or number <= 0:
        raise ApiError(10001, f"{name} invalid")
    return number


def flag(value: Any) -> bool:
    """Read a boolean sent as JSON bool or string."""
    return value is True or str(value).lower() == "true"


def parse_qty(value: Any, cfg: FakeConfig) -> int:
    """Whole contracts within ``[min_qty, max_qty]``."""
    qty = positive_decimal(value, "qty")
    if qty != qty.to_integral_value() or not cfg.min_qty <= qty <= cfg.max_qty:
        raise ApiError(10001, "Qty invalid")
    return int(qty)


def parse_price(value: Any, cfg: FakeConfig, name: str = "price") -> Decimal:
    """A price on the tick grid."""
    price = positive_decimal(value, name)
    if price % cfg.tick_size:
        raise ApiError(10001, f"{name} invalid: not a multiple of tickSize {cfg.tick_size}")
    return price


def parse_create(body: Mapping[str, Any], cfg: FakeConfig) -> dict[str, Any]:
    """Validate a ``/v5/order/create`` body; return FakeOrder keyword arguments."""
    check_symbol(body)
    side, order_type = body.get("side"), body.get("orderType")
    if side not in ("Buy", "Sell") or order_type not in ("Limit", "Market"):
        raise ApiError(10001, "params error: side or orderType invalid")
    if str(body.get("positionIdx", 0)) != "0" or cfg.position_mode != "one-way":
        raise ApiError(10001, "position idx not match position mode")
    if "stopLoss" in body or "takeProfit" in body:
        raise ApiError(10001, "attached TP/SL is not modelled by the fake server")
    link_id = str(body.get("orderLinkId", ""))
    if link_id and not LINK_ID.match(link_id):
        raise ApiError(10001, "orderLinkId invalid: at most 36 chars of [A-Za-z0-9_-]")
    tif = "IOC" if order_type == "Market" else body.get("timeInForce", "GTC")
    if tif not in TIME_IN_FORCE:
        raise ApiError(10001, "timeInForce invalid")
    price = parse_price(body["price"], cfg) if order_type == "Limit" and "price" in body else None
    if order_type == "Limit" and price is None:
        raise ApiError(10001, "price is required for a Limit order")
    trigger = parse_trigger(body, cfg)
    return {
        "link_id": link_id,
        "side": side,
        "order_type": order_type,
        "qty": parse_qty(body.get("qty"), cfg),
        "price": price,
        "tif": tif,
        "reduce_only": flag(body.get("reduceOnly", False)),
        "close_on_trigger": flag(body.get("closeOnTrigger", False)),
        **trigger,
    }


def parse_trigger(body: Mapping[str, Any], cfg: FakeConfig) -> dict[str, Any]:
    """The conditional part of a create body (empty trigger when no ``triggerPrice``)."""
    if body.get("triggerPrice") in (None, "", "0"):
        return {"trigger_price": None, "trigger_direction": 0, "trigger_by": ""}
    direction = str(body.get("triggerDirection", ""))
    if direction not in ("1", "2"):
        raise ApiError(10001, "TriggerDirection invalid")
    trigger_by = body.get("triggerBy", "LastPrice")
    if trigger_by not in TRIGGER_BY:
        raise ApiError(10001, "triggerBy invalid")
    return {
        "trigger_price": parse_price(body["triggerPrice"], cfg, "triggerPrice"),
        "trigger_direction": int(direction),
        "trigger_by": trigger_by,
    }


def parse_amend(body: Mapping[str, Any], current: Any, cfg: FakeConfig) -> dict[str, Any]:
    """Validate a ``/v5/order/amend`` body against the order; return the changed fields."""
    changes: dict[str, Any] = {}
    if "qty" in body:
        qty = parse_qty(body["qty"], cfg)
        if qty <= current.cum_qty:
            raise ApiError(10001, "qty must be greater than cumExecQty")
        changes["qty"] = qty
    if body.get("price") not in (None, ""):
        if current.order_type != "Limit":
            raise ApiError(10001, "price cannot be amended on a Market order")
        changes["price"] = parse_price(body["price"], cfg)
    if body.get("triggerPrice") not in (None, ""):
        if current.trigger_price is None or current.status != "Untriggered":
            raise ApiError(10001, "triggerPrice can only be amended on an untriggered order")
        changes["trigger_price"] = parse_price(body["triggerPrice"], cfg, "triggerPrice")
        trigger_by = body.get("triggerBy", current.trigger_by)
        if trigger_by not in TRIGGER_BY:
            raise ApiError(10001, "triggerBy invalid")
        changes["trigger_by"] = trigger_by
    return {k: v for k, v in changes.items() if getattr(current, k) != v}
