"""The facts guards read. The core builds one per event; guards never change it."""

from __future__ import annotations

from dataclasses import dataclass

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import Denial


@dataclass(frozen=True, slots=True)
class MachineContext:
    """Exchange truth and timers at the moment an event is fired (times in UTC ms)."""

    now_ms: int
    position_contracts: int = 0  # the exchange's position size; 0 = flat
    entry_denial: Denial | None = None  # the gate chain's refusal, None when accepted
    entry_evaluated: bool = False  # True when a gate-chain decision backs an entry event
    halt_kind: HaltKind | None = None
    calm_since_ms: int | None = None  # start of the current E4 calm window
    cooldown_until_ms: int | None = None
    reset_reason: str = ""  # the text given to `accountbuilder halt reset --reason`
    reset_who: str = "operator"  # who asked for the reset (E5: recorded, must not be blank)
    stop_rejected: bool = False  # the exchange refused the stop (G8 PENDING → ERROR)
    stop_tries: int = 0  # unconfirmed checks of the current PENDING stop (G8)
    stop_retry_at_ms: int | None = None  # backoff: earliest time of the next retry from ERROR
    stop_pending_since_ms: int | None = None  # when the current PENDING began (send or amend)
    stop_worked: bool = False  # the current stop order was seen working (G8: loss → MISSING)
    amend_in_flight: bool = False  # a stop amend waits for its answer (G7)
    unprotected_since_ms: int | None = None  # position open without an ACTIVE stop since (G8)
    mark_beyond_trigger: bool = False  # G6: the exchange would refuse the trigger
    close_retry_at_ms: int | None = None  # a refused close is retried from then (G8)
    stop_halt_raised: bool = False  # the 10-second rule's manual HALT is raised (G8)
