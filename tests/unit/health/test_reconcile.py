"""F5: act on a local-vs-exchange mismatch after 3 identical reconciles; a missing stop at once."""

from __future__ import annotations

from accountbuilder.domain.enums import OrderRole, OrderSide, OrderStatus, OrderType, Side
from accountbuilder.domain.models import Order
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.health.reconcile import (
    BookView,
    Mismatch,
    OrderView,
    ReconcileHysteresis,
    compare,
)

T0 = 1_700_000_000_000
S = 1_000
STOP = OrderView("abc_long_sl0", OrderRole.STOP, 100)
TP = OrderView("abc_long_tp0", OrderRole.TAKE_PROFIT, 100)
ENTRY = OrderView("def_long_en0", OrderRole.ENTRY, 50)


def book(side=Side.LONG, contracts=100, *orders: OrderView) -> BookView:
    return BookView(side, contracts, frozenset(orders))


def test_f5_identical_views_have_no_mismatch():
    assert compare(book(Side.LONG, 100, STOP, TP), book(Side.LONG, 100, TP, STOP)) is None


def test_f5_mismatch_names_each_difference():
    local = book(Side.LONG, 100, STOP, ENTRY)
    exchange = book(Side.LONG, 150, OrderView("abc_long_sl0", OrderRole.STOP, 150), TP)

    m = compare(local, exchange)

    assert m.local_position == (Side.LONG, 100) and m.exchange_position == (Side.LONG, 150)
    assert m.only_local == {"def_long_en0"} and m.only_exchange == {"abc_long_tp0"}
    assert {a.client_id for a, _ in m.differing} == {"abc_long_sl0"}
    assert m.stop_missing is False
    assert m.figures()["only_exchange"] == "abc_long_tp0"


def test_f5_mismatches_are_hashable_and_equal_when_identical():
    a = compare(book(Side.LONG, 100, STOP), book(Side.LONG, 90, STOP))
    b = compare(book(Side.LONG, 100, STOP), book(Side.LONG, 90, STOP))

    assert a == b and hash(a) == hash(b)
    assert len({a, b, Mismatch(stop_missing=True)}) == 2


def test_f5_act_after_three_consecutive_identical_mismatches():
    h = ReconcileHysteresis()
    local, exchange = book(Side.LONG, 100, STOP), book(Side.LONG, 90, STOP)

    first = h.observe(T0, local, exchange)
    second = h.observe(T0 + S, local, exchange)
    third = h.observe(T0 + 2 * S, local, exchange)

    assert (first.seen, first.act) == (1, False)
    assert (second.seen, second.act) == (2, False)
    assert (third.seen, third.act) == (3, True)
    assert third.block.reason is ReasonCode.BLOCK_RECONCILE
    assert third.block.until_ms == T0 + 2 * S + 5 * S  # entries pause 5 s
    assert not third.block.cancel_entry_orders
    assert h.observe(T0 + 3 * S, local, exchange).seen == 1  # the count starts over


def test_f5_a_different_mismatch_restarts_the_count():
    h = ReconcileHysteresis()
    local = book(Side.LONG, 100, STOP)
    h.observe(T0, local, book(Side.LONG, 90, STOP))
    h.observe(T0 + S, local, book(Side.LONG, 90, STOP))

    changed = h.observe(T0 + 2 * S, local, book(Side.LONG, 80, STOP))

    assert (changed.seen, changed.act) == (1, False)


def test_f5_agreement_in_between_restarts_the_count():
    h = ReconcileHysteresis()
    local, exchange = book(Side.LONG, 100, STOP), book(Side.LONG, 90, STOP)
    h.observe(T0, local, exchange)
    h.observe(T0 + S, local, exchange)
    assert h.observe(T0 + 2 * S, local, local).mismatch is None

    assert h.observe(T0 + 3 * S, local, exchange).seen == 1


def test_f5_missing_stop_on_open_position_is_acted_on_at_once():
    h = ReconcileHysteresis()

    verdict = h.observe(T0, book(Side.LONG, 100, STOP, TP), book(Side.LONG, 100, TP))

    assert verdict.act and verdict.seen == 1 and verdict.mismatch.stop_missing
    assert verdict.block.until_ms == T0 + 5 * S


def test_f5_flat_exchange_needs_no_stop():
    m = compare(book(None, 0), book(None, 0, ENTRY))

    assert m.stop_missing is False and m.only_exchange == {"def_long_en0"}


def test_f5_book_view_from_orders_keeps_only_open_ones():
    def order(cid, role, status):
        return Order(cid, "x" + cid, role, OrderSide.SELL, OrderType.MARKET, 100, status)

    view = BookView.of(
        Side.SHORT,
        100,
        [
            order("s1", OrderRole.STOP, OrderStatus.UNTRIGGERED),
            order("e1", OrderRole.ENTRY, OrderStatus.FILLED),
        ],
    )

    assert view.orders == {OrderView("s1", OrderRole.STOP, 100)} and view.stop_present
    assert BookView.of(Side.LONG, 0, []).side is None  # flat has no side
