"""What a halt or a block does, as data: cancel ENTRY orders and block entries (SPEC E7, D6).

Nothing here can name a stop, a take-profit or a reduce-only close: a halt never abandons a
position, so its stop and take-profit stay on the exchange and stop supervision (G8) goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accountbuilder.domain.commands import CancelOrder
from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.models import Order
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.domain.requests import Purpose

# The only roles a halt or block may cancel (SPEC E7).
ENTRY_ROLES = frozenset({OrderRole.ENTRY, OrderRole.TAKER_ENTRY})
# Roles that protect an open position; never cancelled by a halt or block.
PROTECTIVE_ROLES = frozenset({OrderRole.STOP, OrderRole.TAKE_PROFIT, OrderRole.CLOSE})


def is_cancellable_entry(order: Order) -> bool:
    """True for an open, non-reduce-only entry order: the only kind a halt or block cancels."""
    return order.role in ENTRY_ROLES and not order.reduce_only and order.status.is_open


@dataclass(frozen=True, slots=True)
class EntryBlock:
    """Entries are refused while this runs; ``cancel_entry_orders`` also pulls resting entries.

    ``until_ms`` is None when the end is a condition rather than a time (a HALT lasts until E4
    or a reset; a latency block until latency has been low long enough); ``release`` says what
    ends it, in words, for logs and status output.
    """

    reason: ReasonCode
    until_ms: int | None = None
    cancel_entry_orders: bool = False
    release: str = ""

    def active(self, now_ms: int) -> bool:
        """True while the block runs (an open-ended block runs until it is withdrawn)."""
        return self.until_ms is None or now_ms < self.until_ms

    def orders_to_cancel(self, orders: Iterable[Order]) -> tuple[Order, ...]:
        """The open entry orders this block cancels; never a stop, take-profit or close (E7)."""
        if not self.cancel_entry_orders:
            return ()
        return tuple(o for o in orders if is_cancellable_entry(o))

    def cancel_commands(self, orders: Iterable[Order], first_seq: int) -> tuple[CancelOrder, ...]:
        """``CancelOrder`` commands for ``orders_to_cancel``; cancel-entry is protective (F1)."""
        return tuple(
            CancelOrder(o.client_id, first_seq + i, Purpose.HALT, protective=True)
            for i, o in enumerate(self.orders_to_cancel(orders))
        )


def halt_block(reason: ReasonCode) -> EntryBlock:
    """What every HALT does (E7): cancel entry orders, block entries until it is lifted."""
    return EntryBlock(
        reason=reason,
        until_ms=None,
        cancel_entry_orders=True,
        release="HALT lifted (E4 auto-recovery or E5 manual reset)",
    )
