"""``exchange.sim.account_events``: the levels the scan stops at and liqPrice as Bybit shows it."""

from __future__ import annotations

import math
from decimal import Decimal

from accountbuilder.domain.enums import (
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    Side,
    TriggerDirection,
)
from accountbuilder.domain.models import OrderSpec
from accountbuilder.exchange.sim.account_events import price_levels, shown_liq
from accountbuilder.exchange.sim.orders import SimOrder


def _order(side: OrderSide, price: float, trigger: float | None = None, **kw) -> SimOrder:
    spec = OrderSpec(
        f"c{price}",
        OrderRole.STOP if trigger else OrderRole.ENTRY,
        side,
        OrderType.MARKET if trigger else OrderType.LIMIT,
        1,
        price=None if trigger else Decimal(repr(price)),
        trigger_price=Decimal(repr(trigger)) if trigger else None,
        trigger_direction=kw.get("direction"),
    )
    status = OrderStatus.UNTRIGGERED if trigger else OrderStatus.NEW
    return SimOrder(spec, "id", 1, status, 1, 0, 0, trigger_price=spec.trigger_price,
                    price_f=price, trigger_f=trigger or 0.0)  # fmt: skip


def test_g6_the_scan_stops_at_the_nearest_trigger_limit_or_liquidation_on_each_side():
    stop = _order(OrderSide.SELL, 0, 38_000.0, direction=TriggerDirection.FALLING)
    buy, tp = _order(OrderSide.BUY, 39_000.0), _order(OrderSide.SELL, 41_200.0)

    assert price_levels([stop, buy, tp], Side.LONG, 30_000.0) == (39_000.0, 41_200.0)
    assert price_levels([stop, tp], Side.LONG, 38_500.0) == (38_500.0, 41_200.0)  # liq first
    assert price_levels([], None, math.nan) == (-math.inf, math.inf)


def test_e6_liq_price_is_shown_empty_when_flat_or_unreachable():
    assert shown_liq(Decimal("30131.5")) == Decimal("30131.5")
    assert shown_liq(None) is None
    assert shown_liq(Decimal(0)) is None
    assert shown_liq(Decimal("Infinity")) is None
