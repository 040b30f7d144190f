"""The data of a HALT (SPEC E1-E7, F3) and its log entries; the phase is the main machine's.

Whether the account is in HALT, COOLDOWN or neither is decided in one place: the main trading
machine (``machines.main``: ``halt_raised``, ``tick`` with E4's guards, ``reset`` with E5's).
``HaltFacts`` is what those guards read and what the halt log reports: the kind (temporary or
manual), the reasons in the order they were raised, when it began, when E4's calm window began,
when COOLDOWN ends. The functions here update the facts as the machine moves and return the
``HaltLogEntry`` values (I2) that each change produced. A manual reason escalates a temporary
halt, nothing ever downgrades one, and a reset never clears a condition that still holds: the
next check raises the halt again and its log entry says ``still_holds_after_reset``.

``HaltState`` is a read-only view (phase + facts) for reports and status output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from accountbuilder.domain.enums import HaltKind, MainState
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.emergency.actions import EntryBlock, halt_block
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder.emergency.rules import Finding
from accountbuilder.machines.context import MachineContext
from accountbuilder.machines.effects import Effect
from accountbuilder.machines.guards import CALM_WINDOW_MS
from accountbuilder.machines.main import TradingMachine

__all__ = [
    "CALM_WINDOW_MS",
    "COOLDOWN_MS",
    "HaltFacts",
    "HaltLogEntry",
    "HaltLogEvent",
    "HaltPhase",
    "HaltState",
    "calm_tick",
    "check_on",
    "cooldown_started",
    "lifted",
    "raise_on",
    "raised",
    "reset_done",
    "reset_on",
    "reset_refused",
    "tick_on",
]

COOLDOWN_MS = 30 * 60_000  # SPEC E4: COOLDOWN 30 min after 5 calm minutes

Change = tuple["HaltFacts", tuple[HaltLogEntry, ...]]


class HaltPhase(StrEnum):
    """The main machine's state as far as halts go (for views and reports)."""

    NORMAL = "normal"
    HALT = "halt"
    COOLDOWN = "cooldown"

    @classmethod
    def of(cls, main_state: str) -> HaltPhase:
        if main_state == MainState.HALT.value:
            return cls.HALT
        return cls.COOLDOWN if main_state == MainState.COOLDOWN.value else cls.NORMAL


@dataclass(frozen=True, slots=True)
class HaltFacts:
    """What a HALT is about (SPEC I4: persisted with the session).

    ``kind``/``reasons``/``since_ms`` describe the HALT in force (or, in COOLDOWN, the one it
    follows: ``kind`` is then None); ``reset_at_ms`` is set only between a manual reset and
    the next check.
    """

    kind: HaltKind | None = None
    reasons: tuple[ReasonCode, ...] = ()
    since_ms: int | None = None
    calm_since_ms: int | None = None
    cooldown_until_ms: int | None = None
    reset_at_ms: int | None = None

    @property
    def primary_reason(self) -> ReasonCode | None:
        return self.reasons[0] if self.reasons else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": None if self.kind is None else self.kind.value,
            "reasons": [r.value for r in self.reasons],
            "since_ms": self.since_ms,
            "calm_since_ms": self.calm_since_ms,
            "cooldown_until_ms": self.cooldown_until_ms,
            "reset_at_ms": self.reset_at_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HaltFacts:
        kind = data.get("kind")
        return cls(
            kind=None if kind is None else HaltKind(kind),
            reasons=tuple(ReasonCode(r) for r in data.get("reasons", ())),
            since_ms=data.get("since_ms"),
            calm_since_ms=data.get("calm_since_ms"),
            cooldown_until_ms=data.get("cooldown_until_ms"),
            reset_at_ms=data.get("reset_at_ms"),
        )


@dataclass(frozen=True, slots=True)
class HaltState:
    """A read-only view: the machine's phase with the facts (status, reports, quiet skipping).

    Built with ``HaltState.of(phase, facts)``; the fields outside the phase read as empty.
    """

    phase: HaltPhase = HaltPhase.NORMAL
    kind: HaltKind | None = None
    reasons: tuple[ReasonCode, ...] = ()
    since_ms: int | None = None
    calm_since_ms: int | None = None
    cooldown_until_ms: int | None = None

    @classmethod
    def of(cls, phase: HaltPhase, facts: HaltFacts) -> HaltState:
        if phase is HaltPhase.NORMAL:
            return cls()
        if phase is HaltPhase.COOLDOWN:
            return cls(phase, reasons=facts.reasons, cooldown_until_ms=facts.cooldown_until_ms)
        return cls(phase, facts.kind, facts.reasons, facts.since_ms, facts.calm_since_ms)

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
            left = (self.cooldown_until_ms or now_ms) - now_ms
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
        }


def _names(reasons: Iterable[ReasonCode]) -> str:
    return ",".join(r.value for r in reasons)


def raised(
    facts: HaltFacts,
    halted: bool,
    now_ms: int,
    reason: ReasonCode,
    kind: HaltKind,
    figures: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Change:
    """``halt_raised`` was taken: a new HALT (``halted`` False), or a reason added to it.

    A manual reason escalates a temporary halt (never down). Any raise restarts E4's calm
    count; a raise from COOLDOWN ends the cooldown.
    """
    figs = dict(figures or {})
    if facts.reset_at_ms is not None:
        figs |= {"still_holds_after_reset": True, "reset_at_ms": facts.reset_at_ms}
    if not halted:
        if facts.cooldown_until_ms is not None:
            figs["interrupted_cooldown_until_ms"] = facts.cooldown_until_ms
        new = HaltFacts(kind, (reason,), since_ms=now_ms)
        return new, (HaltLogEntry(now_ms, HaltLogEvent.RAISED, reason, kind, figs, context or {}),)
    old_kind = facts.kind or kind
    escalate = old_kind is HaltKind.TEMPORARY and kind is HaltKind.MANUAL
    new_kind = HaltKind.MANUAL if escalate else old_kind
    added = reason not in facts.reasons
    reasons = (*facts.reasons, reason) if added else facts.reasons
    new = replace(facts, kind=new_kind, reasons=reasons, calm_since_ms=None, reset_at_ms=None)
    if not (escalate or added):
        return new, ()
    event = HaltLogEvent.ESCALATED if escalate else HaltLogEvent.RAISED
    figs["reasons"] = _names(reasons)
    return new, (HaltLogEntry(now_ms, event, reason, new_kind, figs, context or {}),)


def calm_tick(
    facts: HaltFacts, now_ms: int, calm: bool, figures: Mapping[str, Any] | None = None
) -> Change:
    """E4 bookkeeping in a temporary HALT: every tick that is not calm restarts the 5 minutes.

    A manual halt ignores calm entirely: only a reset lifts it.
    """
    if facts.kind is not HaltKind.TEMPORARY:
        return facts, ()
    if not calm:
        return (replace(facts, calm_since_ms=None) if facts.calm_since_ms else facts), ()
    if facts.calm_since_ms is not None:
        return facts, ()
    figs = dict(figures or {}) | {"reasons": _names(facts.reasons)}
    entry = HaltLogEntry(now_ms, HaltLogEvent.CALM_STARTED, facts.reasons[0], facts.kind, figs)
    return replace(facts, calm_since_ms=now_ms), (entry,)


def cooldown_started(facts: HaltFacts, now_ms: int) -> Change:
    """``tick`` took HALT → COOLDOWN (E4): the 30 minutes start now."""
    until = now_ms + COOLDOWN_MS
    calm_ms = now_ms - (facts.calm_since_ms or now_ms)
    figs = {
        "reasons": _names(facts.reasons),
        "calm_since_ms": facts.calm_since_ms,
        "calm_ms": calm_ms,
        "cooldown_until_ms": until,
    }
    entry = HaltLogEntry(
        now_ms, HaltLogEvent.COOLDOWN_STARTED, facts.reasons[0], HaltKind.TEMPORARY, figs
    )
    return HaltFacts(reasons=facts.reasons, cooldown_until_ms=until), (entry,)


def lifted(facts: HaltFacts, now_ms: int) -> Change:
    """``tick`` took COOLDOWN → the exchange's state (E4, E7): the halt is over."""
    figs = {"reasons": _names(facts.reasons), "cooldown_until_ms": facts.cooldown_until_ms}
    entry = HaltLogEntry(now_ms, HaltLogEvent.LIFTED, facts.reasons[0], HaltKind.TEMPORARY, figs)
    return HaltFacts(), (entry,)


def reset_done(
    facts: HaltFacts, now_ms: int, who: str, why: str, context: Mapping[str, Any] | None = None
) -> Change:
    """``reset`` was taken (E5): recorded with who, why, the reasons reset and the context.

    The reset clears no condition: the next check raises the halt again if one still holds.
    """
    assert facts.kind is not None and facts.since_ms is not None
    figures = {
        "previous_reasons": _names(facts.reasons),
        "halted_since_ms": facts.since_ms,
        "halted_for_ms": now_ms - facts.since_ms,
    }
    entry = HaltLogEntry(
        now_ms,
        HaltLogEvent.RESET,
        facts.reasons[0],
        facts.kind,
        figures,
        context or {},
        who=who.strip(),
        why=why.strip(),
    )
    return HaltFacts(reset_at_ms=now_ms), (entry,)


def reset_refused(
    facts: HaltFacts, phase: HaltPhase, now_ms: int, who: str, why: str, denial: Denial
) -> HaltLogEntry:
    """A reset the machine refused (blank who/why, or no HALT in force): recorded, not lost."""
    figures = {"denial": str(denial), "phase": phase.value, "who": who[:80], "why": why[:200]}
    reason = facts.primary_reason or denial.reason
    return HaltLogEntry(
        now_ms, HaltLogEvent.RESET_REFUSED, reason, facts.kind or HaltKind.MANUAL, figures
    )


def settle_after_check(facts: HaltFacts) -> HaltFacts:
    """Only the first check after a reset may say ``still_holds_after_reset``."""
    return replace(facts, reset_at_ms=None) if facts.reset_at_ms is not None else facts


# ------------------------------------------------------------------------------ the flow
# The machine decides; these keep the facts and the log in step with what it decided.
def raise_on(
    machine: TradingMachine,
    facts: HaltFacts,
    now_ms: int,
    contracts: int,
    reason: ReasonCode,
    kind: HaltKind,
    figures: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Change:
    """``halt_raised`` on ``machine`` (from any state), then the facts and the log entry."""
    halted = machine.state == MainState.HALT.value
    machine.must("halt_raised", MachineContext(now_ms, contracts))
    return raised(facts, halted, now_ms, reason, kind, figures, context)


def tick_on(
    machine: TradingMachine,
    facts: HaltFacts,
    now_ms: int,
    contracts: int,
    calm: bool,
    calm_figures: Mapping[str, Any] | None = None,
) -> Change:
    """E4 in HALT or COOLDOWN: count calm time, then the machine's ``tick`` decides."""
    if machine.state not in (MainState.HALT.value, MainState.COOLDOWN.value):
        return facts, ()
    facts, entries = calm_tick(facts, now_ms, calm, calm_figures)
    ctx = MachineContext(
        now_ms,
        contracts,
        halt_kind=facts.kind,
        calm_since_ms=facts.calm_since_ms,
        cooldown_until_ms=facts.cooldown_until_ms,
    )
    moved = machine.must("tick", ctx)
    if Effect.START_COOLDOWN in moved.effects:
        facts, more = cooldown_started(facts, now_ms)
    elif Effect.LIFT_HALT in moved.effects:
        facts, more = lifted(facts, now_ms)
    else:
        more = ()
    return facts, (*entries, *more)


def reset_on(
    machine: TradingMachine,
    facts: HaltFacts,
    now_ms: int,
    contracts: int,
    who: str,
    why: str,
    context: Mapping[str, Any] | None = None,
) -> tuple[HaltFacts, tuple[HaltLogEntry, ...], Denial | None]:
    """E5: ``reset`` on ``machine``; a refused reset is recorded, never lost."""
    phase = HaltPhase.of(machine.state)
    if phase is not HaltPhase.HALT:
        denial = Denial(ReasonCode.NOT_HALTED, {"phase": phase.value})
        return facts, (reset_refused(facts, phase, now_ms, who, why, denial),), denial
    ctx = MachineContext(now_ms, contracts, reset_reason=why, reset_who=who)
    result = machine.fire("reset", ctx)
    if not result.accepted:
        denial = result.denials[0]
        return facts, (reset_refused(facts, phase, now_ms, who, why, denial),), denial
    facts, entries = reset_done(facts, now_ms, who, why, context)
    return facts, entries, None


def check_on(
    machine: TradingMachine,
    facts: HaltFacts,
    now_ms: int,
    contracts: int,
    findings: Iterable[Finding],
    calm: bool,
    calm_figures: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Change:
    """One emergency check (E1-E7): raise every halt finding, then E4 on the calm verdict.

    A tick with a halt finding is never calm; non-halt findings (E2 blocks) are the caller's.
    """
    entries: list[HaltLogEntry] = []
    halting = [f for f in findings if f.kind is not None]
    for f in halting:
        facts, new = raise_on(machine, facts, now_ms, contracts, f.reason, f.kind, f.figures, context)  # fmt: skip
        entries += new
    facts, new = tick_on(machine, facts, now_ms, contracts, calm and not halting, calm_figures)
    return settle_after_check(facts), (*entries, *new)
