"""Guards of both machines: pure functions of a ``MachineContext`` returning a ``Denial``.

``None`` means the guard passes. Guards never raise and never change anything.
"""

from __future__ import annotations

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import Denial, ReasonCode

CALM_WINDOW_MS = 5 * 60_000  # SPEC E4: 5 consecutive calm minutes
STOP_CONFIRM_TRIES = 3  # SPEC G8: unconfirmed after 3 tries (5 s apart) → ERROR


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
    until = ctx.cooldown_until_ms
    if until is None or ctx.now_ms < until:
        left = None if until is None else until - ctx.now_ms
        return Denial(ReasonCode.COOLDOWN_NOT_ELAPSED, {"remaining_ms": left})
    return None


def reset_reason_given(ctx) -> Denial | None:
    """E5: a manual reset must say why (recorded in the halt log)."""
    if not ctx.reset_reason.strip():
        return Denial(ReasonCode.RESET_REASON_MISSING, {})
    return None


def stop_failure_confirmed(ctx) -> Denial | None:
    """G8: PENDING → ERROR when the stop was rejected or is unconfirmed after 3 tries."""
    if ctx.stop_rejected or ctx.stop_tries >= STOP_CONFIRM_TRIES:
        return None
    return Denial(
        ReasonCode.STOP_NOT_FAILED,
        {"rejected": ctx.stop_rejected, "tries": ctx.stop_tries, "need_tries": STOP_CONFIRM_TRIES},
    )


def backoff_elapsed(ctx) -> Denial | None:
    """G8: ERROR → PENDING retries only after the backoff delay."""
    at = ctx.stop_retry_at_ms
    if at is not None and ctx.now_ms < at:
        return Denial(ReasonCode.BACKOFF_NOT_ELAPSED, {"remaining_ms": at - ctx.now_ms})
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
        stop_failure_confirmed,
        backoff_elapsed,
    )
}
