"""The main trading machine: FLAT / ENTRY_PENDING / IN_POSITION / EXIT_PENDING / HALT / COOLDOWN.

Every edge below has a comment saying when it is taken; guards are in ``machines.guards``.
It is also the one halt machine: HALT and COOLDOWN are decided here and nowhere else (E4's
calm window and the cooldown are guards of ``tick``; E5's reset rule is the guard of
``reset``); the halt's data (kind, reasons, times) is kept beside it in ``emergency.halts``.
Stop supervision is NOT here: it is the separate ``StopStatusMachine``, which keeps running in
HALT and COOLDOWN (SPEC E7, G8). Leaving HALT or COOLDOWN lands in the state that matches the
exchange (position open → IN_POSITION, else FLAT).
"""

from __future__ import annotations

from statemachine import State

from accountbuilder.domain.enums import MainState
from accountbuilder.machines.base import GuardedMachine


class TradingMachine(GuardedMachine):
    machine_name = "main"

    flat = State(MainState.FLAT.value, value=MainState.FLAT.value, initial=True)
    entry_pending = State(MainState.ENTRY_PENDING.value, value=MainState.ENTRY_PENDING.value)
    in_position = State(MainState.IN_POSITION.value, value=MainState.IN_POSITION.value)
    exit_pending = State(MainState.EXIT_PENDING.value, value=MainState.EXIT_PENDING.value)
    halt = State(MainState.HALT.value, value=MainState.HALT.value)
    cooldown = State(MainState.COOLDOWN.value, value=MainState.COOLDOWN.value)

    # D: the gate chain accepted and the PostOnly entry (or G4 taker entry) was sent.
    entry_placed = flat.to(entry_pending, cond="entry_accepted")
    # G5: first fill (partial or full) → a position exists.
    entry_filled = entry_pending.to(in_position, cond="position_open")
    # G3: timeout / PostOnly rejection / cancel: flat if nothing filled, else in position.
    entry_ended = entry_pending.to(flat, cond="position_flat") | entry_pending.to(
        in_position, cond="position_open"
    )
    # G9: an exit is under way (TP fill, stop trigger, reduce-only close sent).
    exit_started = in_position.to(exit_pending)
    # G9: the exchange confirms size 0.
    position_closed = exit_pending.to(flat, cond="position_flat")
    # G9: the exit stopped short (close refused, TP cancelled) and the position is still open.
    exit_aborted = exit_pending.to(in_position, cond="position_open")
    # E1-E6, D4, G8, H2, H3, F3: any emergency halts from every state (HALT: reason added).
    halt_raised = (
        flat.to(halt)
        | entry_pending.to(halt)
        | in_position.to(halt)
        | exit_pending.to(halt)
        | cooldown.to(halt)
        | halt.to.itself(internal=True)
    )
    # E4, every tick in HALT or COOLDOWN (guards choose): a temporary HALT calm for 5 minutes
    # → COOLDOWN 30 min; COOLDOWN over → the state that matches the exchange (E7).
    tick = (
        halt.to(cooldown, cond=["halt_is_temporary", "calm_long_enough"], on="start_cooldown")
        | halt.to.itself(internal=True)
        | cooldown.to(in_position, cond=["cooldown_over", "position_open"], on="lift_halt")
        | cooldown.to(flat, cond=["cooldown_over", "position_flat"], on="lift_halt")
        | cooldown.to.itself(internal=True)
    )
    # E5: `accountbuilder halt reset --reason` → the state that matches the exchange (E7).
    reset = halt.to(in_position, cond=["reset_reason_given", "position_open"]) | halt.to(
        flat, cond=["reset_reason_given", "position_flat"]
    )
    # F5: reconcile found local state wrong → take the exchange's truth.
    resynced = (
        flat.to(in_position, cond="position_open")
        | entry_pending.to(in_position, cond="position_open")
        | entry_pending.to(flat, cond="position_flat")
        | in_position.to(flat, cond="position_flat")
        | exit_pending.to(in_position, cond="position_open")
        | exit_pending.to(flat, cond="position_flat")
    )
