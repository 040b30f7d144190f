"""The stop_status sub-machine (SPEC G8): NO_POSITION / PENDING / ACTIVE / MISSING / ERROR.

Live whenever a position exists, in every main state (HALT and COOLDOWN included). The
10-second rule (no ACTIVE stop for 10 s → reduce-only market close + manual HALT) is applied by
the stop supervisor, which watches how long this machine has been outside ACTIVE.
"""

from __future__ import annotations

from statemachine import State

from accountbuilder.domain.enums import StopStatus
from accountbuilder.machines.base import GuardedMachine


class StopStatusMachine(GuardedMachine):
    machine_name = "stop_status"

    no_position = State(
        StopStatus.NO_POSITION.value, value=StopStatus.NO_POSITION.value, initial=True
    )
    pending = State(StopStatus.PENDING.value, value=StopStatus.PENDING.value)
    active = State(StopStatus.ACTIVE.value, value=StopStatus.ACTIVE.value)
    missing = State(StopStatus.MISSING.value, value=StopStatus.MISSING.value)
    error = State(StopStatus.ERROR.value, value=StopStatus.ERROR.value)

    # G5/G6: a position exists → the conditional stop is sent at once;
    # G8: MISSING → re-placed at once; ERROR → retried after the backoff.
    stop_placed = (
        no_position.to(pending, cond="position_open")
        | missing.to(pending, cond="position_open")
        | error.to(pending, cond=["position_open", "backoff_elapsed"])
    )
    # G8: the exchange confirms the stop (or the amend).
    stop_confirmed = pending.to(active)
    # G7/G8: an amend is in flight → PENDING until confirmed.
    amend_sent = active.to(pending)
    # G7/G8: cancelled/deactivated elsewhere, reconcile finds none, or amend on a vanished order.
    stop_lost = active.to(missing) | pending.to(missing)
    # G8: rejected, or unconfirmed after 3 tries 5 s apart.
    stop_failed = pending.to(error, cond="stop_failure_confirmed")
    # G9: the exchange confirms size 0: nothing left to protect.
    position_gone = (
        pending.to(no_position, cond="position_flat")
        | active.to(no_position, cond="position_flat")
        | missing.to(no_position, cond="position_flat")
        | error.to(no_position, cond="position_flat")
    )
