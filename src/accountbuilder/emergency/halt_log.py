"""Halt log entries (SPEC I2, E5): one per change of a halt, with figures and context.

``to_dict`` gives plain JSON values (Decimal as its exact ``str``, enums as their values);
``from_dict`` reads that back. The format is documented in ``docs/emergency.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode


class HaltLogEvent(StrEnum):
    RAISED = "raised"  # HALT entered, or a new reason added to it
    ESCALATED = "escalated"  # a manual reason turned a temporary halt manual
    CALM_STARTED = "calm_started"  # E4: the first calm tick of a temporary halt
    COOLDOWN_STARTED = "cooldown_started"  # E4: 5 calm minutes -> COOLDOWN 30 min
    LIFTED = "lifted"  # E4: COOLDOWN over -> normal
    RESET = "reset"  # E5: manual reset, with who and why
    RESET_REFUSED = "reset_refused"  # E5: a reset refused (blank who/why, no HALT): recorded


def jsonable(value: Any) -> Any:
    """Plain JSON types: Decimal -> str (exact), Enum -> value, mapping -> dict, tuple -> list."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class HaltLogEntry:
    """One halt event.

    ``reason`` is the reason the event is about (the new reason for raised/escalated, the
    halt's first reason otherwise); ``kind`` the halt's kind after the event (for a reset, the
    kind that was reset). ``figures`` are the numbers that led to it; ``context`` is the caller's
    snapshot (market, account, position, orders, health; SPEC I2). ``who``/``why`` are set on
    a reset only.
    """

    ts_ms: int
    event: HaltLogEvent
    reason: ReasonCode
    kind: HaltKind
    figures: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    who: str = ""
    why: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "figures", MappingProxyType(dict(self.figures)))
        object.__setattr__(self, "context", MappingProxyType(dict(self.context)))
        if self.event is HaltLogEvent.RESET and not (self.who.strip() and self.why.strip()):
            raise ValueError("a reset entry must record who and why (SPEC E5)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts_ms": self.ts_ms,
            "event": self.event.value,
            "reason": self.reason.value,
            "kind": self.kind.value,
            "figures": jsonable(self.figures),
            "context": jsonable(self.context),
            "who": self.who,
            "why": self.why,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HaltLogEntry:
        """Read ``to_dict`` output back (figure values stay as the strings they were saved as)."""
        return cls(
            ts_ms=int(data["ts_ms"]),
            event=HaltLogEvent(data["event"]),
            reason=ReasonCode(data["reason"]),
            kind=HaltKind(data["kind"]),
            figures=data.get("figures") or {},
            context=data.get("context") or {},
            who=data.get("who", ""),
            why=data.get("why", ""),
        )
