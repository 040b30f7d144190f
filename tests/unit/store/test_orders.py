"""The persisted order lifecycle (SPEC G2, I4): one row per order, every accepted move logged,
and the store refuses any move the lifecycle table does not have (issue 13)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType, TimeInForce
from accountbuilder.domain.lifecycle import (
    OrderEvent,
    OrderPhase,
    OrderTransition,
    PhaseMove,
    apply,
)
from accountbuilder.domain.models import OrderSpec
from accountbuilder.records.examples import T0
from accountbuilder.store import DuplicateIntentError, IntentTransitionError, SqliteStore
from accountbuilder.store.connection import Database
from accountbuilder.store.migrations import MIGRATIONS, migrate

CID = "3f9a1c2b7d4e5f6a7b8c_L_en1"
SPEC = OrderSpec(
    CID, OrderRole.ENTRY, OrderSide.BUY, OrderType.LIMIT, 323, Decimal("50000"),
    TimeInForce.POST_ONLY,
)  # fmt: skip


def created(ts: int = T0, spec: OrderSpec = SPEC) -> OrderTransition:
    return OrderTransition.created(spec, "3f9a1c2b7d4e5f6a7b8c", ts)


def move(source, event, ts, cid=CID, role=OrderRole.ENTRY) -> OrderTransition:
    target = apply(source, event)
    assert isinstance(target, PhaseMove)
    return OrderTransition(cid, role, source, target.target, event, event.value, ts)


def test_g2_i4_an_order_is_stored_with_its_spec_before_it_is_sent(store):
    store.record_order_moves([created()])

    order = store.order(CID)
    assert (order.phase, order.role, order.signal_id) == (
        OrderPhase.INTENT,
        OrderRole.ENTRY,
        "3f9a1c2b7d4e5f6a7b8c",
    )
    assert order.spec["price"] == "50000" and order.spec["qty"] == 323
    assert [o.client_id for o in store.live_orders()] == [CID]


def test_g8_the_lifecycle_intent_acked_open_filled_is_logged_move_by_move(store):
    store.record_order_moves(
        [
            created(),
            move(OrderPhase.INTENT, OrderEvent.ACCEPTED, T0 + 1),
            move(OrderPhase.ACKED, OrderEvent.SEEN_WORKING, T0 + 2),
            move(OrderPhase.OPEN, OrderEvent.SEEN_FILLED, T0 + 3),
        ]
    )

    assert store.order(CID).phase is OrderPhase.FILLED
    assert store.order_history(CID) == [
        (None, "intent", None, T0),
        ("intent", "acked", "accepted", T0 + 1),
        ("acked", "open", "seen_working", T0 + 2),
        ("open", "filled", "seen_filled", T0 + 3),
    ]
    assert store.live_orders() == []


def test_g2_a_second_creation_of_a_client_id_is_refused(store):
    store.record_order_moves([created()])
    store.record_order_moves([move(OrderPhase.INTENT, OrderEvent.REFUSED, T0 + 1)])

    with pytest.raises(DuplicateIntentError, match="sent at most once"):
        store.record_order_moves([created(T0 + 2)])

    assert store.order(CID).phase is OrderPhase.REJECTED  # the client id stays taken


def test_g2_a_move_the_table_forbids_is_refused_and_nothing_is_written(store):
    store.record_order_moves([created(), move(OrderPhase.INTENT, OrderEvent.REFUSED, T0 + 1)])
    back = OrderTransition(
        CID, OrderRole.ENTRY, OrderPhase.REJECTED, OrderPhase.OPEN, OrderEvent.SEEN_WORKING, "", T0
    )

    with pytest.raises(IntentTransitionError, match="not in the lifecycle table"):
        store.record_order_moves([back])

    assert store.order(CID).phase is OrderPhase.REJECTED
    assert len(store.order_history(CID)) == 2


def test_i4_commit_round_writes_the_session_and_the_moves_in_one_transaction(store):
    bad = OrderTransition(
        CID, OrderRole.ENTRY, OrderPhase.INTENT, OrderPhase.FILLED, OrderEvent.ACCEPTED, "", T0
    )

    with pytest.raises(IntentTransitionError):
        store.commit_round({"version": 2}, [created(), bad], T0)

    assert store.load_session() is None and store.order(CID) is None  # all or nothing
    store.commit_round({"version": 2}, [created()], T0)
    assert store.load_session() == {"version": 2} and store.order(CID) is not None


@given(st.lists(st.sampled_from(list(OrderEvent)), max_size=12))
def test_g2_the_store_accepts_exactly_the_lifecycles_moves(events):
    with SqliteStore.open(":memory:", now_ms=T0) as store:
        store.record_order_moves([created()])
        phase = OrderPhase.INTENT
        for ts, event in enumerate(events, start=1):
            result = apply(phase, event)
            candidate = OrderTransition(
                CID,
                OrderRole.ENTRY,
                phase,
                result.target if isinstance(result, PhaseMove) else OrderPhase.OPEN,
                event,
                "",
                T0 + ts,
            )
            if isinstance(result, PhaseMove):
                store.record_order_moves([candidate])
                phase = result.target
            else:
                with pytest.raises(IntentTransitionError):
                    store.record_order_moves([candidate])
            assert store.order(CID).phase is phase


def test_i4_schema_1_intents_are_carried_over_as_orders(tmp_path):
    path = tmp_path / "old.sqlite"
    db = Database.open(path)
    migrate(db, T0, MIGRATIONS[:1])  # a store written by the previous release
    with db.write(durable=True) as conn:
        rows = [
            ("a_L_en0", "a_L_en0", "place", "en", "{}", "acked", T0),
            ("a_L_sl0", "a_L_sl0", "place", "sl", "{}", "recorded", T0),
            ("a_L_sl0:amend1", "a_L_sl0", "amend", "sl", "{}", "resolved", T0),
            ("a_L_tp0", "a_L_tp0", "place", "tp", "{}", "resolved", T0),
        ]
        conn.executemany(
            "INSERT INTO intents (intent_id, client_id, action, role, command_json, status, "
            "created_ts_ms, updated_ts_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r, T0) for r in rows],
        )
    db.close()

    with SqliteStore.open(path, now_ms=T0 + 1) as store:
        phases = {o.client_id: o.phase for o in store.all_orders()}

    assert phases == {
        "a_L_en0": OrderPhase.ACKED,
        "a_L_sl0": OrderPhase.INTENT,  # maybe sent: the restart looks it up (G2)
        "a_L_tp0": OrderPhase.LOST,  # resolved without saying how: its fate is unknown
    }
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "intents" not in tables and "orders" in tables
