"""The two state machines: the main trading machine and the stop_status sub-machine (SPEC G8).

They are separate machines run side by side (see docs/architecture.md): stop supervision must
keep running while the main machine is in HALT or COOLDOWN (SPEC E7, G8).
"""

from accountbuilder.machines.base import EventNotAllowed, Moved, Refused, TransitionResult
from accountbuilder.machines.context import MachineContext
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine

__all__ = [
    "EventNotAllowed",
    "MachineContext",
    "Moved",
    "Refused",
    "StopStatusMachine",
    "TradingMachine",
    "TransitionResult",
]
