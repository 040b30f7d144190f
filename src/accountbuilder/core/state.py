"""``SessionState``: everything the core keeps between ticks, and what survives a crash (I4).

HALT and its reason, blocks and their expiry, leverage in force, stage history, counters,
multiplier, start time, open position and its orders, the machines — one JSON-able document,
committed by the runner before the commands of a tick are sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accountbuilder.core.orders import OwnOrders
from accountbuilder.core.stop_track import StopTrack
from accountbuilder.core.trade import OpenTrade
from accountbuilder.emergency.halts import HaltFacts, HaltPhase, HaltState
from accountbuilder.execution.entry import MakerTimeouts
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.persistence import (
    Listeners,
    no_listeners,
    restore_machines,
    save_machines,
)
from accountbuilder.machines.stop_status import StopStatusMachine
from accountbuilder.risk.state import RiskState

if TYPE_CHECKING:
    from accountbuilder.core.wake import StandingRefusal

DOC_VERSION = 2  # 2: the order lifecycle, halt facts beside the main machine


class CorruptSession(ValueError):
    """A stored session document that cannot be restored."""


@dataclass
class SessionState:
    main: TradingMachine
    stop: StopStatusMachine
    halt_facts: HaltFacts
    risk: RiskState
    leverage_in_force: Decimal
    start_ms: int
    maker: MakerTimeouts = field(default_factory=MakerTimeouts)
    orders: OwnOrders = field(default_factory=OwnOrders)
    trade: OpenTrade | None = None
    stop_track: StopTrack = field(default_factory=StopTrack)
    entry_signal_id: str | None = None  # the signal of the working entry (ENTRY_PENDING)
    entry_evaluated_ms: int | None = None  # F6: an entry is evaluated at most once per tick
    seq: int = 0  # increasing counter for amend/cancel intent ids
    # the last refusal and how long it stands (core.wake); not persisted: a restart re-evaluates
    refusal: StandingRefusal | None = field(default=None, compare=False, repr=False)

    @classmethod
    def fresh(
        cls,
        now_ms: int,
        leverage: Decimal,
        backtest_winrate: Decimal | None,
        listeners: Listeners = no_listeners,
    ) -> SessionState:
        """A new session; ``listeners(name)`` gives each machine its own listeners."""
        return cls(
            main=TradingMachine(listeners=listeners(TradingMachine.machine_name)),
            stop=StopStatusMachine(listeners=listeners(StopStatusMachine.machine_name)),
            halt_facts=HaltFacts(),
            risk=RiskState.start(now_ms, backtest_winrate),
            leverage_in_force=leverage,
            start_ms=now_ms,
        )

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    @property
    def halt(self) -> HaltState:
        """The halt as the main machine decides it, with its facts (a read-only view)."""
        return HaltState.of(HaltPhase.of(self.main.state), self.halt_facts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": DOC_VERSION,
            "machines": save_machines(self.main, self.stop),
            "halt": self.halt_facts.to_dict(),
            "risk": self.risk.to_dict(),
            "leverage_in_force": str(self.leverage_in_force),
            "start_ms": self.start_ms,
            "maker": self.maker.to_dict(),
            "orders": self.orders.to_dict(),
            "trade": None if self.trade is None else self.trade.to_dict(),
            "stop_track": self.stop_track.to_dict(),
            "entry_signal_id": self.entry_signal_id,
            "entry_evaluated_ms": self.entry_evaluated_ms,
            "seq": self.seq,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], listeners: Listeners = no_listeners) -> SessionState:
        if d.get("version") != DOC_VERSION:
            raise CorruptSession(
                f"session document version {d.get('version')!r}; this build reads {DOC_VERSION}"
            )
        try:
            main, stop = restore_machines(d["machines"], listeners)
            trade = d["trade"]
            return cls(
                main=main,
                stop=stop,
                halt_facts=HaltFacts.from_dict(d["halt"]),
                risk=RiskState.from_dict(d["risk"]),
                leverage_in_force=Decimal(d["leverage_in_force"]),
                start_ms=int(d["start_ms"]),
                maker=MakerTimeouts.from_dict(d["maker"]),
                orders=OwnOrders.from_dict(d["orders"]),
                trade=None if trade is None else OpenTrade.from_dict(trade),
                stop_track=StopTrack.from_dict(d["stop_track"]),
                entry_signal_id=d["entry_signal_id"],
                entry_evaluated_ms=d.get("entry_evaluated_ms"),
                seq=int(d["seq"]),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as e:
            raise CorruptSession(f"session document cannot be restored: {e}") from e
