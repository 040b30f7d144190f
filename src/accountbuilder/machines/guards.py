"""Guards of both machines: pure functions of a ``MachineContext`` returning a ``Denial``.

``None`` means the guard passes. Guards never raise and never change anything.
"""

from __future__ import annotations

from accountbuilder.constants import STOP_MISSING_MAX_MS  # G8's 10 s: an invariant
from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import Denial, ReasonCode

CALM_WINDOW_MS = 5 * 60_000  # SPEC E4: 5 consecutive calm minutes
STOP_CONFIRM_INTERVAL_MS = 5_000  # SPEC G8/F4: look an unconfirmed stop up every 5 s


def entry_accepted(ctx) -> Denial | None:
    """FLAT → ENTRY_PENDING only with an accepting gate-chain decision (SPEC D)."""
    if not ctx.entry_evaluated:
        return Denial(ReasonCode.ENTRY_NOT_ACCEPTED, {"evaluated": False})
    if ctx.entry_denial is not None:
        return Denial(ReasonCode.ENTRY_NOT_ACCEPTED, {"gate": ctx.entry_denial.reason.value})
    return None


def position_open(ctx) -> Denial | None:
    """The exchange reports a position (SPEC E7: land in the state that matches it)."""
    if ctx.position_contracts <= 0:
        return Denial(ReasonCode.NO_POSITION, {"contracts": ctx.position_contracts})
    return None


def position_flat(ctx) -> Denial | None:
    """The exchange confirms size 0 (SPEC G9, E7)."""
    if ctx.position_contracts != 0:
        return Denial(ReasonCode.POSITION_STILL_OPEN, {"contracts": ctx.position_contracts})
    return None


def halt_is_temporary(ctx) -> Denial | None:
    """Only a temporary HALT recovers by itself (SPEC E4, E5)."""
    if ctx.halt_kind is not HaltKind.TEMPORARY:
        kind = ctx.halt_kind.value if ctx.halt_kind else "none"
        return Denial(ReasonCode.HALT_IS_MANUAL, {"kind": kind})
    return None


def calm_long_enough(ctx) -> Denial | None:
    """E4: drop_1m > −5% and drop_5m > −10% for 5 consecutive minutes."""
    if ctx.calm_since_ms is None:
        return Denial(ReasonCode.NOT_CALM_LONG_ENOUGH, {"calm_ms": 0, "need_ms": CALM_WINDOW_MS})
    calm_ms = ctx.now_ms - ctx.calm_since_ms
    if calm_ms < CALM_WINDOW_MS:
        return Denial(
            ReasonCode.NOT_CALM_LONG_ENOUGH, {"calm_ms": calm_ms, "need_ms": CALM_WINDOW_MS}
        )
    return None


def cooldown_over(ctx) -> Denial | None:
    """E4: the 30-minute COOLDOWN (or F5's pause) has run out."""
    return _unless_due(ctx.now_ms, ctx.cooldown_until_ms, ReasonCode.COOLDOWN_NOT_ELAPSED)


def reset_reason_given(ctx) -> Denial | None:
    """E5: a manual reset must say why and who (both recorded in the halt log)."""
    if not ctx.reset_reason.strip():
        return Denial(ReasonCode.RESET_REASON_MISSING, {"field": "reason"})
    if not ctx.reset_who.strip():
        return Denial(ReasonCode.RESET_REASON_MISSING, {"field": "who"})
    return None


def backoff_elapsed(ctx) -> Denial | None:
    """G8: ERROR → PENDING retries only after the backoff delay."""
    at = ctx.stop_retry_at_ms
    if at is not None and ctx.now_ms < at:
        return Denial(ReasonCode.BACKOFF_NOT_ELAPSED, {"remaining_ms": at - ctx.now_ms})
    return None


def _pending_ms(ctx) -> int:
    since = ctx.stop_pending_since_ms
    return 0 if since is None else ctx.now_ms - since


def unprotected_too_long(ctx) -> Denial | None:
    """G8: a position without an ACTIVE stop for 10 s is closed and HALTed."""
    since = ctx.unprotected_since_ms
    left = STOP_MISSING_MAX_MS if since is None else STOP_MISSING_MAX_MS - (ctx.now_ms - since)
    if ctx.position_contracts <= 0 or left > 0:
        return Denial(
            ReasonCode.PROTECTED_LONG_ENOUGH,
            {"unprotected_ms": STOP_MISSING_MAX_MS - left, "limit_ms": STOP_MISSING_MAX_MS},
        )
    return None


def confirm_due(ctx) -> Denial | None:
    """G8/F4: an unconfirmed stop is looked up every 5 s (the ack is not evidence)."""
    due = STOP_CONFIRM_INTERVAL_MS * (ctx.stop_tries + 1)
    if _pending_ms(ctx) < due:
        return Denial(ReasonCode.CONFIRM_NOT_DUE, {"pending_ms": _pending_ms(ctx), "due_ms": due})
    return None


def mark_beyond_trigger(ctx) -> Denial | None:
    """G6: the mark is already beyond the trigger: close at once instead of placing."""
    if not ctx.mark_beyond_trigger:
        return Denial(ReasonCode.MARK_NOT_BEYOND_TRIGGER, {})
    return None


def place_refused(ctx) -> Denial | None:
    """G8: a stop that never worked and is refused goes to ERROR (retry with backoff);
    a cancelled or deactivated one, or one that worked, is MISSING (re-placed at once)."""
    if not ctx.stop_rejected:
        return Denial(ReasonCode.STOP_NOT_FAILED, {"rejected": False})
    if ctx.stop_worked:
        return Denial(ReasonCode.STOP_WORKED, {"worked": True})
    return None


def amend_in_flight(ctx) -> Denial | None:
    """G7: a refused amend leaves the old (working) stop in place: back to ACTIVE."""
    if not (ctx.amend_in_flight and ctx.stop_worked):
        return Denial(ReasonCode.NO_AMEND_IN_FLIGHT, {"worked": ctx.stop_worked})
    return None


def close_retry_due(ctx) -> Denial | None:
    """G8: a refused close is retried after its backoff (the 10-second rule keeps running)."""
    return _unless_due(ctx.now_ms, ctx.close_retry_at_ms, ReasonCode.CLOSE_RETRY_NOT_DUE)


def halt_not_raised(ctx) -> Denial | None:
    """G8: the 10-second rule raises its manual HALT once per position."""
    if ctx.stop_halt_raised:
        return Denial(ReasonCode.ALREADY_HALTED, {})
    return None


GUARDS = {
    f.__name__: f
    for f in (
        entry_accepted,
        position_open,
        position_flat,
        halt_is_temporary,
        calm_long_enough,
        cooldown_over,
        reset_reason_given,
        backoff_elapsed,
        unprotected_too_long,
        confirm_due,
        mark_beyond_trigger,
        place_refused,
        amend_in_flight,
        close_retry_due,
        halt_not_raised,
    )
}


def _unless_due(now_ms: int, due_ms: int | None, code: ReasonCode) -> Denial | None:
    """Denied until a set time has come (no time set: not due either)."""
    if due_ms is None or now_ms < due_ms:
        left = None if due_ms is None else due_ms - now_ms
        return Denial(code, {"remaining_ms": left})
    return None
