"""The exchange-side stop (SPEC G6) and when to amend it (G7).

One separate conditional order ("method B"): Market, opposite side, ``triggerPrice``,
``triggerDirection`` (long 2 falling, short 1 rising), trigger by mark price by default,
``reduceOnly``, ``positionIdx=0``. The position-level stopLoss is never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.enums import OrderRole, OrderType, Side, TriggerBy, TriggerDirection
from accountbuilder.domain.models import OrderSpec

AMEND_MIN_QTY_CHANGE = Decimal("0.20")  # G7: amend only when qty changed ≥ 20% ...
AMEND_MIN_INTERVAL_MS = 2_000  # ... and ≥ 2 s since the last amend
STOP_RETRY_INTERVAL_MS = 5_000  # G8: unconfirmed → re-check/resend every 5 s, 3 tries


def stop_spec(
    side: Side, contracts: int, trigger: Decimal, client_id: str, trigger_by: TriggerBy
) -> OrderSpec:
    """The G6 conditional stop protecting a ``side`` position of ``contracts``."""
    return OrderSpec(
        client_id=client_id,
        role=OrderRole.STOP,
        side=side.exit_order_side,
        order_type=OrderType.MARKET,
        qty=contracts,
        reduce_only=True,
        trigger_price=trigger,
        trigger_direction=TriggerDirection.for_stop(side),
        trigger_by=trigger_by,
        position_idx=0,
    )


def close_spec(side: Side, contracts: int, client_id: str) -> OrderSpec:
    """A reduce-only market close (G6 mark beyond trigger, G8 10-second rule)."""
    return OrderSpec(
        client_id=client_id,
        role=OrderRole.CLOSE,
        side=side.exit_order_side,
        order_type=OrderType.MARKET,
        qty=contracts,
        reduce_only=True,
        position_idx=0,
    )


def mark_beyond_trigger(side: Side, mark: Decimal, trigger: Decimal) -> bool:
    """G6: the exchange would refuse the trigger (the stop would already have fired)."""
    return mark <= trigger if side is Side.LONG else mark >= trigger


@dataclass(frozen=True, slots=True)
class AmendDecision:
    amend: bool
    why: str


def should_amend(
    stop_qty: int, position_qty: int, last_amend_ms: int | None, now_ms: int, final_sync: bool
) -> AmendDecision:
    """G7 debounce: amend when qty changed ≥ 20% and ≥ 2 s since the last amend.

    The final sync after G5 (entry complete or cancelled) is exempt: any difference amends.
    """
    if stop_qty == position_qty:
        return AmendDecision(False, "in sync")
    if final_sync:
        return AmendDecision(True, "final sync (G5)")
    change = Decimal(abs(position_qty - stop_qty)) / Decimal(max(stop_qty, 1))
    if change < AMEND_MIN_QTY_CHANGE:
        return AmendDecision(False, f"qty change {change:.3f} < 0.20")
    if last_amend_ms is not None and now_ms - last_amend_ms < AMEND_MIN_INTERVAL_MS:
        return AmendDecision(False, f"{now_ms - last_amend_ms} ms since last amend < 2000")
    return AmendDecision(True, f"qty change {change:.3f} >= 0.20")
