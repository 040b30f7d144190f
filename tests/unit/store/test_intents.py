"""Order intents (SPEC G2, I4): committed before the send, one place per client id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import OrderRole
from accountbuilder.records.examples import T0
from accountbuilder.store import (
    DuplicateIntentError,
    IntentAction,
    IntentStatus,
    IntentTransitionError,
    SqliteStore,
    UnknownIntentError,
)
from accountbuilder.store.intents import TRANSITIONS

CID = "3f9a1c2b7d4e_long_en1"
COMMAND = {"type": "PlaceOrder", "client_id": CID, "qty": 323, "price": "50000"}


def test_g2_intent_is_recorded_with_its_command(store):
    intent = store.record_intent("int-1", CID, OrderRole.ENTRY, COMMAND, T0)

    assert (intent.status, intent.role, intent.action) == (
        IntentStatus.RECORDED,
        OrderRole.ENTRY,
        IntentAction.PLACE,
    )
    assert store.intent("int-1").command == COMMAND
    assert store.open_intents() == [intent]


def test_g2_intent_lifecycle_recorded_sent_acked_resolved(store):
    store.record_intent("int-1", CID, "en", COMMAND, T0)

    store.mark_intent("int-1", IntentStatus.SENT, T0 + 1)
    store.mark_intent("int-1", IntentStatus.ACKED, T0 + 2, detail="orderId=abc")
    last = store.mark_intent("int-1", IntentStatus.RESOLVED, T0 + 3, detail="filled")

    assert (last.status, last.detail, last.created_ts_ms, last.updated_ts_ms) == (
        IntentStatus.RESOLVED,
        "filled",
        T0,
        T0 + 3,
    )
    assert store.intent_history("int-1") == [
        (None, "recorded", T0),
        ("recorded", "sent", T0 + 1),
        ("sent", "acked", T0 + 2),
        ("acked", "resolved", T0 + 3),
    ]
    assert store.open_intents() == []


def test_g2_timeout_goes_unknown_then_lookup_resolves_it(store):
    store.record_intent("int-1", CID, "en", COMMAND, T0)
    store.mark_intent("int-1", "sent", T0 + 1)

    store.mark_intent("int-1", "unknown", T0 + 5_000, detail="timeout")
    found = store.mark_intent("int-1", "acked", T0 + 6_000, detail="lookup found it")

    assert found.status is IntentStatus.ACKED
    assert [i.intent_id for i in store.open_intents()] == ["int-1"]


def test_g2_second_place_intent_with_the_same_client_id_is_refused(store):
    store.record_intent("int-1", CID, "en", COMMAND, T0)

    with pytest.raises(DuplicateIntentError, match="sent at most once"):
        store.record_intent("int-2", CID, "en", COMMAND, T0 + 1)

    assert [i.intent_id for i in store.open_intents()] == ["int-1"]


def test_g2_client_id_stays_taken_after_its_intent_is_resolved(store):
    store.record_intent("int-1", CID, "en", COMMAND, T0)
    store.mark_intent("int-1", "resolved", T0 + 1, detail="dropped before send")

    with pytest.raises(DuplicateIntentError):
        store.record_intent("int-2", CID, "en", COMMAND, T0 + 2)


def test_g2_same_intent_id_twice_is_refused(store):
    store.record_intent("int-1", CID, "en", COMMAND, T0)

    with pytest.raises(DuplicateIntentError, match="already recorded"):
        store.record_intent("int-1", "other_long_en1", "en", COMMAND, T0)


def test_g7_amend_and_cancel_intents_name_the_orders_client_id(store):
    stop = "3f9a1c2b7d4e_long_sl1"
    store.record_intent("place-sl", stop, OrderRole.STOP, {"type": "PlaceOrder"}, T0)

    store.record_intent(
        "amend-1", stop, OrderRole.STOP, {"qty": 200}, T0 + 1, action=IntentAction.AMEND
    )
    store.record_intent(
        "amend-2", stop, OrderRole.STOP, {"qty": 323}, T0 + 2, action=IntentAction.AMEND
    )

    assert store.intent_for_client_id(stop).intent_id == "place-sl"
    assert [i.intent_id for i in store.open_intents()] == ["place-sl", "amend-1", "amend-2"]


def test_g2_intent_for_client_id_is_the_lookup_before_a_resend(store):
    assert store.intent_for_client_id(CID) is None

    store.record_intent("int-1", CID, "en", COMMAND, T0)

    assert store.intent_for_client_id(CID).intent_id == "int-1"


@pytest.mark.parametrize("bad", ["", "x" * 37, "has space", "dot.ted"])
def test_g1_bad_client_id_is_refused(store, bad):
    with pytest.raises(ValueError, match="A-Za-z0-9_-"):
        store.record_intent("int-1", bad, "en", COMMAND, T0)


def test_g2_command_text_must_be_json(store):
    with pytest.raises(ValueError):
        store.record_intent("int-1", CID, "en", "{not json", T0)

    assert store.intent("int-1") is None


def test_g2_command_json_text_is_stored_as_given(store):
    store.record_intent("int-1", CID, "en", '{"b": 1, "a": "0.10"}', T0)

    assert store.intent("int-1").command == {"b": 1, "a": "0.10"}


def test_g2_skipping_a_step_is_refused(store):
    store.record_intent("int-1", CID, "en", COMMAND, T0)

    with pytest.raises(IntentTransitionError, match="recorded → acked"):
        store.mark_intent("int-1", "acked", T0 + 1)

    assert store.intent("int-1").status is IntentStatus.RECORDED


def test_g2_marking_the_same_status_again_changes_nothing(store):
    store.record_intent("int-1", CID, "en", COMMAND, T0)
    store.mark_intent("int-1", "sent", T0 + 1)
    store.mark_intent("int-1", "acked", T0 + 2, detail="ws")

    again = store.mark_intent("int-1", "acked", T0 + 3, detail="rest")

    assert (again.detail, again.updated_ts_ms) == ("ws", T0 + 2)
    assert len(store.intent_history("int-1")) == 3


def test_g2_marking_an_unknown_intent_is_an_error(store):
    with pytest.raises(UnknownIntentError):
        store.mark_intent("nope", "sent", T0)


@given(st.lists(st.sampled_from(list(IntentStatus)), max_size=12))
def test_g2_store_accepts_exactly_the_lifecycles_transitions(steps):
    with SqliteStore.open(":memory:", now_ms=T0) as store:
        store.record_intent("int-1", CID, "en", COMMAND, T0)
        status = IntentStatus.RECORDED
        for ts, step in enumerate(steps, start=1):
            allowed = step is status or step in TRANSITIONS[status]
            if allowed:
                status = store.mark_intent("int-1", step, T0 + ts).status
            else:
                with pytest.raises(IntentTransitionError):
                    store.mark_intent("int-1", step, T0 + ts)
            assert store.intent("int-1").status is status
        assert (store.open_intents() == []) == (status is IntentStatus.RESOLVED)


def test_g2_resolved_is_the_only_terminal_status():
    terminal = {s for s, nexts in TRANSITIONS.items() if not nexts}

    assert terminal == {IntentStatus.RESOLVED}
    assert set(TRANSITIONS) == set(IntentStatus)


def test_g2_every_status_is_reachable_and_every_status_can_reach_resolved():
    reachable, frontier = {IntentStatus.RECORDED}, [IntentStatus.RECORDED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()] - reachable:
            reachable.add(nxt)
            frontier.append(nxt)
    can_resolve = {IntentStatus.RESOLVED}
    for _ in IntentStatus:
        can_resolve |= {s for s, nexts in TRANSITIONS.items() if nexts & can_resolve}

    assert reachable == set(IntentStatus)
    assert can_resolve == set(IntentStatus)
