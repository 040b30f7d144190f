"""The core's collaborators for one session (rules live in their own modules), and the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from accountbuilder.config.models import AppConfig
from accountbuilder.domain.commands import AnyCommand
from accountbuilder.domain.lifecycle import OrderTransition
from accountbuilder.domain.models import FeeRates, Instrument
from accountbuilder.emergency.checker import EmergencyChecker
from accountbuilder.emergency.halt_log import HaltLogEntry
from accountbuilder.health.reconcile import ReconcileHysteresis
from accountbuilder.health.ws_health import WsHealth
from accountbuilder.marketdata.view import MarketView
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord
from accountbuilder.signal.source import SignalSource


@dataclass
class Kit:
    """What a tick reads besides the session state. ``ws`` is None where there is no WS (sim)."""

    config: AppConfig
    instrument: Instrument
    fees: FeeRates
    view: MarketView
    checker: EmergencyChecker
    signal: SignalSource
    reconcile: ReconcileHysteresis = field(default_factory=ReconcileHysteresis)
    ws: WsHealth | None = None

    @property
    def tick(self) -> Decimal:
        return self.instrument.tick_size


@dataclass
class Outbox:
    """What one tick produced: commands for the runner and records for the store/sinks."""

    commands: list[AnyCommand] = field(default_factory=list)
    decisions: list[DecisionRecord] = field(default_factory=list)
    halts: list[HaltLogEntry] = field(default_factory=list)
    trades: list[TradeEntryRecord | TradeExitRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    order_moves: list[OrderTransition] = field(default_factory=list)  # persisted before sends

    def __bool__(self) -> bool:
        return bool(
            self.commands
            or self.decisions
            or self.halts
            or self.trades
            or self.notes
            or self.order_moves
        )
