"""E7: a HALT (or block) cancels ENTRY orders and blocks entries; it never cancels a stop,
a take-profit or a reduce-only close."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import (
    HaltKind,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
)
from accountbuilder.domain.models import Order
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.actions import ENTRY_ROLES, PROTECTIVE_ROLES, halt_block
from accountbuilder.emergency.halts import HaltFacts, HaltPhase, HaltState, raised
from accountbuilder.health.latency import LatencyTracker

T0 = 1_700_000_000_000


def order(cid: str, role: OrderRole, status=OrderStatus.NEW, reduce_only=False) -> Order:
    return Order(
        client_id=cid,
        order_id=f"x{cid}",
        role=role,
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        qty=100,
        status=status,
        reduce_only=reduce_only,
    )


BOOK = (
    order("e1", OrderRole.ENTRY),
    order("tk1", OrderRole.TAKER_ENTRY),
    order("sl1", OrderRole.STOP, OrderStatus.UNTRIGGERED, reduce_only=True),
    order("tp1", OrderRole.TAKE_PROFIT, reduce_only=True),
    order("cl1", OrderRole.CLOSE, reduce_only=True),
    order("e0", OrderRole.ENTRY, OrderStatus.FILLED),
)


def test_e7_halt_cancels_only_open_entry_orders():
    block = halt_block(ReasonCode.DROP_1M)

    cancelled = {o.client_id for o in block.orders_to_cancel(BOOK)}

    assert cancelled == {"e1", "tk1"}  # the filled entry e0 is not open; sl/tp/cl stay
    assert block.until_ms is None and block.active(T0 + 10**9)


def test_e7_halt_state_block_keeps_stop_and_take_profit():
    facts, _ = raised(HaltFacts(), False, T0, ReasonCode.LIQUIDATION_WARNING, HaltKind.MANUAL)
    state = HaltState.of(HaltPhase.HALT, facts)

    commands = state.block().cancel_commands(BOOK, first_seq=1)

    assert [c.client_id for c in commands] == ["e1", "tk1"]
    assert all(c.protective for c in commands)  # cancel-entry draws on the F1 reserve


def test_e7_latency_block_cancels_entries_but_not_stops():
    tracker = LatencyTracker()
    tracker.on_rest_round_trip(T0, 5_000)

    block = tracker.status(T0).block()

    assert {o.client_id for o in block.orders_to_cancel(BOOK)} == {"e1", "tk1"}


def test_e7_reduce_only_entry_role_is_never_cancelled():
    # Defensive: an order tagged ENTRY but reduce-only would close exposure; leave it.
    odd = order("e9", OrderRole.ENTRY, reduce_only=True)

    assert halt_block(ReasonCode.DROP_5M).orders_to_cancel([odd]) == ()


def test_e7_role_sets_are_disjoint():
    assert not ENTRY_ROLES & PROTECTIVE_ROLES
    assert {OrderRole.STOP, OrderRole.TAKE_PROFIT, OrderRole.CLOSE} <= PROTECTIVE_ROLES


orders = st.lists(
    st.builds(
        order,
        cid=st.text("abc123", min_size=1, max_size=6),
        role=st.sampled_from(list(OrderRole)),
        status=st.sampled_from(list(OrderStatus)),
        reduce_only=st.booleans(),
    ),
    max_size=20,
)


@given(orders, st.sampled_from(list(ReasonCode)))
def test_e7_no_halt_ever_cancels_a_protective_order(book, reason):
    cancelled = halt_block(reason).orders_to_cancel(book)

    assert all(o.role in ENTRY_ROLES for o in cancelled)
    assert not any(o.role in PROTECTIVE_ROLES or o.reduce_only for o in cancelled)
    expected = [o for o in book if o.role in ENTRY_ROLES and not o.reduce_only and o.status.is_open]
    assert list(cancelled) == expected
