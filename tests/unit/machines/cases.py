"""Hand-written transition cases for both machines, keyed by the transition they exercise.

``PASS`` has one case per declared transition (source, event, target): a context under which
every guard passes. ``REFUSE`` has one case per (transition, guard): a context under which that
guard refuses, and what must happen instead. ``test_meta`` checks both tables cover exactly the
transitions derived from the machine classes.
"""

from __future__ import annotations

from dataclasses import dataclass

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.machines.context import MachineContext

NOW = 1_700_000_000_000
MIN = 60_000


def ctx(**kw) -> MachineContext:
    return MachineContext(now_ms=NOW, **kw)


OPEN = {"position_contracts": 25}
FLAT = {"position_contracts": 0}
ACCEPTED = {"entry_evaluated": True, "entry_denial": None}
CALM = {"halt_kind": HaltKind.TEMPORARY, "calm_since_ms": NOW - 5 * MIN}
COOLED = {"cooldown_until_ms": NOW - 1}
REASON = {"reset_reason": "liquidation warning checked by hand; margin added"}


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


# key: (machine, source, event, target)
PASS: dict[tuple[str, str, str, str], PassCase] = {
    ("main", "FLAT", "entry_placed", "ENTRY_PENDING"): PassCase("D1-D8", ctx(**ACCEPTED)),
    ("main", "FLAT", "halt_raised", "HALT"): PassCase("E1", ctx()),
    ("main", "FLAT", "resynced", "IN_POSITION"): PassCase("F5", ctx(**OPEN)),
    ("main", "ENTRY_PENDING", "entry_filled", "IN_POSITION"): PassCase("G5", ctx(**OPEN)),
    ("main", "ENTRY_PENDING", "entry_ended", "FLAT"): PassCase("G3", ctx(**FLAT)),
    ("main", "ENTRY_PENDING", "entry_ended", "IN_POSITION"): PassCase("G5", ctx(**OPEN)),
    ("main", "ENTRY_PENDING", "halt_raised", "HALT"): PassCase("E7", ctx()),
    ("main", "ENTRY_PENDING", "resynced", "IN_POSITION"): PassCase("F5", ctx(**OPEN)),
    ("main", "ENTRY_PENDING", "resynced", "FLAT"): PassCase("F5", ctx(**FLAT)),
    ("main", "IN_POSITION", "exit_started", "EXIT_PENDING"): PassCase("G9", ctx(**OPEN)),
    ("main", "IN_POSITION", "halt_raised", "HALT"): PassCase("E7", ctx(**OPEN)),
    ("main", "IN_POSITION", "resynced", "FLAT"): PassCase("F5", ctx(**FLAT)),
    ("main", "EXIT_PENDING", "position_closed", "FLAT"): PassCase("G9", ctx(**FLAT)),
    ("main", "EXIT_PENDING", "exit_aborted", "IN_POSITION"): PassCase("G9", ctx(**OPEN)),
    ("main", "EXIT_PENDING", "halt_raised", "HALT"): PassCase("E7", ctx(**OPEN)),
    ("main", "EXIT_PENDING", "resynced", "IN_POSITION"): PassCase("F5", ctx(**OPEN)),
    ("main", "EXIT_PENDING", "resynced", "FLAT"): PassCase("F5", ctx(**FLAT)),
    ("main", "HALT", "halt_raised", "HALT"): PassCase("E5", ctx()),
    ("main", "HALT", "calm_confirmed", "COOLDOWN"): PassCase("E4", ctx(**CALM)),
    ("main", "HALT", "reset", "IN_POSITION"): PassCase("E5 E7", ctx(**REASON, **OPEN)),
    ("main", "HALT", "reset", "FLAT"): PassCase("E5 E7", ctx(**REASON, **FLAT)),
    ("main", "COOLDOWN", "halt_raised", "HALT"): PassCase("E1", ctx()),
    ("main", "COOLDOWN", "cooldown_elapsed", "IN_POSITION"): PassCase(
        "E4 E7", ctx(**COOLED, **OPEN)
    ),
    ("main", "COOLDOWN", "cooldown_elapsed", "FLAT"): PassCase("E4 E7", ctx(**COOLED, **FLAT)),
    ("stop_status", "NO_POSITION", "stop_placed", "PENDING"): PassCase("G6 G8", ctx(**OPEN)),
    ("stop_status", "PENDING", "stop_confirmed", "ACTIVE"): PassCase("G8", ctx(**OPEN)),
    ("stop_status", "PENDING", "stop_lost", "MISSING"): PassCase("G7 G8", ctx(**OPEN)),
    ("stop_status", "PENDING", "stop_failed", "ERROR"): PassCase(
        "G8", ctx(**OPEN, stop_rejected=True)
    ),
    ("stop_status", "PENDING", "position_gone", "NO_POSITION"): PassCase("G9", ctx(**FLAT)),
    ("stop_status", "ACTIVE", "amend_sent", "PENDING"): PassCase("G7 G8", ctx(**OPEN)),
    ("stop_status", "ACTIVE", "stop_lost", "MISSING"): PassCase("G8", ctx(**OPEN)),
    ("stop_status", "ACTIVE", "position_gone", "NO_POSITION"): PassCase("G9", ctx(**FLAT)),
    ("stop_status", "MISSING", "stop_placed", "PENDING"): PassCase("G8", ctx(**OPEN)),
    ("stop_status", "MISSING", "position_gone", "NO_POSITION"): PassCase("G9", ctx(**FLAT)),
    ("stop_status", "ERROR", "stop_placed", "PENDING"): PassCase(
        "G8", ctx(**OPEN, stop_retry_at_ms=NOW)
    ),
    ("stop_status", "ERROR", "position_gone", "NO_POSITION"): PassCase("G9", ctx(**FLAT)),
}

_GATE_DENIAL = Denial(ReasonCode.VOLATILITY_TOO_LOW, {"atr_pct_24h": "0.02", "need": "0.03"})

# key: (machine, source, event, target, guard)
REFUSE: dict[tuple[str, str, str, str, str], RefuseCase] = {
    ("main", "FLAT", "entry_placed", "ENTRY_PENDING", "entry_accepted"): RefuseCase(
        "D2", ctx(entry_evaluated=True, entry_denial=_GATE_DENIAL), ReasonCode.ENTRY_NOT_ACCEPTED
    ),
    ("main", "FLAT", "resynced", "IN_POSITION", "position_open"): RefuseCase(
        "F5", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    ("main", "ENTRY_PENDING", "entry_filled", "IN_POSITION", "position_open"): RefuseCase(
        "G5", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    ("main", "ENTRY_PENDING", "entry_ended", "FLAT", "position_flat"): RefuseCase(
        "G5", ctx(**OPEN), None, lands_in="IN_POSITION"
    ),
    ("main", "ENTRY_PENDING", "entry_ended", "IN_POSITION", "position_open"): RefuseCase(
        "G3", ctx(**FLAT), None, lands_in="FLAT"
    ),
    ("main", "ENTRY_PENDING", "resynced", "IN_POSITION", "position_open"): RefuseCase(
        "F5", ctx(**FLAT), None, lands_in="FLAT"
    ),
    ("main", "ENTRY_PENDING", "resynced", "FLAT", "position_flat"): RefuseCase(
        "F5", ctx(**OPEN), None, lands_in="IN_POSITION"
    ),
    ("main", "IN_POSITION", "resynced", "FLAT", "position_flat"): RefuseCase(
        "F5", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    ("main", "EXIT_PENDING", "position_closed", "FLAT", "position_flat"): RefuseCase(
        "G9", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    ("main", "EXIT_PENDING", "exit_aborted", "IN_POSITION", "position_open"): RefuseCase(
        "G9", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    ("main", "EXIT_PENDING", "resynced", "IN_POSITION", "position_open"): RefuseCase(
        "F5", ctx(**FLAT), None, lands_in="FLAT"
    ),
    ("main", "EXIT_PENDING", "resynced", "FLAT", "position_flat"): RefuseCase(
        "F5", ctx(**OPEN), None, lands_in="IN_POSITION"
    ),
    ("main", "HALT", "calm_confirmed", "COOLDOWN", "halt_is_temporary"): RefuseCase(
        "E5",
        ctx(halt_kind=HaltKind.MANUAL, calm_since_ms=NOW - 60 * MIN),
        ReasonCode.HALT_IS_MANUAL,
    ),
    ("main", "HALT", "calm_confirmed", "COOLDOWN", "calm_long_enough"): RefuseCase(
        "E4",
        ctx(halt_kind=HaltKind.TEMPORARY, calm_since_ms=NOW - 5 * MIN + 1),
        ReasonCode.NOT_CALM_LONG_ENOUGH,
    ),
    ("main", "HALT", "reset", "IN_POSITION", "reset_reason_given"): RefuseCase(
        "E5", ctx(reset_reason="  ", **OPEN), ReasonCode.RESET_REASON_MISSING
    ),
    ("main", "HALT", "reset", "IN_POSITION", "position_open"): RefuseCase(
        "E7", ctx(**REASON, **FLAT), None, lands_in="FLAT"
    ),
    ("main", "HALT", "reset", "FLAT", "reset_reason_given"): RefuseCase(
        "E5", ctx(reset_reason="", **FLAT), ReasonCode.RESET_REASON_MISSING
    ),
    ("main", "HALT", "reset", "FLAT", "position_flat"): RefuseCase(
        "E7", ctx(**REASON, **OPEN), None, lands_in="IN_POSITION"
    ),
    ("main", "COOLDOWN", "cooldown_elapsed", "IN_POSITION", "cooldown_over"): RefuseCase(
        "E4", ctx(cooldown_until_ms=NOW + 1, **OPEN), ReasonCode.COOLDOWN_NOT_ELAPSED
    ),
    ("main", "COOLDOWN", "cooldown_elapsed", "IN_POSITION", "position_open"): RefuseCase(
        "E7", ctx(**COOLED, **FLAT), None, lands_in="FLAT"
    ),
    ("main", "COOLDOWN", "cooldown_elapsed", "FLAT", "cooldown_over"): RefuseCase(
        "E4", ctx(cooldown_until_ms=NOW + 30 * MIN, **FLAT), ReasonCode.COOLDOWN_NOT_ELAPSED
    ),
    ("main", "COOLDOWN", "cooldown_elapsed", "FLAT", "position_flat"): RefuseCase(
        "E7", ctx(**COOLED, **OPEN), None, lands_in="IN_POSITION"
    ),
    ("stop_status", "NO_POSITION", "stop_placed", "PENDING", "position_open"): RefuseCase(
        "G6", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    ("stop_status", "PENDING", "stop_failed", "ERROR", "stop_failure_confirmed"): RefuseCase(
        "G8", ctx(**OPEN, stop_tries=2), ReasonCode.STOP_NOT_FAILED
    ),
    ("stop_status", "PENDING", "position_gone", "NO_POSITION", "position_flat"): RefuseCase(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    ("stop_status", "ACTIVE", "position_gone", "NO_POSITION", "position_flat"): RefuseCase(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    ("stop_status", "MISSING", "stop_placed", "PENDING", "position_open"): RefuseCase(
        "G8", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    ("stop_status", "MISSING", "position_gone", "NO_POSITION", "position_flat"): RefuseCase(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
    ("stop_status", "ERROR", "stop_placed", "PENDING", "position_open"): RefuseCase(
        "G8", ctx(**FLAT), ReasonCode.NO_POSITION
    ),
    ("stop_status", "ERROR", "stop_placed", "PENDING", "backoff_elapsed"): RefuseCase(
        "G8", ctx(**OPEN, stop_retry_at_ms=NOW + 5_000), ReasonCode.BACKOFF_NOT_ELAPSED
    ),
    ("stop_status", "ERROR", "position_gone", "NO_POSITION", "position_flat"): RefuseCase(
        "G8", ctx(**OPEN), ReasonCode.POSITION_STILL_OPEN
    ),
}
