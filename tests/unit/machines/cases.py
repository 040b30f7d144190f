"""Hand-written transition cases for both machines, keyed by the transition they exercise.

A transition is ``(machine, source, event, target, guards)`` — ``guards`` joined by ``+``, so
two branches of one event between the same states (the ``tick`` branches of CLOSING) are told
apart. ``PASS`` has one case per declared transition: a context under which that branch is
the one taken (earlier branches of the event refuse, this one's guards pass). ``REFUSE`` has
one case per (transition, guard): a context under which that guard refuses, and what happens
instead — a refusal with its reason, or another branch (``lands_in`` with its effects).
``test_meta`` checks both tables cover exactly the transitions derived from the machine classes.
"""

from __future__ import annotations

from dataclasses import dataclass

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.machines.context import MachineContext

NOW = 1_700_000_000_000
MIN = 60_000
SEC = 1_000


def ctx(**kw) -> MachineContext:
    return MachineContext(now_ms=NOW, **kw)


OPEN = {"position_contracts": 25}
FLAT = {"position_contracts": 0}
ACCEPTED = {"entry_evaluated": True, "entry_denial": None}
CALM = {"halt_kind": HaltKind.TEMPORARY, "calm_since_ms": NOW - 5 * MIN}
COOLED = {"cooldown_until_ms": NOW - 1}
REASON = {"reset_reason": "liquidation warning checked by hand; margin added"}
# stop_status facts
LONG_UNPROTECTED = {"unprotected_since_ms": NOW - 10 * SEC}  # G8: 10 s without ACTIVE
FRESH = {"unprotected_since_ms": NOW - 1 * SEC, "stop_pending_since_ms": NOW - 1 * SEC}
DUE = {"unprotected_since_ms": NOW - 5 * SEC, "stop_pending_since_ms": NOW - 5 * SEC}
BEYOND = {"mark_beyond_trigger": True}
BACKOFF = {"stop_retry_at_ms": NOW + 5 * SEC}
RETRY_DUE = {"close_retry_at_ms": NOW}
HALTED = {"stop_halt_raised": True}


@dataclass(frozen=True)
class PassCase:
    rule: str  # SPEC rule ids the transition implements
    ctx: MachineContext


@dataclass(frozen=True)
class RefuseCase:
    rule: str
    ctx: MachineContext
    reason: ReasonCode | None  # the denial expected when the machine refuses
    lands_in: str | None = None  # when another branch of the same event is taken instead
    effects: tuple[str, ...] = ()  # the effects of that other branch


M, S = "main", "stop_status"

PASS: dict[tuple[str, str, str, str, str], PassCase] = {
    (M, "FLAT", "entry_placed", "ENTRY_PENDING", "entry_accepted"): PassCase(
        "D1-D8", ctx(**ACCEPTED)
    ),
    (M, "FLAT", "halt_raised", "HALT", ""): PassCase("E1", ctx()),
    (M, "FLAT", "resynced", "IN_POSITION", "position_open"): PassCase("F5", ctx(**OPEN)),
    (M, "ENTRY_PENDING", "entry_filled", "IN_POSITION", "position_open"): PassCase(
        "G5", ctx(**OPEN)
    ),
    (M, "ENTRY_PENDING", "entry_ended", "FLAT", "position_flat"): PassCase("G3", ctx(**FLAT)),
    (M, "ENTRY_PENDING", "entry_ended", "IN_POSITION", "position_open"): PassCase(
        "G5", ctx(**OPEN)
    ),
    (M, "ENTRY_PENDING", "halt_raised", "HALT", ""): PassCase("E7", ctx()),
    (M, "ENTRY_PENDING", "resynced", "IN_POSITION", "position_open"): PassCase("F5", ctx(**OPEN)),
    (M, "ENTRY_PENDING", "resynced", "FLAT", "position_flat"): PassCase("F5", ctx(**FLAT)),
    (M, "IN_POSITION", "exit_started", "EXIT_PENDING", ""): PassCase("G9", ctx(**OPEN)),
    (M, "IN_POSITION", "halt_raised", "HALT", ""): PassCase("E7", ctx(**OPEN)),
    (M, "IN_POSITION", "resynced", "FLAT", "position_flat"): PassCase("F5", ctx(**FLAT)),
    (M, "EXIT_PENDING", "position_closed", "FLAT", "position_flat"): PassCase("G9", ctx(**FLAT)),
    (M, "EXIT_PENDING", "exit_aborted", "IN_POSITION", "position_open"): PassCase(
        "G9", ctx(**OPEN)
    ),
    (M, "EXIT_PENDING", "halt_raised", "HALT", ""): PassCase("E7", ctx(**OPEN)),
    (M, "EXIT_PENDING", "resynced", "IN_POSITION", "position_open"): PassCase("F5", ctx(**OPEN)),
    (M, "EXIT_PENDING", "resynced", "FLAT", "position_flat"): PassCase("F5", ctx(**FLAT)),
    (M, "HALT", "halt_raised", "HALT", ""): PassCase("E5", ctx()),
    (M, "HALT", "tick", "COOLDOWN", "halt_is_temporary+calm_long_enough"): PassCase(
        "E4", ctx(**CALM)
    ),
    (M, "HALT", "tick", "HALT", ""): PassCase("E4 E5", ctx(halt_kind=HaltKind.MANUAL)),
    (M, "HALT", "reset", "IN_POSITION", "reset_reason_given+position_open"): PassCase(
        "E5 E7", ctx(**REASON, **OPEN)
    ),
    (M, "HALT", "reset", "FLAT", "reset_reason_given+position_flat"): PassCase(
        "E5 E7", ctx(**REASON, **FLAT)
    ),
    (M, "COOLDOWN", "halt_raised", "HALT", ""): PassCase("E1", ctx()),
    (M, "COOLDOWN", "tick", "IN_POSITION", "cooldown_over+position_open"): PassCase(
        "E4 E7", ctx(**COOLED, **OPEN)
    ),
    (M, "COOLDOWN", "tick", "FLAT", "cooldown_over+position_flat"): PassCase(
        "E4 E7", ctx(**COOLED, **FLAT)
    ),
    (M, "COOLDOWN", "tick", "COOLDOWN", ""): PassCase("E4", ctx(cooldown_until_ms=NOW + MIN)),
    # ------------------------------------------------------------------ stop_status (G6-G8)
    (S, "NO_POSITION", "position_opened", "CLOSING", "position_open+mark_beyond_trigger"): (
        PassCase("G6", ctx(**OPEN, **BEYOND))
    ),
    (S, "NO_POSITION", "position_opened", "PENDING", "position_open"): PassCase(
        "G5 G6", ctx(**OPEN)
    ),
    (S, "PENDING", "stop_confirmed", "ACTIVE", ""): PassCase("G8", ctx(**OPEN)),
    (S, "PENDING", "amend_refused", "ACTIVE", "amend_in_flight"): PassCase(
        "G7", ctx(**OPEN, amend_in_flight=True, stop_worked=True)
    ),
    (S, "PENDING", "stop_ended", "ERROR", "place_refused"): PassCase(
        "G8", ctx(**OPEN, stop_rejected=True)
    ),
    (S, "PENDING", "stop_ended", "MISSING", ""): PassCase("G8", ctx(**OPEN)),
    (S, "PENDING", "trigger_refused", "CLOSING", "position_open"): PassCase("G6", ctx(**OPEN)),
    (S, "PENDING", "tick", "CLOSING", "unprotected_too_long"): PassCase(
        "G8", ctx(**OPEN, **LONG_UNPROTECTED)
    ),
    (S, "PENDING", "tick", "PENDING", "confirm_due"): PassCase("G8 F4", ctx(**OPEN, **DUE)),
    (S, "PENDING", "tick", "PENDING", ""): PassCase("G8", ctx(**OPEN, **FRESH)),
    (S, "PENDING", "position_gone", "NO_POSITION", "position_flat"): PassCase("G9", ctx(**FLAT)),
    (S, "ACTIVE", "amend_sent", "PENDING", ""): PassCase("G7 G8", ctx(**OPEN)),
    (S, "ACTIVE", "stop_ended", "MISSING", ""): PassCase("G8", ctx(**OPEN)),
    (S, "ACTIVE", "position_gone", "NO_POSITION", "position_flat"): PassCase("G9", ctx(**FLAT)),
    (S, "MISSING", "tick", "CLOSING", "unprotected_too_long"): PassCase(
        "G8", ctx(**OPEN, **LONG_UNPROTECTED)
    ),
    (S, "MISSING", "tick", "CLOSING", "mark_beyond_trigger"): PassCase(
        "G6 G8", ctx(**OPEN, **BEYOND)
    ),
    (S, "MISSING", "tick", "PENDING", ""): PassCase("G8", ctx(**OPEN)),
    (S, "MISSING", "position_gone", "NO_POSITION", "position_flat"): PassCase("G9", ctx(**FLAT)),
    (S, "ERROR", "tick", "CLOSING", "unprotected_too_long"): PassCase(
        "G8", ctx(**OPEN, **LONG_UNPROTECTED)
    ),
    (S, "ERROR", "tick", "CLOSING", "backoff_elapsed+mark_beyond_trigger"): PassCase(
        "G6 G8", ctx(**OPEN, **BEYOND)
    ),
    (S, "ERROR", "tick", "PENDING", "backoff_elapsed"): PassCase("G8", ctx(**OPEN)),
    (S, "ERROR", "tick", "ERROR", ""): PassCase("G8", ctx(**OPEN, **BACKOFF)),
    (S, "ERROR", "position_gone", "NO_POSITION", "position_flat"): PassCase("G9", ctx(**FLAT)),
    (S, "CLOSING", "close_failed", "CLOSING", ""): PassCase("G8", ctx(**OPEN)),
    (S, "CLOSING", "tick", "CLOSING", "unprotected_too_long+halt_not_raised"): PassCase(
        "G8", ctx(**OPEN, **LONG_UNPROTECTED)
    ),
    (S, "CLOSING", "tick", "CLOSING", "close_retry_due"): PassCase(
        "G8", ctx(**OPEN, **LONG_UNPROTECTED, **HALTED, **RETRY_DUE)
    ),
    (S, "CLOSING", "tick", "CLOSING", ""): PassCase("G8", ctx(**OPEN, **FRESH)),
    (S, "CLOSING", "position_gone", "NO_POSITION", "position_flat"): PassCase("G9", ctx(**FLAT)),
}

_GATE_DENIAL = Denial(ReasonCode.VOLATILITY_TOO_LOW, {"atr_pct_24h": "0.02", "need": "0.03"})
R = RefuseCase

# key: (machine, source, event, target, guards, refusing guard)
REFUSE: dict[tuple[str, str, str, str, str, str], RefuseCase] = {
    (M, "FLAT", "entry_placed", "ENTRY_PENDING", "entry_accepted", "entry_accepted"): R(
        "D2", ctx(entry_evaluated=True, entry_denial=_GATE_DENIAL), ReasonCode.ENTRY_NOT_ACCEPTED
    ),
    (M, "FLAT", "resynced", "IN_POSITION", "position_open", "position_open"): R(
        "F5", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    (M, "ENTRY_PENDING", "entry_filled", "IN_POSITION", "position_open", "position_open"): R(
        "G5", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    (M, "ENTRY_PENDING", "entry_ended", "FLAT", "position_flat", "position_flat"): R(
        "G5", ctx(**OPEN), None, lands_in="IN_POSITION"
    ),
    (M, "ENTRY_PENDING", "entry_ended", "IN_POSITION", "position_open", "position_open"): R(
        "G3", ctx(**FLAT), None, lands_in="FLAT"
    ),
    (M, "ENTRY_PENDING", "resynced", "IN_POSITION", "position_open", "position_open"): R(
        "F5", ctx(**FLAT), None, lands_in="FLAT"
    ),
    (M, "ENTRY_PENDING", "resynced", "FLAT", "position_flat", "position_flat"): R(
        "F5", ctx(**OPEN), None, lands_in="IN_POSITION"
    ),
    (M, "IN_POSITION", "resynced", "FLAT", "position_flat", "position_flat"): R(
        "F5", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    (M, "EXIT_PENDING", "position_closed", "FLAT", "position_flat", "position_flat"): R(
        "G9", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    (M, "EXIT_PENDING", "exit_aborted", "IN_POSITION", "position_open", "position_open"): R(
        "G9", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    (M, "EXIT_PENDING", "resynced", "IN_POSITION", "position_open", "position_open"): R(
        "F5", ctx(**FLAT), None, lands_in="FLAT"
    ),
    (M, "EXIT_PENDING", "resynced", "FLAT", "position_flat", "position_flat"): R(
        "F5", ctx(**OPEN), None, lands_in="IN_POSITION"
    ),
    (M, "HALT", "tick", "COOLDOWN", "halt_is_temporary+calm_long_enough", "halt_is_temporary"): R(
        "E5", ctx(halt_kind=HaltKind.MANUAL, calm_since_ms=NOW - 60 * MIN), None, lands_in="HALT"
    ),
    (M, "HALT", "tick", "COOLDOWN", "halt_is_temporary+calm_long_enough", "calm_long_enough"): R(
        "E4",
        ctx(halt_kind=HaltKind.TEMPORARY, calm_since_ms=NOW - 5 * MIN + 1),
        None,
        lands_in="HALT",
    ),
    (M, "HALT", "reset", "IN_POSITION", "reset_reason_given+position_open", "reset_reason_given"): R(
        "E5", ctx(reset_reason="  ", **OPEN), ReasonCode.RESET_REASON_MISSING
    ),
    (M, "HALT", "reset", "IN_POSITION", "reset_reason_given+position_open", "position_open"): R(
        "E7", ctx(**REASON, **FLAT), None, lands_in="FLAT"
    ),
    (M, "HALT", "reset", "FLAT", "reset_reason_given+position_flat", "reset_reason_given"): R(
        "E5", ctx(**REASON, reset_who=" ", **FLAT), ReasonCode.RESET_REASON_MISSING
    ),
    (M, "HALT", "reset", "FLAT", "reset_reason_given+position_flat", "position_flat"): R(
        "E7", ctx(**REASON, **OPEN), None, lands_in="IN_POSITION"
    ),
    (M, "COOLDOWN", "tick", "IN_POSITION", "cooldown_over+position_open", "cooldown_over"): R(
        "E4", ctx(cooldown_until_ms=NOW + 1, **OPEN), None, lands_in="COOLDOWN"
    ),
    (M, "COOLDOWN", "tick", "IN_POSITION", "cooldown_over+position_open", "position_open"): R(
        "E7", ctx(**COOLED, **FLAT), None, lands_in="FLAT", effects=("lift_halt",)
    ),
    (M, "COOLDOWN", "tick", "FLAT", "cooldown_over+position_flat", "cooldown_over"): R(
        "E4", ctx(cooldown_until_ms=NOW + 30 * MIN, **FLAT), None, lands_in="COOLDOWN"
    ),
    (M, "COOLDOWN", "tick", "FLAT", "cooldown_over+position_flat", "position_flat"): R(
        "E7", ctx(**COOLED, **OPEN), None, lands_in="IN_POSITION", effects=("lift_halt",)
    ),
    # ------------------------------------------------------------------ stop_status (G6-G8)
    (
        S, "NO_POSITION", "position_opened", "CLOSING",
        "position_open+mark_beyond_trigger", "position_open",
    ): R("G6", ctx(**FLAT, **BEYOND), ReasonCode.NO_POSITION),
    (
        S, "NO_POSITION", "position_opened", "CLOSING",
        "position_open+mark_beyond_trigger", "mark_beyond_trigger",
    ): R("G6", ctx(**OPEN), None, lands_in="PENDING", effects=("place_stop",)),
    (S, "NO_POSITION", "position_opened", "PENDING", "position_open", "position_open"): R(
        "G6", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    (S, "PENDING", "amend_refused", "ACTIVE", "amend_in_flight", "amend_in_flight"): R(
        "G7", ctx(**OPEN, amend_in_flight=False), ReasonCode.NO_AMEND_IN_FLIGHT
    ),
    (S, "PENDING", "stop_ended", "ERROR", "place_refused", "place_refused"): R(
        "G8", ctx(**OPEN, stop_rejected=True, stop_worked=True), None, lands_in="MISSING"
    ),
    (S, "PENDING", "trigger_refused", "CLOSING", "position_open", "position_open"): R(
        "G6", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    (S, "PENDING", "tick", "CLOSING", "unprotected_too_long", "unprotected_too_long"): R(
        "G8", ctx(**OPEN, **FRESH), None, lands_in="PENDING"
    ),
    (S, "PENDING", "tick", "PENDING", "confirm_due", "confirm_due"): R(
        "G8 F4", ctx(**OPEN, **FRESH), None, lands_in="PENDING"
    ),
    (S, "PENDING", "position_gone", "NO_POSITION", "position_flat", "position_flat"): R(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    (S, "ACTIVE", "position_gone", "NO_POSITION", "position_flat", "position_flat"): R(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    (S, "MISSING", "tick", "CLOSING", "unprotected_too_long", "unprotected_too_long"): R(
        "G8", ctx(**OPEN, **FRESH), None, lands_in="PENDING", effects=("place_stop",)
    ),
    (S, "MISSING", "tick", "CLOSING", "mark_beyond_trigger", "mark_beyond_trigger"): R(
        "G6", ctx(**OPEN), None, lands_in="PENDING", effects=("place_stop",)
    ),
    (S, "MISSING", "position_gone", "NO_POSITION", "position_flat", "position_flat"): R(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    (S, "ERROR", "tick", "CLOSING", "unprotected_too_long", "unprotected_too_long"): R(
        "G8", ctx(**OPEN, **FRESH, **BACKOFF), None, lands_in="ERROR"
    ),
    (
        S, "ERROR", "tick", "CLOSING", "backoff_elapsed+mark_beyond_trigger", "backoff_elapsed",
    ): R("G8", ctx(**OPEN, **BEYOND, **BACKOFF), None, lands_in="ERROR"),
    (
        S, "ERROR", "tick", "CLOSING", "backoff_elapsed+mark_beyond_trigger",
        "mark_beyond_trigger",
    ): R("G6", ctx(**OPEN), None, lands_in="PENDING", effects=("place_stop",)),
    (S, "ERROR", "tick", "PENDING", "backoff_elapsed", "backoff_elapsed"): R(
        "G8", ctx(**OPEN, **BACKOFF), None, lands_in="ERROR"
    ),
    (S, "ERROR", "position_gone", "NO_POSITION", "position_flat", "position_flat"): R(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    (
        S, "CLOSING", "tick", "CLOSING",
        "unprotected_too_long+halt_not_raised", "unprotected_too_long",
    ): R("G8", ctx(**OPEN, **FRESH, **RETRY_DUE), None, "CLOSING", ("retry_close",)),
    (
        S, "CLOSING", "tick", "CLOSING", "unprotected_too_long+halt_not_raised", "halt_not_raised",
    ): R("G8", ctx(**OPEN, **LONG_UNPROTECTED, **HALTED), None, lands_in="CLOSING"),
    (S, "CLOSING", "tick", "CLOSING", "close_retry_due", "close_retry_due"): R(
        "G8", ctx(**OPEN, **FRESH), None, lands_in="CLOSING"
    ),
    (S, "CLOSING", "position_gone", "NO_POSITION", "position_flat", "position_flat"): R(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
}  # fmt: skip
