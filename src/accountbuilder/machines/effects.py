"""What a transition asks the core to do (the machines decide, the core carries it out)."""

from __future__ import annotations

from enum import StrEnum


class Effect(StrEnum):
    """Named after the ``on=`` callbacks of the machines' transitions."""

    # stop_status (SPEC G6-G8)
    PLACE_STOP = "place_stop"  # send a new conditional stop for the whole position
    LOOKUP_STOP = "lookup_stop"  # F4/G8: look the unconfirmed stop up by client id
    CLOSE_POSITION = "close_position"  # G6: reduce-only market close (mark beyond trigger)
    CLOSE_AND_HALT = "close_and_halt"  # G8: 10 s unprotected → close + manual HALT
    RETRY_CLOSE = "retry_close"  # G8: a refused close is sent again
    HALT_UNPROTECTED = "halt_unprotected"  # G8: still unprotected after 10 s while closing
    # main (SPEC E4)
    START_COOLDOWN = "start_cooldown"  # a temporary HALT calm for 5 min → COOLDOWN 30 min
    LIFT_HALT = "lift_halt"  # COOLDOWN over → the state that matches the exchange
