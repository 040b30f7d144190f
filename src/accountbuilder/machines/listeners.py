"""Listeners attached to both machines: one logs every transition (audit), one records them."""

from __future__ import annotations

from dataclasses import dataclass, field

from loguru import logger


class TransitionLogger:
    """Log every transition once, at INFO, with the machine, event, source and target."""

    def __init__(self, machine: str):
        self.machine = machine

    def after_transition(self, event: str, source, target) -> None:
        logger.bind(kind="transition", machine=self.machine).info(
            "{} {}: {} -> {}", self.machine, event, source.value, target.value
        )


@dataclass
class TransitionRecorder:
    """Keep ``(event, source, target)`` of every transition (tests, status output)."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)

    def after_transition(self, event: str, source, target) -> None:
        self.seen.append((event, source.value, target.value))
