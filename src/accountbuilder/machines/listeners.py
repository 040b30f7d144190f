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
    """Keep ``(event, source, target)`` of every transition (tests, status output).

    ``for_machine(name)`` gives a listener that also keeps ``(machine, event, source, target)``
    in ``by_machine`` (one recorder for both machines).
    """

    seen: list[tuple[str, str, str]] = field(default_factory=list)
    by_machine: list[tuple[str, str, str, str]] = field(default_factory=list)

    def after_transition(self, event: str, source, target) -> None:
        self.seen.append((str(event), source.value, target.value))

    def for_machine(self, machine: str) -> _NamedRecorder:
        return _NamedRecorder(self, machine)


@dataclass
class _NamedRecorder:
    recorder: TransitionRecorder
    machine: str

    def after_transition(self, event: str, source, target) -> None:
        self.recorder.seen.append((str(event), source.value, target.value))
        self.recorder.by_machine.append((self.machine, str(event), source.value, target.value))
