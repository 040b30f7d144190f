"""Save and restore both machines exactly; a stored state is validated before it is used.

The stored form is a small JSON-able dict with a format version and a SHA-256 checksum of its
content, so a truncated or hand-edited record is refused with a clear error instead of being
restored into a state the core did not write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from accountbuilder.domain.enums import MainState, StopStatus
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine

FORMAT_VERSION = 1
_LIVE_STOP = {
    StopStatus.PENDING.value,
    StopStatus.ACTIVE.value,
    StopStatus.MISSING.value,
    StopStatus.ERROR.value,
}


class CorruptMachineState(ValueError):
    """A stored machine state that cannot be restored; the message says what is wrong."""


def _checksum(main: str, stop: str, version: int) -> str:
    payload = json.dumps({"main": main, "stop": stop, "version": version}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def save_machines(main: TradingMachine, stop: StopStatusMachine) -> dict[str, Any]:
    """The stored form of both machines."""
    return {
        "version": FORMAT_VERSION,
        "main": main.state,
        "stop": stop.state,
        "checksum": _checksum(main.state, stop.state, FORMAT_VERSION),
    }


def validate_machines(doc: Any) -> tuple[str, str]:
    """Check a stored state; return ``(main, stop)`` or raise ``CorruptMachineState``."""
    if not isinstance(doc, Mapping):
        raise CorruptMachineState(f"stored machine state is {type(doc).__name__}, not a mapping")
    missing = [k for k in ("version", "main", "stop", "checksum") if k not in doc]
    if missing:
        raise CorruptMachineState(f"stored machine state lacks {', '.join(missing)}")
    version, main, stop = doc["version"], doc["main"], doc["stop"]
    if version != FORMAT_VERSION:
        raise CorruptMachineState(
            f"stored machine state has version {version!r}; this build reads {FORMAT_VERSION}"
        )
    if main not in {s.value for s in MainState}:
        raise CorruptMachineState(
            f"stored main state {main!r} is not one of {[s.value for s in MainState]}"
        )
    if stop not in {s.value for s in StopStatus}:
        raise CorruptMachineState(
            f"stored stop_status {stop!r} is not one of {[s.value for s in StopStatus]}"
        )
    if doc["checksum"] != _checksum(main, stop, version):
        raise CorruptMachineState("stored machine state fails its checksum (edited or torn write)")
    if main == MainState.FLAT.value and stop in _LIVE_STOP:
        raise CorruptMachineState(
            f"stored state is contradictory: main FLAT with stop_status {stop}"
        )
    return main, stop


Listeners = Callable[[str], list[object]]


def no_listeners(machine_name: str) -> list[object]:
    return []


def restore_machines(
    doc: Any, listeners: Listeners = no_listeners
) -> tuple[TradingMachine, StopStatusMachine]:
    """Rebuild both machines in exactly the stored states (after ``validate_machines``).

    ``listeners(name)`` gives each machine its own listeners (a transition logger per name).
    """
    main, stop = validate_machines(doc)
    return (
        TradingMachine(start_value=main, listeners=listeners(TradingMachine.machine_name)),
        StopStatusMachine(start_value=stop, listeners=listeners(StopStatusMachine.machine_name)),
    )
