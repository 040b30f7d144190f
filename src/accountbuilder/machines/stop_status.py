"""The stop_status sub-machine (SPEC G6-G8): it owns the protection of an open position.

Live whenever a position exists, in every main state (HALT and COOLDOWN included). The rules
are its transitions, not flags kept elsewhere: the 10-second rule, "3 tries 5 s apart", the
retry backoff and the refused-close retry are guarded transitions of ``tick``, whose guards
choose (the first declared branch whose guards pass is taken; the last branch of each state
is "nothing due"). ACTIVE is entered only on exchange evidence (an order event or a REST read
showing the stop working), never on an ack. Effects (``on=``) tell the core what to send.
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
    closing = State(StopStatus.CLOSING.value, value=StopStatus.CLOSING.value)

    # G5/G6: a position appears → its conditional stop is sent at once; if the mark is already
    # beyond the trigger (the exchange would refuse it) the position is closed at once instead.
    position_opened = no_position.to(
        closing, cond=["position_open", "mark_beyond_trigger"], on="close_position"
    ) | no_position.to(pending, cond="position_open", on="place_stop")
    # G8: an order event or a REST read shows the stop working (an ack never does).
    stop_confirmed = pending.to(active)
    # G7/G8: an amend is in flight → PENDING until the exchange shows it.
    amend_sent = active.to(pending)
    # G7: the amend was refused; the old stop still works with its old qty.
    amend_refused = pending.to(active, cond="amend_in_flight")
    # G8: the stop is rejected, cancelled or deactivated (in any state), reconcile finds none,
    # or an amend meets a vanished order. A stop that never worked and is refused → ERROR
    # (retry with backoff); one that worked → MISSING (re-placed at once by the next tick).
    stop_ended = pending.to(error, cond="place_refused") | pending.to(missing) | active.to(missing)
    # G6: the exchange refused the trigger of a stop (or an amend of it) on the wrong side:
    # close at once. Only a request in flight (PENDING) can be refused.
    trigger_refused = pending.to(closing, cond="position_open", on="close_position")
    # G8: a close order ended without flattening the position (refused, cancelled, partial).
    close_failed = closing.to.itself(internal=True)
    # G8, every tick while not ACTIVE (guards choose, in this order):
    tick = (
        # the 10-second rule always ends in a reduce-only close plus a manual HALT
        pending.to(closing, cond="unprotected_too_long", on="close_and_halt")
        | missing.to(closing, cond="unprotected_too_long", on="close_and_halt")
        | error.to(closing, cond="unprotected_too_long", on="close_and_halt")
        # a refused close is retried; it never suspends the 10-second rule's HALT
        | closing.to.itself(
            cond=["unprotected_too_long", "halt_not_raised"], internal=True, on="halt_unprotected"
        )
        | closing.to.itself(cond="close_retry_due", internal=True, on="retry_close")
        | closing.to.itself(internal=True)
        # unconfirmed: look it up every 5 s (G8's "3 tries 5 s apart" end in ERROR at 15 s;
        # the 10-second rule above always comes first, so that branch is not declared)
        | pending.to.itself(cond="confirm_due", internal=True, on="lookup_stop")
        | pending.to.itself(internal=True)
        # MISSING is re-placed at once (closed instead when the mark is beyond the trigger)
        | missing.to(closing, cond="mark_beyond_trigger", on="close_position")
        | missing.to(pending, on="place_stop")
        # ERROR retries after its backoff
        | error.to(closing, cond=["backoff_elapsed", "mark_beyond_trigger"], on="close_position")
        | error.to(pending, cond="backoff_elapsed", on="place_stop")
        | error.to.itself(internal=True)
    )
    # G9: the exchange confirms size 0: nothing left to protect.
    position_gone = (
        pending.to(no_position, cond="position_flat")
        | active.to(no_position, cond="position_flat")
        | missing.to(no_position, cond="position_flat")
        | error.to(no_position, cond="position_flat")
        | closing.to(no_position, cond="position_flat")
    )
