"""Stop supervision (SPEC G6-G8), in every main state including HALT.

A position gets its conditional stop at once; MISSING is re-placed at once; PENDING is checked
every 5 s and becomes ERROR after 3 unconfirmed tries (or a rejection); ERROR retries with a
growing backoff; a position without an ACTIVE stop for 10 s is closed at market (reduce-only)
and HALTed (manual). Qty changes are amended, never cancel-and-replace (G7).
"""

from __future__ import annotations

from accountbuilder.constants import STOP_MISSING_MAX_MS
from accountbuilder.core.halting import position_contracts, raise_halt
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.commands import AmendOrder, LookupOrder, PlaceOrder
from accountbuilder.domain.enums import HaltKind, OrderRole, OrderStatus, Side, StopStatus
from accountbuilder.domain.models import Order
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.execution.stop import (
    STOP_RETRY_INTERVAL_MS,
    close_spec,
    mark_beyond_trigger,
    should_amend,
    stop_spec,
)
from accountbuilder.machines.context import MachineContext
from accountbuilder.machines.guards import STOP_CONFIRM_TRIES
from accountbuilder.signal.ids import client_id

MAX_BACKOFF_MS = 60_000


def _ctx(kit: Kit, s: SessionState, now_ms: int, **kw) -> MachineContext:
    return MachineContext(
        now_ms, position_contracts(kit), stop_retry_at_ms=s.stop_track.retry_at_ms, **kw
    )


def _side(kit: Kit) -> Side | None:
    pos = kit.view.position
    return None if pos is None else pos.side


def supervise(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """Run every tick while the exchange reports a position."""
    t, contracts, side = s.stop_track, position_contracts(kit), _side(kit)
    if contracts <= 0 or side is None or s.trade is None:
        return
    if s.stop.state == StopStatus.ACTIVE.value:
        t.unprotected_since_ms = None
    elif t.unprotected_since_ms is None:
        t.unprotected_since_ms = now_ms
    if t.closing:
        return
    if (
        t.unprotected_since_ms is not None
        and now_ms - t.unprotected_since_ms >= STOP_MISSING_MAX_MS
    ):
        unprotected = now_ms - t.unprotected_since_ms
        close_position(kit, s, out, now_ms, "no ACTIVE stop for 10 s (G8)")
        raise_halt(
            kit,
            s,
            out,
            now_ms,
            ReasonCode.STOP_UNRECOVERABLE,
            HaltKind.MANUAL,
            {"unprotected_ms": unprotected, "stop_status": s.stop.state},
        )
        return
    state = s.stop.state
    if state in (StopStatus.NO_POSITION.value, StopStatus.MISSING.value):
        place_stop(kit, s, out, now_ms)
    elif state == StopStatus.PENDING.value:
        _check_pending(kit, s, out, now_ms)
    elif state == StopStatus.ERROR.value and (t.retry_at_ms is None or now_ms >= t.retry_at_ms):
        place_stop(kit, s, out, now_ms)
    elif state == StopStatus.ACTIVE.value:
        _maybe_amend(kit, s, out, now_ms, contracts)


def place_stop(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """Send the G6 stop for the whole position, or close at once if the mark is beyond it."""
    t, trade, side, contracts = s.stop_track, s.trade, _side(kit), position_contracts(kit)
    assert trade is not None and side is not None
    mark = kit.view.mark_price
    if mark is not None and mark_beyond_trigger(side, mark, trade.stop_price):
        close_position(kit, s, out, now_ms, f"mark {mark} beyond trigger {trade.stop_price} (G6)")
        return
    cid = client_id(trade.signal_id, side, OrderRole.STOP, t.attempt)
    t.attempt += 1
    spec = stop_spec(side, contracts, trade.stop_price, cid, kit.config.execution.stop_trigger_by)
    s.orders.add_intent(spec, now_ms)
    out.commands.append(PlaceOrder(spec, cid))
    s.stop.fire("stop_placed", _ctx(kit, s, now_ms))
    t.client_id, t.trigger, t.qty, t.sent_ms, t.tries = cid, trade.stop_price, contracts, now_ms, 0


def close_position(kit: Kit, s: SessionState, out: Outbox, now_ms: int, why: str) -> None:
    """A reduce-only market close of the whole position (G6 wrong side, G8 10-second rule)."""
    t, side, contracts = s.stop_track, _side(kit), position_contracts(kit)
    if side is None or contracts <= 0 or s.trade is None or t.closing:
        return
    cid = client_id(s.trade.signal_id, side, OrderRole.CLOSE, t.close_attempt)
    t.close_attempt += 1
    spec = close_spec(side, contracts, cid)
    s.orders.add_intent(spec, now_ms)
    out.commands.append(PlaceOrder(spec, cid))
    out.notes.append(f"close {cid}: {why}")
    t.closing = True


def _check_pending(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """G8/F4: unconfirmed for 5 s → look it up; after 3 tries → ERROR."""
    t = s.stop_track
    if t.sent_ms is None or now_ms - t.sent_ms < STOP_RETRY_INTERVAL_MS * (t.tries + 1):
        return
    t.tries += 1
    if t.tries >= STOP_CONFIRM_TRIES:
        _to_error(kit, s, now_ms, rejected=False)
    elif t.client_id is not None:
        out.commands.append(LookupOrder(t.client_id))


def _to_error(kit: Kit, s: SessionState, now_ms: int, *, rejected: bool) -> None:
    t = s.stop_track
    result = s.stop.fire(
        "stop_failed", _ctx(kit, s, now_ms, stop_rejected=rejected, stop_tries=t.tries)
    )
    if result.accepted:
        t.errors += 1
        t.retry_at_ms = now_ms + _backoff_ms(t.errors)


def _backoff_ms(errors: int) -> int:
    """G8: 5 s, 10 s, 20 s … up to 60 s after the n-th failure in a row."""
    return min(STOP_RETRY_INTERVAL_MS * 2 ** (errors - 1), MAX_BACKOFF_MS)


def _maybe_amend(kit: Kit, s: SessionState, out: Outbox, now_ms: int, contracts: int) -> None:
    """G7: amend qty with the debounce; the final sync after G5 is exempt."""
    t, trade = s.stop_track, s.trade
    assert trade is not None and t.client_id is not None
    if t.retry_at_ms is not None and now_ms < t.retry_at_ms:
        return  # the last amend was refused: wait out its backoff
    decision = should_amend(
        t.qty, contracts, t.last_amend_ms, now_ms, final_sync=not trade.entry_working
    )
    if not decision.amend:
        return
    t.amend_seq += 1
    out.commands.append(
        AmendOrder(t.client_id, f"{t.client_id}:amend{t.amend_seq}", qty=contracts, protective=True)
    )
    s.stop.fire("amend_sent", _ctx(kit, s, now_ms))
    t.amend_target_qty, t.last_amend_ms, t.sent_ms, t.tries = contracts, now_ms, now_ms, 0


def on_stop_order(kit: Kit, s: SessionState, out: Outbox, now_ms: int, order: Order) -> None:
    """An update of one of our stops: confirmation, loss elsewhere, trigger."""
    t = s.stop_track
    if order.client_id != t.client_id:
        return
    state = s.stop.state
    if (
        order.status in (OrderStatus.UNTRIGGERED, OrderStatus.NEW)
        and state == StopStatus.PENDING.value
    ):
        s.stop.fire("stop_confirmed", _ctx(kit, s, now_ms))
        t.qty = order.qty
        t.tries, t.errors, t.retry_at_ms, t.amend_target_qty = 0, 0, None, None
    elif order.status in (OrderStatus.CANCELLED, OrderStatus.DEACTIVATED) and state in (
        StopStatus.ACTIVE.value,
        StopStatus.PENDING.value,
    ):
        if position_contracts(kit) > 0:
            s.stop.fire("stop_lost", _ctx(kit, s, now_ms))  # G8: cancelled elsewhere → MISSING
            t.client_id = None
    elif order.status is OrderStatus.REJECTED and state == StopStatus.PENDING.value:
        _to_error(kit, s, now_ms, rejected=True)


def on_stop_failure(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, error: str, kind: str
) -> None:
    """A stop command failed: amend on a vanished order → MISSING (G7); refusal → ERROR (G8)."""
    state = s.stop.state
    if state != StopStatus.PENDING.value:
        return
    if error == "TriggerWrongSide":
        close_position(kit, s, out, now_ms, "exchange refused the trigger: mark beyond it (G6)")
        s.stop.fire("stop_failed", _ctx(kit, s, now_ms, stop_rejected=True))
        return
    if kind == "amend" and error != "OrderNotFound":
        # The old stop still stands with its old qty: it is confirmed. The amend is retried
        # after a growing backoff (the exempt final sync too), never again in the same tick.
        s.stop.fire("stop_confirmed", _ctx(kit, s, now_ms))
        t = s.stop_track
        t.errors += 1
        t.retry_at_ms = now_ms + _backoff_ms(t.errors)
        return
    if error == "OrderNotFound" or kind == "lookup":
        s.stop.fire("stop_lost", _ctx(kit, s, now_ms))
        s.stop_track.client_id = None
        return
    _to_error(kit, s, now_ms, rejected=True)
