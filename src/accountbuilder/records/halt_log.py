"""Halt log records (SPEC I2): reason code, kind, event, figures and a context snapshot.

The snapshot always has the five parts SPEC I2 names (``market``, ``account``, ``position``,
``orders``, ``health``); a part the caller did not give is ``None``. A manual reset records who
did it and why (SPEC E5). ``HaltRecord.from_dict`` builds a record from a plain dict, such as
``dataclasses.asdict`` of the emergency module's log entry, without importing that module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.codec import to_jsonable

CONTEXT_PARTS = ("market", "account", "position", "orders", "health")


class HaltEvent(StrEnum):
    """What happened to the halt (the same values as the emergency module's log events)."""

    RAISED = "raised"  # HALT entered, or a new reason added to it
    ESCALATED = "escalated"  # a manual reason turned a temporary halt manual
    CALM_STARTED = "calm_started"  # E4: the first calm tick of a temporary halt
    COOLDOWN_STARTED = "cooldown_started"  # E4: 5 calm minutes -> COOLDOWN 30 min
    LIFTED = "lifted"  # E4: COOLDOWN over -> normal
    RESET = "reset"  # E5: manual reset, with who and why
    RESET_REFUSED = "reset_refused"  # E5: a reset refused (no HALT, blank who/why): recorded

    @property
    def opens(self) -> bool:
        """True when the event puts (or keeps) the account in HALT."""
        return self in (HaltEvent.RAISED, HaltEvent.ESCALATED)

    @property
    def closes(self) -> bool:
        """True when the event ends the HALT (all its reasons together)."""
        return self in (HaltEvent.COOLDOWN_STARTED, HaltEvent.LIFTED, HaltEvent.RESET)


# Other spellings a plain dict may use for a field (the emergency module's names may differ).
_ALIASES: dict[str, tuple[str, ...]] = {
    "ts_ms": ("ts_ms", "now_ms", "at_ms"),
    "reason": ("reason", "reason_code", "code"),
    "kind": ("kind", "halt_kind"),
    "event": ("event",),
    "who": ("who", "actor"),
    "why": ("why", "note", "reset_reason"),
    "figures": ("figures",),
    "context": ("context", "snapshot"),
}


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


@dataclass(frozen=True, slots=True)
class HaltRecord:
    """One halt event with the state of the world when it happened."""

    ts_ms: int
    reason: ReasonCode
    kind: HaltKind
    event: HaltEvent
    figures: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    who: str = ""
    why: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    KIND = "halt"

    def __post_init__(self) -> None:
        if not isinstance(self.ts_ms, int) or self.ts_ms < 0:
            raise ValueError(f"ts_ms must be a non-negative int, got {self.ts_ms!r}")
        for name, enum in (("reason", ReasonCode), ("kind", HaltKind), ("event", HaltEvent)):
            object.__setattr__(self, name, enum(_enum_value(getattr(self, name))))
        if self.event is HaltEvent.RESET and not (self.who.strip() and self.why.strip()):
            raise ValueError("a reset must record who did it and why (SPEC E5)")
        ctx = {part: None for part in CONTEXT_PARTS}
        ctx.update(to_jsonable(dict(self.context), strict=False))
        object.__setattr__(self, "context", MappingProxyType(ctx))
        object.__setattr__(
            self, "figures", MappingProxyType(to_jsonable(dict(self.figures), strict=False))
        )
        object.__setattr__(
            self, "extra", MappingProxyType(to_jsonable(dict(self.extra), strict=False))
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready values, tagged ``"record": "halt"``."""
        return {
            "record": self.KIND,
            "ts_ms": self.ts_ms,
            "reason": self.reason.value,
            "kind": self.kind.value,
            "event": self.event.value,
            "figures": dict(self.figures),
            "context": dict(self.context),
            "who": self.who,
            "why": self.why,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HaltRecord:
        """Build a record from a plain dict; unknown keys are kept in ``extra``.

        Accepts ``to_dict()`` output, the emergency module's ``HaltLogEntry.to_dict()``, and
        other spellings (``reason_code``, ``actor``, ``note``, ``snapshot``, ``now_ms``).
        Enum members or their values are both fine.
        """
        values: dict[str, Any] = {}
        used = {"record"}
        for name, aliases in _ALIASES.items():
            for alias in aliases:
                if alias in data and data[alias] is not None:
                    values[name] = data[alias]
                    used.add(alias)
                    break
            used.update(a for a in aliases if a in data)
        extra = dict(data.get("extra") or {})
        extra.update({k: v for k, v in data.items() if k not in used and k != "extra"})
        missing = [n for n in ("ts_ms", "reason", "kind", "event") if n not in values]
        if missing:
            raise ValueError(f"halt record lacks {', '.join(missing)}")
        return cls(
            ts_ms=int(values["ts_ms"]),
            reason=ReasonCode(_enum_value(values["reason"])),
            kind=HaltKind(_enum_value(values["kind"])),
            event=HaltEvent(_enum_value(values["event"])),
            figures=values.get("figures") or {},
            context=values.get("context") or {},
            who=str(values.get("who", "")),
            why=str(values.get("why", "")),
            extra=extra,
        )
