"""The risk core (SPEC A-D, H): equity, stage, loss budget, sizing, margin, liquidation, EV,
the persisted risk state and the entry gate chain. Pure: data and ``now_ms`` come in, frozen
decisions with reasons go out.

Entry point: ``accountbuilder.risk.gates.evaluate_entry(EntryContext) -> EntryDecision``.
"""

from accountbuilder.risk.context import EntryContext, EntryDecision, EntrySignal, GateResult
from accountbuilder.risk.gates import GATE_ORDER, evaluate_entry
from accountbuilder.risk.state import RiskState

__all__ = [
    "GATE_ORDER",
    "EntryContext",
    "EntryDecision",
    "EntrySignal",
    "GateResult",
    "RiskState",
    "evaluate_entry",
]
