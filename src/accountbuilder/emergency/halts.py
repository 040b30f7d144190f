"""HALT state and its pure transitions (SPEC E1-E7, F3): raise, escalate, E4 recovery, reset.

Phases: NORMAL -> HALT (kind temporary or manual) -> COOLDOWN (30 min, temporary halts only)
-> NORMAL. A manual reason escalates a temporary halt; nothing ever downgrades one. A manual
halt is left only by ``manual_reset`` (E5). A temporary halt moves to COOLDOWN after 5
consecutive calm minutes (E4): every tick that is not calm, and every halt finding, restarts
the 5 minutes. A reset never clears a condition that still holds: the next check raises the
halt again and its log entry says ``still_holds_after_reset``.

Every transition returns the new state and the ``HaltLogEntry`` values it produced
(``emergency.halt_log``); the store persists both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.emergency.actions import EntryBlock, halt_block
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder.emergency.rules import Finding

__all__ = [
    "CALM_WINDOW_MS",
    "COOLDOWN_MS",
    "HaltLogEntry",
    "HaltLogEvent",
    "HaltPhase",
    "HaltState",
    "manual_reset",
    "observe",
    "raise_halt",
    "step",
]

CALM_WINDOW_MS = 5 * 60_000  # SPEC E4: 5 consecutive calm minutes
COOLDOWN_MS = 30 * 60_000  # SPEC E4: then COOLDOWN 30 min

Transition = tuple["HaltState", tuple[HaltLogEntry, ...]]


class HaltPhase(StrEnum):
    NORMAL = "normal"
    HALT = "halt"
    COOLDOWN = "cooldown"


@dataclass(frozen=True, slots=True)
class HaltState:
    """The halt as persisted (SPEC I4). ``reasons`` keeps the order they were raised in.

    In COOLDOWN ``reasons`` still names what the cooldown follows; ``reset_at_ms`` is set only
    between a manual reset and the next check.
    """

    phase: HaltPhase = HaltPhase.NORMAL
    kind: HaltKind | None = None
    reasons: tuple[ReasonCode, ...] = ()
    since_ms: int | None = None
    calm_since_ms: int | None = None
    cooldown_until_ms: int | None = None
    reset_at_ms: int | None = None

    def __post_init__(self) -> None:
        problem = _inconsistency(self)
        if problem:
            raise ValueError(f"inconsistent HaltState ({problem}): {self!r}")

    @property
    def halted(self) -> bool:
        return self.phase is HaltPhase.HALT

    @property
    def primary_reason(self) -> ReasonCode | None:
        return self.reasons[0] if self.reasons else None

    def entry_denial(self, now_ms: int) -> Denial | None:
        """D6: entries are refused in HALT and in COOLDOWN."""
        if self.phase is HaltPhase.HALT:
            figures = {"kind": self.kind.value, "reasons": _names(self.reasons)}  # type: ignore[union-attr]
            return Denial(ReasonCode.HALTED, figures | {"since_ms": self.since_ms})
        if self.phase is HaltPhase.COOLDOWN:
            left = self.cooldown_until_ms - now_ms  # type: ignore[operator]
            return Denial(ReasonCode.COOLDOWN, {"remaining_ms": max(left, 0)})
        return None

    def block(self) -> EntryBlock | None:
        """What the halt does to the entry side (E7); COOLDOWN only blocks until it ends."""
        if self.phase is HaltPhase.HALT:
            return halt_block(self.reasons[0])
        if self.phase is HaltPhase.COOLDOWN:
            return EntryBlock(ReasonCode.COOLDOWN, self.cooldown_until_ms, False, "COOLDOWN over")
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value,
            "kind": None if self.kind is None else self.kind.value,
            "reasons": [r.value for r in self.reasons],
            "since_ms": self.since_ms,
            "calm_since_ms": self.calm_since_ms,
            "cooldown_until_ms": self.cooldown_until_ms,
            "reset_at_ms": self.reset_at_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HaltState:
        kind = data.get("kind")
        return cls(
            phase=HaltPhase(data["phase"]),
            kind=None if kind is None else HaltKind(kind),
            reasons=tuple(ReasonCode(r) for r in data.get("reasons", ())),
            since_ms=data.get("since_ms"),
            calm_since_ms=data.get("calm_since_ms"),
            cooldown_until_ms=data.get("cooldown_until_ms"),
            reset_at_ms=data.get("reset_at_ms"),
        )


def _inconsistency(s: HaltState) -> str:
    if s.phase is HaltPhase.NORMAL:
        if s.kind or s.reasons or s.since_ms is not None or s.calm_since_ms is not None:
            return "NORMAL carries halt fields"
        return "NORMAL has a cooldown" if s.cooldown_until_ms is not None else ""
    if s.phase is HaltPhase.HALT:
        if s.kind is None or not s.reasons or s.since_ms is None:
            return "HALT needs kind, reasons and since"
        if s.cooldown_until_ms is not None:
            return "HALT has a cooldown"
        return "manual HALT counts calm" if s.kind is HaltKind.MANUAL and s.calm_since_ms else ""
    if s.kind is not None or s.cooldown_until_ms is None or not s.reasons:
        return "COOLDOWN needs reasons and an end, and no kind"
    return "COOLDOWN counts calm" if s.calm_since_ms is not None else ""


def _names(reasons: Iterable[ReasonCode]) -> str:
    return ",".join(r.value for r in reasons)


def raise_halt(
    state: HaltState,
    now_ms: int,
    reason: ReasonCode,
    kind: HaltKind,
    figures: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Transition:
    """Enter HALT, or add ``reason`` to the current one; a manual reason escalates (never down).

    Any raise restarts E4's calm count. A raise from COOLDOWN ends the cooldown.
    """
    figs = dict(figures or {})
    if state.reset_at_ms is not None:
        figs |= {"still_holds_after_reset": True, "reset_at_ms": state.reset_at_ms}
    if state.phase is not HaltPhase.HALT:
        if state.phase is HaltPhase.COOLDOWN:
            figs["interrupted_cooldown_until_ms"] = state.cooldown_until_ms
        new = HaltState(HaltPhase.HALT, kind, (reason,), since_ms=now_ms)
        return new, (HaltLogEntry(now_ms, HaltLogEvent.RAISED, reason, kind, figs, context or {}),)
    assert state.kind is not None  # HALT always has a kind (checked in __post_init__)
    escalate = state.kind is HaltKind.TEMPORARY and kind is HaltKind.MANUAL
    new_kind = HaltKind.MANUAL if escalate else state.kind
    added = reason not in state.reasons
    reasons = (*state.reasons, reason) if added else state.reasons
    new = replace(state, kind=new_kind, reasons=reasons, calm_since_ms=None, reset_at_ms=None)
    if not (escalate or added):
        return new, ()
    event = HaltLogEvent.ESCALATED if escalate else HaltLogEvent.RAISED
    figs["reasons"] = _names(reasons)
    return new, (HaltLogEntry(now_ms, event, reason, new_kind, figs, context or {}),)


def observe(
    state: HaltState, now_ms: int, calm: bool, figures: Mapping[str, Any] | None = None
) -> Transition:
    """E4 bookkeeping for one tick: count calm time, start COOLDOWN, end COOLDOWN.

    A manual halt ignores calm entirely: it is never lifted here.
    """
    if state.phase is HaltPhase.COOLDOWN:
        if now_ms < state.cooldown_until_ms:  # type: ignore[operator]
            return state, ()
        entry = HaltLogEntry(
            now_ms,
            HaltLogEvent.LIFTED,
            state.reasons[0],
            HaltKind.TEMPORARY,
            {"reasons": _names(state.reasons), "cooldown_until_ms": state.cooldown_until_ms},
        )
        return HaltState(), (entry,)
    if state.phase is not HaltPhase.HALT or state.kind is HaltKind.MANUAL:
        return state, ()
    if not calm:
        return replace(state, calm_since_ms=None), ()
    figs = dict(figures or {}) | {"reasons": _names(state.reasons)}
    if state.calm_since_ms is None:
        entry = HaltLogEntry(now_ms, HaltLogEvent.CALM_STARTED, state.reasons[0], state.kind, figs)
        return replace(state, calm_since_ms=now_ms), (entry,)
    calm_ms = now_ms - state.calm_since_ms
    if calm_ms < CALM_WINDOW_MS:
        return state, ()
    until = now_ms + COOLDOWN_MS
    figs |= {"calm_since_ms": state.calm_since_ms, "calm_ms": calm_ms, "cooldown_until_ms": until}
    entry = HaltLogEntry(now_ms, HaltLogEvent.COOLDOWN_STARTED, state.reasons[0], state.kind, figs)
    return HaltState(HaltPhase.COOLDOWN, reasons=state.reasons, cooldown_until_ms=until), (entry,)


def step(
    state: HaltState,
    now_ms: int,
    findings: Iterable[Finding],
    calm: bool,
    context: Mapping[str, Any] | None = None,
    calm_figures: Mapping[str, Any] | None = None,
) -> Transition:
    """Apply one check's findings and calm verdict: raise every halt finding, then E4.

    Non-halt findings (E2 blocks) are the caller's to apply; they do not change the halt.
    """
    entries: list[HaltLogEntry] = []
    raised = False
    for finding in findings:
        if finding.kind is None:
            continue
        state, new = raise_halt(
            state, now_ms, finding.reason, finding.kind, finding.figures, context
        )
        entries += new
        raised = True
    state, new = observe(state, now_ms, calm and not raised, calm_figures)
    entries += new
    if state.reset_at_ms is not None:  # only the first check after a reset may say so
        state = replace(state, reset_at_ms=None)
    return state, tuple(entries)


def manual_reset(
    state: HaltState,
    reason_text: str,
    who: str,
    now_ms: int,
    context_snapshot: Mapping[str, Any] | None = None,
) -> tuple[HaltState, HaltLogEntry] | Denial:
    """E5: leave HALT (either kind) on a recorded decision; refuse without a reason or a name.

    The entry records who, why, the reasons and kind being reset and the context snapshot.
    The reset clears no condition: the next check raises the halt again if one still holds.
    """
    if not reason_text or not reason_text.strip():
        return Denial(ReasonCode.RESET_REASON_MISSING, {"field": "reason"})
    if not who or not who.strip():
        return Denial(ReasonCode.RESET_REASON_MISSING, {"field": "who"})
    if state.phase is not HaltPhase.HALT:
        return Denial(ReasonCode.NOT_HALTED, {"phase": state.phase.value})
    assert state.kind is not None and state.since_ms is not None
    figures = {
        "previous_reasons": _names(state.reasons),
        "halted_since_ms": state.since_ms,
        "halted_for_ms": now_ms - state.since_ms,
    }
    entry = HaltLogEntry(
        now_ms,
        HaltLogEvent.RESET,
        state.reasons[0],
        state.kind,
        figures,
        context_snapshot or {},
        who=who.strip(),
        why=reason_text.strip(),
    )
    return HaltState(reset_at_ms=now_ms), entry
