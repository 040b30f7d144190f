"""Stop supervision (SPEC G6-G8), in every main state including HALT.

The stop_status machine decides: this step builds the facts its guards read, fires the event
(``position_opened``, ``tick`` while the stop is not ACTIVE, or an exchange answer or order
event), and turns the effects of the transition taken into commands — place the stop, look it
up, close the position at market, raise the 10-second rule's manual HALT. Qty changes of an
ACTIVE stop are amended, never cancel-and-replace (G7).
"""

from __future__ import annotations

from accountbuilder.core.halting import position_contracts, raise_halt
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.commands import AmendOrder, CancelOrder, LookupOrder, PlaceOrder
from accountbuilder.domain.enums import HaltKind, OrderRole, OrderStatus, Side, StopStatus
from accountbuilder.domain.lifecycle import OrderEvent
from accountbuilder.domain.models import Order
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.domain.requests import FailureKind, Outcome, Purpose
from accountbuilder.execution.stop import close_spec, mark_beyond_trigger, should_amend, stop_spec
from accountbuilder.machines.base import Moved, Refused
from accountbuilder.machines.context import MachineContext
from accountbuilder.machines.effects import Effect
from accountbuilder.signal.ids import client_id

RETRY_BASE_MS = 5_000  # G8: 5 s, 10 s, 20 s … after the n-th failure in a row
MAX_BACKOFF_MS = 60_000
CLOSE_RETRY_BASE_MS = 1_000  # a refused close: 1 s, 2 s, 4 s … up to 8 s
CLOSE_RETRY_MAX_MS = 8_000
_WORKING = (OrderStatus.NEW, OrderStatus.UNTRIGGERED, OrderStatus.PARTIALLY_FILLED)
_ENDED = (OrderStatus.CANCELLED, OrderStatus.DEACTIVATED, OrderStatus.REJECTED)


def backoff_ms(errors: int, base: int = RETRY_BASE_MS, cap: int = MAX_BACKOFF_MS) -> int:
    """G8: ``base``, 2 × ``base``, 4 × ``base`` … up to ``cap`` after the n-th failure."""
    return min(base * 2 ** max(errors - 1, 0), cap)


def _side(kit: Kit) -> Side | None:
    pos = kit.view.position
    return None if pos is None else pos.side


def _ctx(kit: Kit, s: SessionState, now_ms: int, **kw) -> MachineContext:
    t, trade, side, mark = s.stop_track, s.trade, _side(kit), kit.view.mark_price
    beyond = (
        trade is not None
        and side is not None
        and mark is not None
        and mark_beyond_trigger(side, mark, trade.stop_price)
    )
    return MachineContext(
        now_ms,
        position_contracts(kit),
        stop_tries=t.tries,
        stop_retry_at_ms=t.retry_at_ms,
        stop_pending_since_ms=t.pending_since_ms,
        stop_worked=t.worked,
        amend_in_flight=t.amend_in_flight,
        unprotected_since_ms=t.unprotected_since_ms,
        mark_beyond_trigger=beyond,
        close_retry_at_ms=t.close_retry_at_ms,
        stop_halt_raised=t.halt_raised,
        **kw,
    )


def fire(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, event: str, **facts
) -> Moved | Refused:
    """Fire ``event`` on the stop machine and carry out the effects of the transition taken.

    Evidence and answers that do not apply to the current state (an event of a stop the
    machine has already given up) are refused, not raised: they change nothing.
    """
    if not s.stop.allows(event):
        return Refused(s.stop.machine_name, event, s.stop.state)
    result = s.stop.fire(event, _ctx(kit, s, now_ms, **facts))
    if isinstance(result, Moved):
        _after(kit, s, out, now_ms, result)
    return result


def _after(kit: Kit, s: SessionState, out: Outbox, now_ms: int, moved: Moved) -> None:
    t = s.stop_track
    if moved.target == StopStatus.ERROR.value and moved.source != StopStatus.ERROR.value:
        t.errors += 1
        t.retry_at_ms = now_ms + backoff_ms(t.errors)
    if moved.target == StopStatus.MISSING.value:
        t.client_id = None  # a later event of the lost stop is not about the current one
    for effect in moved.effects:
        _EFFECTS[effect](kit, s, out, now_ms)
    _track_unprotected(kit, s, now_ms)


def _track_unprotected(kit: Kit, s: SessionState, now_ms: int) -> None:
    t = s.stop_track
    if position_contracts(kit) <= 0 or s.stop.state == StopStatus.ACTIVE.value:
        t.unprotected_since_ms = None
    elif t.unprotected_since_ms is None:
        t.unprotected_since_ms = now_ms


def supervise(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """Run every tick while the exchange reports a position (whatever the main state)."""
    contracts = position_contracts(kit)
    if contracts <= 0 or _side(kit) is None or s.trade is None:
        return
    _track_unprotected(kit, s, now_ms)
    state = s.stop.state
    if state == StopStatus.ACTIVE.value:
        _maybe_amend(kit, s, out, now_ms, contracts)
        return
    event = "position_opened" if state == StopStatus.NO_POSITION.value else "tick"
    _after(kit, s, out, now_ms, s.stop.must(event, _ctx(kit, s, now_ms)))


# ---------------------------------------------------------------------------- effects
def _place_stop(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """G6: one conditional stop for the whole position."""
    t, trade, side, contracts = s.stop_track, s.trade, _side(kit), position_contracts(kit)
    assert trade is not None and side is not None
    cid = client_id(trade.signal_id, side, OrderRole.STOP, t.attempt)
    spec = stop_spec(side, contracts, trade.stop_price, cid, kit.config.execution.stop_trigger_by)
    s.orders.add_intent(spec, trade.signal_id, t.attempt, now_ms)
    t.attempt += 1
    out.commands.append(PlaceOrder(spec))
    t.new_stop(cid, trade.stop_price, contracts, now_ms)


def _lookup_stop(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """F4/G8: an unconfirmed stop is looked up by client id (the ack never confirms)."""
    t = s.stop_track
    t.tries += 1
    if t.client_id is not None:
        out.commands.append(LookupOrder(t.client_id, protective=True))


def _close(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """A reduce-only market close of the whole position (G6 wrong side, G8)."""
    t, side, contracts = s.stop_track, _side(kit), position_contracts(kit)
    if side is None or contracts <= 0 or s.trade is None:
        return
    cid = client_id(s.trade.signal_id, side, OrderRole.CLOSE, t.close_attempt)
    spec = close_spec(side, contracts, cid)
    s.orders.add_intent(spec, s.trade.signal_id, t.close_attempt, now_ms)
    t.close_attempt += 1
    t.close_cid, t.close_retry_at_ms = cid, None
    out.commands.append(PlaceOrder(spec))
    out.notes.append(f"close {cid}: stop {s.stop.state}, {contracts} contracts")


def _halt_unprotected(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """G8: no ACTIVE stop for 10 s → manual HALT (once per position)."""
    t = s.stop_track
    unprotected = now_ms - (t.unprotected_since_ms or now_ms)
    figures = {"unprotected_ms": unprotected, "stop_status": s.stop.state}
    raise_halt(kit, s, out, now_ms, ReasonCode.STOP_UNRECOVERABLE, HaltKind.MANUAL, figures)
    t.halt_raised = True


def _close_and_halt(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    _close(kit, s, out, now_ms)
    _halt_unprotected(kit, s, out, now_ms)


_EFFECTS = {
    Effect.PLACE_STOP: _place_stop,
    Effect.LOOKUP_STOP: _lookup_stop,
    Effect.CLOSE_POSITION: _close,
    Effect.RETRY_CLOSE: _close,
    Effect.CLOSE_AND_HALT: _close_and_halt,
    Effect.HALT_UNPROTECTED: _halt_unprotected,
}


# ---------------------------------------------------------------------------- G7 amends
def _maybe_amend(kit: Kit, s: SessionState, out: Outbox, now_ms: int, contracts: int) -> None:
    """G7: amend qty with the debounce (the final sync after G5 is exempt); C3: a trigger
    moved toward the entry after a fill is amended at once."""
    t, trade = s.stop_track, s.trade
    assert trade is not None and t.client_id is not None
    if t.amend_retry_at_ms is not None and now_ms < t.amend_retry_at_ms:
        return  # the last amend was refused: wait out its backoff
    trigger = trade.stop_price if trade.stop_price != t.trigger else None
    decision = should_amend(
        t.qty, contracts, t.last_amend_ms, now_ms, final_sync=not trade.entry_working
    )
    if trigger is None and not decision.amend:
        return
    qty = contracts if contracts != t.qty else None
    t.amend_seq += 1
    s.orders.apply(t.client_id, OrderEvent.AMEND_REQUESTED, now_ms, f"qty {qty} trigger {trigger}")
    out.commands.append(
        AmendOrder(
            t.client_id,
            t.amend_seq,
            qty=qty,
            trigger_price=trigger,
            purpose=Purpose.BUDGET if trigger is not None else Purpose.SYNC,
        )
    )
    fire(kit, s, out, now_ms, "amend_sent")
    t.amend_in_flight, t.amend_target_qty, t.amend_target_trigger = True, qty, trigger
    t.last_amend_ms, t.pending_since_ms, t.tries = now_ms, now_ms, 0


# ---------------------------------------------------------------------------- evidence
def on_stop_order(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, order: Order, via_rest: bool
) -> None:
    """An order event (or a REST read, ``via_rest``) of one of our stops."""
    t = s.stop_track
    if order.client_id != t.client_id:
        _other_stop(kit, s, out, now_ms, order)
        return
    if order.status in _WORKING:
        _working(kit, s, out, now_ms, order, via_rest)
    elif order.status in _ENDED or (
        order.status is OrderStatus.FILLED and position_contracts(kit) > 0
    ):
        # G8: rejected, cancelled or deactivated elsewhere — in any state — or filled while a
        # position remains (it was smaller than the position): the position needs a new stop.
        rejected = order.status is OrderStatus.REJECTED
        fire(kit, s, out, now_ms, "stop_ended", stop_rejected=rejected)


def _working(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, order: Order, via_rest: bool
) -> None:
    t = s.stop_track
    if t.amend_in_flight and not _amend_applied(t, order):
        if via_rest:  # a REST read after the amend still shows the old stop: not applied
            _amend_failed(kit, s, out, now_ms)
        return  # a stream update older than the amend: not evidence of it
    state = s.stop.state
    if state in (StopStatus.PENDING.value, StopStatus.ERROR.value):
        fire(kit, s, out, now_ms, "stop_confirmed")
    if s.stop.state == StopStatus.ACTIVE.value:
        t.confirmed(order.qty, order.trigger_price)


def _amend_applied(t, order: Order) -> bool:
    qty_ok = t.amend_target_qty is None or order.qty == t.amend_target_qty
    trig_ok = t.amend_target_trigger is None or order.trigger_price == t.amend_target_trigger
    return qty_ok and trig_ok


def _other_stop(kit: Kit, s: SessionState, out: Outbox, now_ms: int, order: Order) -> None:
    """A stop that is not the current one shows working: one stop only, once ours works."""
    tracked = s.orders.get(order.client_id)
    if (
        order.status in _WORKING
        and s.stop.state == StopStatus.ACTIVE.value
        and tracked is not None
        and tracked.is_live
        and (tracked.cancel_ms is None or now_ms - tracked.cancel_ms >= 5_000)
    ):
        s.orders.apply(order.client_id, OrderEvent.CANCEL_REQUESTED, now_ms, "duplicate stop")
        out.commands.append(
            CancelOrder(order.client_id, s.next_seq(), Purpose.DUPLICATE, protective=True)
        )


def on_close_order(kit: Kit, s: SessionState, out: Outbox, now_ms: int, order: Order) -> None:
    """The close ended and a position remains (refused, IOC leftovers, sized short): retry."""
    if (
        order.client_id == s.stop_track.close_cid
        and order.status.is_final
        and position_contracts(kit) > 0
    ):
        _close_failed(kit, s, out, now_ms)


# ---------------------------------------------------------------------------- answers
def on_place_failed(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, cid: str, failure: FailureKind
) -> None:
    """The answer to a stop or close placement was a refusal, or nothing was sent."""
    t = s.stop_track
    if cid == t.close_cid:
        if failure.outcome is not Outcome.AMBIGUOUS:
            _close_failed(kit, s, out, now_ms)
        return
    if cid != t.client_id or failure.outcome is Outcome.AMBIGUOUS:
        return  # ambiguous: it may be working; the lookup tells (G2)
    if failure is FailureKind.TRIGGER_WRONG_SIDE:
        fire(kit, s, out, now_ms, "trigger_refused")  # G6: close at once
    else:
        fire(kit, s, out, now_ms, "stop_ended", stop_rejected=True)


def on_amend_failed(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, cid: str, failure: FailureKind
) -> None:
    """G7: an amend of a vanished stop → MISSING; a refused one leaves the old stop (ACTIVE)."""
    t = s.stop_track
    if cid != t.client_id or not t.amend_in_flight or failure.outcome is Outcome.AMBIGUOUS:
        return  # ambiguous: the 5-second lookup tells whether it applied
    if failure is FailureKind.ORDER_NOT_FOUND:
        fire(kit, s, out, now_ms, "stop_ended")
    elif failure is FailureKind.TRIGGER_WRONG_SIDE:
        fire(kit, s, out, now_ms, "trigger_refused")
    else:
        _amend_failed(kit, s, out, now_ms)


def _amend_failed(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """The old stop still stands with its old qty: back to ACTIVE; retry after a backoff."""
    t = s.stop_track
    if isinstance(fire(kit, s, out, now_ms, "amend_refused"), Moved):
        t.amend_in_flight, t.amend_target_qty, t.amend_target_trigger = False, None, None
        t.amend_errors += 1
        t.amend_retry_at_ms = now_ms + backoff_ms(t.amend_errors)


def on_stop_not_found(kit: Kit, s: SessionState, out: Outbox, now_ms: int, cid: str) -> None:
    """A lookup (or reconcile) found no such stop: never placed, or gone (G8)."""
    if cid == s.stop_track.client_id:
        fire(kit, s, out, now_ms, "stop_ended")
    elif cid == s.stop_track.close_cid:
        _close_failed(kit, s, out, now_ms)


def _close_failed(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """G8: a refused close is retried (1 s, 2 s … 8 s) while the 10-second rule runs on."""
    t = s.stop_track
    if isinstance(fire(kit, s, out, now_ms, "close_failed"), Moved):
        t.close_errors += 1
        t.close_cid = None
        t.close_retry_at_ms = now_ms + backoff_ms(
            t.close_errors, CLOSE_RETRY_BASE_MS, CLOSE_RETRY_MAX_MS
        )


def position_gone(kit: Kit, s: SessionState, now_ms: int) -> None:
    """G9: size 0 confirmed: nothing left to protect."""
    if s.stop.state != StopStatus.NO_POSITION.value:
        s.stop.must("position_gone", MachineContext(now_ms, 0))
    s.stop_track.reset()
