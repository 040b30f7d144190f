"""The order lifecycle (SPEC G2, G8, F4, I4): one table for every order the bot sends.

An order is born ``INTENT`` (committed to the store before it is sent, I4) and moves only
through ``apply(phase, event)`` over ``TRANSITIONS``. The store persists every accepted
change, so the runner re-derives nothing. Two kinds of events move it:

- the answer to the place request (``ACCEPTED`` / ``REFUSED`` / ``AMBIGUOUS`` / ``NOT_SENT``):
  an ack only says "accepted, processed asynchronously" and is never evidence of the order's
  state (G8: ``ACKED`` is not working);
- exchange evidence (``SEEN_*`` from the order stream or a REST read; ``NOT_FOUND`` from a
  lookup or a reconcile that does not find it).

A final order (filled, cancelled, rejected, dropped) never moves again: a late ``New`` of a
filled order is refused and logged, never applied. ``LOST`` is the one phase evidence may
revive: an order looked up and not found may still surface (Bybit processes asynchronously).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accountbuilder.domain.enums import OrderRole, OrderStatus
from accountbuilder.domain.models import OrderSpec


class OrderPhase(StrEnum):
    INTENT = "intent"  # committed, handed to the runner: it may or may not have gone out
    ACKED = "acked"  # the exchange accepted the request; its state not seen yet (F4: 5 s)
    UNKNOWN = "unknown"  # the outcome is ambiguous (timeout, 5xx, restart): look it up (G2)
    OPEN = "open"  # seen working: resting, untriggered or partially filled
    TRIGGERED = "triggered"  # a conditional order fired and is executing
    FILLED = "filled"
    CANCELLED = "cancelled"  # cancelled, deactivated, or partly filled and then cancelled
    REJECTED = "rejected"  # refused: by the answer, or by an order event after it
    DROPPED = "dropped"  # never sent (the F1 budget never let it out)
    LOST = "lost"  # looked up and not found, or gone from the book unseen

    @property
    def is_live(self) -> bool:
        """May still rest, fill or protect."""
        return self in LIVE_PHASES

    @property
    def is_final(self) -> bool:
        """Never moves again."""
        return self in FINAL_PHASES

    @property
    def awaits_evidence(self) -> bool:
        """Sent (or maybe sent) but not yet seen on the exchange (F4 lookup after 5 s)."""
        return self in (OrderPhase.INTENT, OrderPhase.ACKED, OrderPhase.UNKNOWN)


class OrderEvent(StrEnum):
    # --- the answer to the place request
    ACCEPTED = "accepted"  # ack: "accepted, processed asynchronously" — never evidence
    REFUSED = "refused"  # a definite rejection (a known error code)
    AMBIGUOUS = "ambiguous"  # timeout, disconnect, 5xx, unparsable answer: look it up
    NOT_SENT = "not_sent"  # the runner never sent it (F1 budget)
    RESTARTED = "restarted"  # found unresolved after a restart: look it up (G2)
    # --- requests on a live order (audit only: the phase does not change)
    AMEND_REQUESTED = "amend_requested"
    CANCEL_REQUESTED = "cancel_requested"
    # --- exchange evidence (order stream, REST read)
    SEEN_WORKING = "seen_working"  # New, PartiallyFilled, Untriggered
    SEEN_TRIGGERED = "seen_triggered"
    SEEN_FILLED = "seen_filled"
    SEEN_CANCELLED = "seen_cancelled"  # Cancelled, PartiallyFilledCanceled, Deactivated
    SEEN_REJECTED = "seen_rejected"
    NOT_FOUND = "not_found"  # a lookup or reconcile found no such working order


_P, _E = OrderPhase, OrderEvent
LIVE_PHASES = frozenset({_P.INTENT, _P.ACKED, _P.UNKNOWN, _P.OPEN, _P.TRIGGERED})
FINAL_PHASES = frozenset({_P.FILLED, _P.CANCELLED, _P.REJECTED, _P.DROPPED})
_UNSEEN = (_P.INTENT, _P.ACKED, _P.UNKNOWN, _P.LOST)  # not (or no longer) seen on the book
_FINAL_ORDER = (_P.FILLED, _P.CANCELLED, _P.REJECTED, _P.DROPPED)  # a fixed order (docs)


def _evidence() -> dict[tuple[OrderPhase, OrderEvent], OrderPhase]:
    table: dict[tuple[OrderPhase, OrderEvent], OrderPhase] = {}
    for source in (*_UNSEEN, _P.OPEN):
        table[(source, _E.SEEN_WORKING)] = _P.OPEN  # seen working (an update of an open order)
        table[(source, _E.SEEN_TRIGGERED)] = _P.TRIGGERED  # the stop fired
        table[(source, _E.SEEN_FILLED)] = _P.FILLED
        table[(source, _E.SEEN_CANCELLED)] = _P.CANCELLED
        table[(source, _E.SEEN_REJECTED)] = _P.REJECTED  # in any live phase, ACTIVE stop too (G8)
    # A triggered conditional order executes as a market order: New/PartiallyFilled again.
    table[(_P.TRIGGERED, _E.SEEN_WORKING)] = _P.TRIGGERED
    table[(_P.TRIGGERED, _E.SEEN_TRIGGERED)] = _P.TRIGGERED
    table[(_P.TRIGGERED, _E.SEEN_FILLED)] = _P.FILLED
    table[(_P.TRIGGERED, _E.SEEN_CANCELLED)] = _P.CANCELLED  # partly filled, rest cancelled
    table[(_P.TRIGGERED, _E.SEEN_REJECTED)] = (
        _P.REJECTED
    )  # e.g. margin short without closeOnTrigger
    return table


TRANSITIONS: dict[tuple[OrderPhase, OrderEvent], OrderPhase] = {
    # The place request's answer.
    (_P.INTENT, _E.ACCEPTED): _P.ACKED,  # accepted: wait for the stream (F4: look up after 5 s)
    (_P.INTENT, _E.REFUSED): _P.REJECTED,  # a definite refusal: nothing rests
    (_P.INTENT, _E.AMBIGUOUS): _P.UNKNOWN,  # look the client id up before anything else (G2)
    (_P.INTENT, _E.NOT_SENT): _P.DROPPED,  # the budget never let it out (F1)
    # An answer that comes after the evidence (the stream was faster) changes nothing.
    **{(p, _E.ACCEPTED): p for p in (_P.ACKED, _P.OPEN, _P.TRIGGERED, *_FINAL_ORDER)},
    **{(p, _E.AMBIGUOUS): p for p in (_P.OPEN, _P.TRIGGERED, *_FINAL_ORDER)},
    # A restart cannot know whether an unseen send went out: look it up (G2, I4).
    (_P.INTENT, _E.RESTARTED): _P.UNKNOWN,
    (_P.ACKED, _E.RESTARTED): _P.UNKNOWN,
    (_P.UNKNOWN, _E.RESTARTED): _P.UNKNOWN,
    # A lookup (or a reconcile's open-order list) that does not find it.
    (_P.ACKED, _E.NOT_FOUND): _P.LOST,
    (_P.UNKNOWN, _E.NOT_FOUND): _P.LOST,
    (_P.OPEN, _E.NOT_FOUND): _P.LOST,  # gone from the book while we were not looking
    (_P.TRIGGERED, _E.NOT_FOUND): _P.LOST,
    (_P.LOST, _E.NOT_FOUND): _P.LOST,
    # Amend and cancel requests: recorded against the order, the phase stays.
    **{(p, _E.AMEND_REQUESTED): p for p in (_P.OPEN, _P.ACKED)},
    **{
        (p, _E.CANCEL_REQUESTED): p
        for p in (_P.INTENT, _P.ACKED, _P.UNKNOWN, _P.OPEN, _P.TRIGGERED)
    },
    # Exchange evidence.
    **_evidence(),
    # The same final evidence twice (a replayed or duplicated event) is no move.
    (_P.FILLED, _E.SEEN_FILLED): _P.FILLED,
    (_P.CANCELLED, _E.SEEN_CANCELLED): _P.CANCELLED,
    (_P.REJECTED, _E.SEEN_REJECTED): _P.REJECTED,
    (_P.REJECTED, _E.SEEN_CANCELLED): _P.REJECTED,  # Bybit: a PostOnly refusal reads "Cancelled"
    (_P.CANCELLED, _E.NOT_FOUND): _P.CANCELLED,
    (_P.FILLED, _E.NOT_FOUND): _P.FILLED,
    (_P.REJECTED, _E.NOT_FOUND): _P.REJECTED,
    (_P.DROPPED, _E.NOT_FOUND): _P.DROPPED,
}

_STATUS_EVENT = {
    OrderStatus.NEW: OrderEvent.SEEN_WORKING,
    OrderStatus.PARTIALLY_FILLED: OrderEvent.SEEN_WORKING,
    OrderStatus.UNTRIGGERED: OrderEvent.SEEN_WORKING,
    OrderStatus.TRIGGERED: OrderEvent.SEEN_TRIGGERED,
    OrderStatus.FILLED: OrderEvent.SEEN_FILLED,
    OrderStatus.CANCELLED: OrderEvent.SEEN_CANCELLED,
    OrderStatus.PARTIALLY_FILLED_CANCELED: OrderEvent.SEEN_CANCELLED,
    OrderStatus.DEACTIVATED: OrderEvent.SEEN_CANCELLED,
    OrderStatus.REJECTED: OrderEvent.SEEN_REJECTED,
}


def evidence_event(status: OrderStatus) -> OrderEvent:
    """The lifecycle event of an order status the exchange showed (stream or REST read)."""
    return _STATUS_EVENT[status]


@dataclass(frozen=True, slots=True)
class PhaseMove:
    """An accepted ``(source, event) → target``; ``target == source`` for a no-op."""

    source: OrderPhase
    event: OrderEvent
    target: OrderPhase

    @property
    def changed(self) -> bool:
        return self.target is not self.source


@dataclass(frozen=True, slots=True)
class IllegalMove:
    """A ``(phase, event)`` the table does not allow (FILLED → OPEN …): refused, never applied."""

    source: OrderPhase
    event: OrderEvent

    def __str__(self) -> str:
        return f"{self.event.value} is not allowed in phase {self.source.value}"


def apply(phase: OrderPhase, event: OrderEvent) -> PhaseMove | IllegalMove:
    """The move ``event`` makes from ``phase``, or ``IllegalMove`` (the caller logs it)."""
    target = TRANSITIONS.get((phase, event))
    return IllegalMove(phase, event) if target is None else PhaseMove(phase, event, target)


@dataclass(frozen=True, slots=True)
class OrderTransition:
    """One accepted lifecycle change, as the store keeps it (``source`` None: created).

    ``spec`` is set on creation only: the order as committed before it is sent (I4).
    """

    client_id: str
    role: OrderRole
    source: OrderPhase | None
    target: OrderPhase
    event: OrderEvent | None
    detail: str
    ts_ms: int
    signal_id: str = ""
    spec: OrderSpec | None = None

    @classmethod
    def created(cls, spec: OrderSpec, signal_id: str, ts_ms: int) -> OrderTransition:
        return cls(
            spec.client_id,
            spec.role,
            None,
            OrderPhase.INTENT,
            None,
            "committed before the send (I4)",
            ts_ms,
            signal_id,
            spec,
        )
