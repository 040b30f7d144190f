"""A HALT as the core runs it: the main machine (which decides) and the halt facts beside it.

Tests drive it the way the emergency step does (``emergency.halts.check_on`` …), on a flat
account, without the rest of the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accountbuilder.emergency import halts
from accountbuilder.emergency.halts import HaltFacts, HaltPhase
from accountbuilder.machines.main import TradingMachine


@dataclass
class Rig:
    """The main machine (which decides) and the halt facts beside it, flat account."""

    machine: TradingMachine = field(default_factory=TradingMachine)
    facts: HaltFacts = field(default_factory=HaltFacts)

    @property
    def phase(self) -> HaltPhase:
        return HaltPhase.of(self.machine.state)

    @property
    def view(self) -> halts.HaltState:
        return halts.HaltState.of(self.phase, self.facts)

    def raise_(self, t, reason, kind, figures=None):
        self.facts, entries = halts.raise_on(self.machine, self.facts, t, 0, reason, kind, figures)
        return entries

    def observe(self, t, calm):
        self.facts, entries = halts.tick_on(self.machine, self.facts, t, 0, calm)
        return entries

    def check(self, t, findings, calm, calm_figures=None):
        self.facts, entries = halts.check_on(
            self.machine, self.facts, t, 0, findings, calm, calm_figures
        )
        return entries

    def reset(self, t, why, who, context=None):
        self.facts, entries, denial = halts.reset_on(self.machine, self.facts, t, 0, who, why, context)  # fmt: skip
        return entries, denial
