"""The take-profit (SPEC G9): reduce-only PostOnly limit at the next grid level."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.domain.enums import OrderRole, OrderType, Side, TimeInForce
from accountbuilder.domain.models import OrderSpec
from accountbuilder.risk.sizing import round_to_tick


def take_profit_spec(
    side: Side, contracts: int, level_price: Decimal, tick: Decimal, client_id: str
) -> OrderSpec:
    """Sized with the position; a long's TP sell rounds up, a short's TP buy rounds down (C3)."""
    price = round_to_tick(level_price, tick, up=side is Side.LONG)
    return OrderSpec(
        client_id=client_id,
        role=OrderRole.TAKE_PROFIT,
        side=side.exit_order_side,
        order_type=OrderType.LIMIT,
        qty=contracts,
        price=price,
        time_in_force=TimeInForce.POST_ONLY,
        reduce_only=True,
        position_idx=0,
    )
