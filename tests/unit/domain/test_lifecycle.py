"""The order lifecycle table (SPEC G2, G8, F4; issue 13): every legal move written down."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import OrderStatus
from accountbuilder.domain.lifecycle import (
    FINAL_PHASES,
    LIVE_PHASES,
    TRANSITIONS,
    IllegalMove,
    OrderEvent,
    OrderPhase,
    PhaseMove,
    apply,
    evidence_event,
)

EVIDENCE = [e for e in OrderEvent if e.value.startswith("seen_")]


@pytest.mark.parametrize("final", sorted(FINAL_PHASES))
def test_g2_a_final_order_never_moves_to_another_phase(final):
    for event in OrderEvent:
        result = apply(final, event)
        assert isinstance(result, IllegalMove) or result.target is final


def test_g8_an_ack_is_never_evidence_of_a_working_order():
    assert apply(OrderPhase.INTENT, OrderEvent.ACCEPTED).target is OrderPhase.ACKED
    assert OrderPhase.ACKED.awaits_evidence
    assert apply(OrderPhase.ACKED, OrderEvent.SEEN_WORKING).target is OrderPhase.OPEN


def test_issue13_a_filled_order_seen_new_again_is_refused():
    # defect 3: a late ``New`` turned a FILLED tracked order back into OPEN
    result = apply(OrderPhase.FILLED, evidence_event(OrderStatus.NEW))

    assert isinstance(result, IllegalMove)
    assert "seen_working is not allowed in phase filled" in str(result)


def test_g8_a_working_order_rejected_afterwards_is_rejected():
    # defect 2: Rejected after the stop was confirmed
    assert apply(OrderPhase.OPEN, OrderEvent.SEEN_REJECTED).target is OrderPhase.REJECTED


def test_g2_ambiguous_and_restart_lead_to_unknown_and_a_lookup():
    assert apply(OrderPhase.INTENT, OrderEvent.AMBIGUOUS).target is OrderPhase.UNKNOWN
    for phase in (OrderPhase.INTENT, OrderPhase.ACKED, OrderPhase.UNKNOWN):
        assert apply(phase, OrderEvent.RESTARTED).target is OrderPhase.UNKNOWN
    assert apply(OrderPhase.UNKNOWN, OrderEvent.NOT_FOUND).target is OrderPhase.LOST


def test_g2_a_lost_order_may_surface_later_on_evidence():
    for event in EVIDENCE:
        assert isinstance(apply(OrderPhase.LOST, event), PhaseMove)


def test_every_status_bybit_sends_has_a_lifecycle_event():
    assert {evidence_event(s) for s in OrderStatus} <= set(EVIDENCE)


def test_every_phase_is_reachable_from_intent_and_every_live_phase_can_end():
    reachable, frontier = {OrderPhase.INTENT}, [OrderPhase.INTENT]
    while frontier:
        source = frontier.pop()
        for (phase, _), target in TRANSITIONS.items():
            if phase is source and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(OrderPhase)
    for live in LIVE_PHASES:
        assert any(t in FINAL_PHASES for (p, _), t in TRANSITIONS.items() if p is live)


@given(st.lists(st.sampled_from(list(OrderEvent)), max_size=30))
def test_issue13_property_no_sequence_of_events_moves_an_order_backward(events):
    phase = OrderPhase.INTENT
    for event in events:
        result = apply(phase, event)
        if isinstance(result, IllegalMove):
            continue  # refused: the phase stays
        if phase in FINAL_PHASES:
            assert result.target is phase
        if phase in (OrderPhase.OPEN, OrderPhase.TRIGGERED):
            assert result.target not in (OrderPhase.INTENT, OrderPhase.ACKED, OrderPhase.UNKNOWN)
        if phase is OrderPhase.TRIGGERED:
            assert result.target is not OrderPhase.OPEN  # a fired stop never rests again
        phase = result.target
