"""Typed seams between the core and the runner: request ids and failure kinds (SPEC G2).

Every command names its ``RequestId``: what it does (place, amend, cancel, lookup …), the
client id of the order it acts on, and a sequence number for repeated requests. The core
dispatches on these fields; nothing builds an id by string formatting in one module and
parses it back in another. ``str(request)`` is only for logs and the audit trail.

A failed request carries a ``FailureKind``, mapped once from the port's typed errors at the
executor boundary, and classified: a *definite* refusal (the exchange answered no), an
*ambiguous* outcome (the order may exist: look it up before anything else, G2), or *not
sent* (nothing left the process).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RequestKind(StrEnum):
    PLACE = "place"
    AMEND = "amend"
    CANCEL = "cancel"
    LOOKUP = "lookup"
    RECONCILE = "reconcile"
    LEVERAGE = "leverage"


class Purpose(StrEnum):
    """Why a cancel or amend was asked for (audit and the core's bookkeeping)."""

    NONE = ""
    SYNC = "sync"  # G5/G7/G9: a qty resize
    TIMEOUT = "timeout"  # G3: the maker timeout
    SIGNAL_CHANGED = "signal"  # G3: the signal no longer stands
    HALT = "halt"  # E7: a HALT cancels entries
    LATENCY = "latency"  # E2
    SHUTDOWN = "shutdown"  # the runner stops
    FLAT = "flat"  # the position is gone: leftovers are cancelled
    DUPLICATE = "duplicate"  # a second working stop is cancelled (one stop only)
    BUDGET = "budget"  # C3: a stop moved toward the entry after a fill beyond the limit


@dataclass(frozen=True, slots=True)
class RequestId:
    """One request to the exchange. ``client_id`` is the order's ("" for account requests)."""

    kind: RequestKind
    client_id: str = ""
    seq: int = 0
    purpose: Purpose = Purpose.NONE

    def __str__(self) -> str:
        if self.kind is RequestKind.PLACE:
            return self.client_id
        tail = f":{self.purpose.value}" if self.purpose is not Purpose.NONE else ""
        return f"{self.client_id}:{self.kind.value}{self.seq or ''}{tail}"

    @classmethod
    def place(cls, client_id: str) -> RequestId:
        return cls(RequestKind.PLACE, client_id)

    @classmethod
    def lookup(cls, client_id: str) -> RequestId:
        return cls(RequestKind.LOOKUP, client_id)


class Outcome(StrEnum):
    DEFINITE = "definite"  # the exchange answered and refused
    AMBIGUOUS = "ambiguous"  # it may have taken effect: look it up (G2)
    NOT_SENT = "not_sent"  # nothing left the process


class FailureKind(StrEnum):
    """What went wrong with a request (mapped from ``exchange.errors`` in one place)."""

    REJECTED = "rejected"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"  # G3: counts as a maker timeout
    TRIGGER_WRONG_SIDE = "trigger_wrong_side"  # G6: the mark is already beyond the trigger
    REDUCE_ONLY_VIOLATION = "reduce_only_violation"
    ORDER_NOT_FOUND = "order_not_found"  # G7: an amend or cancel of a vanished order
    DUPLICATE_CLIENT_ID = "duplicate_client_id"  # G2: "already placed": look it up
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    UNAVAILABLE = "unavailable"  # nothing was changed (connection refused …)
    OUTCOME_UNKNOWN = "outcome_unknown"  # timeout, 5xx, unparsable: look it up (G2)
    MALFORMED = "malformed"  # an answer that cannot be read (E3)
    BUDGET_EXHAUSTED = "budget_exhausted"  # F1: never sent
    STORE_UNAVAILABLE = "store_unavailable"  # I4: not committed, so not sent (not protective)

    @property
    def outcome(self) -> Outcome:
        if self in _AMBIGUOUS:
            return Outcome.AMBIGUOUS
        if self in _NOT_SENT:
            return Outcome.NOT_SENT
        return Outcome.DEFINITE


# An unreadable answer to an order request may hide an accepted order (issue 15): ambiguous.
_AMBIGUOUS = frozenset(
    {FailureKind.OUTCOME_UNKNOWN, FailureKind.DUPLICATE_CLIENT_ID, FailureKind.MALFORMED}
)
_NOT_SENT = frozenset(
    {
        FailureKind.BUDGET_EXHAUSTED,
        FailureKind.RATE_LIMITED,
        FailureKind.UNAVAILABLE,
        FailureKind.STORE_UNAVAILABLE,
    }
)
