"""Step 2 of a tick (SPEC F6): apply queued order, fill and request-answer events.

Market/account/position events were folded into the view by step 1. An order's state moves
only on exchange evidence (F4, G8) — the order stream or a REST read — through the one
lifecycle table; a request's answer is an ack, a definite refusal, an ambiguous outcome (look
the client id up first, G2) or "never sent".
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from accountbuilder.core.halting import raise_halt
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.core.steps import emergency, reconcile, stops
from accountbuilder.domain.commands import LookupOrder
from accountbuilder.domain.enums import ExitReason, HaltKind, OrderRole
from accountbuilder.domain.events import (
    CommandFailed,
    CommandSucceeded,
    ExchangeEvent,
    ExchangeSnapshotFetched,
    FundingApplied,
    HaltResetRequested,
    OrderFilled,
    OrderUpdated,
    PositionLiquidated,
)
from accountbuilder.domain.lifecycle import IllegalMove, OrderEvent, OrderPhase
from accountbuilder.domain.models import Fill
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.domain.requests import FailureKind, Outcome, RequestKind
from accountbuilder.execution.budget import check_budget
from accountbuilder.execution.fees import verify_fee

ENTRY_ROLES = (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
EXIT_REASON = {
    OrderRole.STOP: ExitReason.STOP,
    OrderRole.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
    OrderRole.CLOSE: ExitReason.CLOSE,
}
_ANSWER = {
    Outcome.DEFINITE: OrderEvent.REFUSED,
    Outcome.AMBIGUOUS: OrderEvent.AMBIGUOUS,
    Outcome.NOT_SENT: OrderEvent.NOT_SENT,
}


def run(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, events: Sequence[ExchangeEvent]
) -> None:
    for ev in events:
        if isinstance(ev, OrderFilled):
            _on_fill(kit, s, out, now_ms, ev.fill)
        elif isinstance(ev, OrderUpdated):
            on_order(kit, s, out, now_ms, ev)
        elif isinstance(ev, CommandSucceeded):
            _on_success(kit, s, out, now_ms, ev)
        elif isinstance(ev, CommandFailed):
            _on_failure(kit, s, out, now_ms, ev)
        elif isinstance(ev, FundingApplied) and s.trade is not None:
            s.trade.funding_btc += ev.amount_btc
        elif isinstance(ev, PositionLiquidated) and s.trade is not None:
            s.trade.add_exit_fill(ev.contracts, ev.price, Decimal(0), ExitReason.LIQUIDATION)
        elif isinstance(ev, HaltResetRequested):
            emergency.apply_reset(kit, s, out, now_ms, ev)
        elif isinstance(ev, ExchangeSnapshotFetched):
            reconcile.apply(kit, s, out, now_ms, ev)


def _estimated_rate(kit: Kit, role: OrderRole):
    return kit.fees.maker if role in (OrderRole.ENTRY, OrderRole.TAKE_PROFIT) else kit.fees.taker


def _on_fill(kit: Kit, s: SessionState, out: Outbox, now_ms: int, fill: Fill) -> None:
    tracked = s.orders.on_fill(fill, now_ms)
    if tracked is None or s.trade is None:
        return
    check = verify_fee(fill, _estimated_rate(kit, tracked.role))  # G10
    estimated_btc = check.estimated_usd / fill.price
    s.risk = s.risk.on_fill_fee(
        fill.fee_btc, estimated_btc, now_ms, kit.config.risk.fee_spike_hours
    )
    if check.spike:
        out.notes.append(
            f"fee_spike cid={fill.client_id} ratio={check.ratio} actual_usd={check.actual_usd}"
        )
    if tracked.role is OrderRole.TAKER_ENTRY and check.spike:
        s.risk = s.risk.on_taker_failed(now_ms)  # G4: the taker entry failed by a fee spike
    if tracked.role in ENTRY_ROLES:
        if s.trade.add_entry_fill(fill.qty, fill.price, fill.fee_btc, fill.ts_ms):
            s.risk = s.risk.on_first_fill(now_ms, taker=tracked.role is OrderRole.TAKER_ENTRY)  # B6
            s.maker.record_fill(s.trade.signal_id)
        _check_loss_budget(kit, s, out, fill)
    elif tracked.role in EXIT_REASON:
        s.trade.add_exit_fill(fill.qty, fill.price, fill.fee_btc, EXIT_REASON[tracked.role])


def _check_loss_budget(kit: Kit, s: SessionState, out: Outbox, fill: Fill) -> None:
    """C3 after each entry fill: the exact loss at the stop from the actual average fill.

    Over ``max_loss_btc`` (a fill worse than the order allowed) the stop trigger moves toward
    the entry until it fits — never away; the stop supervisor amends it (G7) or places it there.
    """
    trade = s.trade
    if trade.max_loss_btc <= 0:
        return  # an adopted position has no budget of its own (C1's fallback stop)
    check = check_budget(
        trade.side,
        trade.entry_qty,
        trade.entry_notional_btc,
        trade.stop_price,
        trade.max_loss_btc,
        kit.tick,
    )
    if check.fitted_stop is None:
        return
    trade.planned_stop_price = trade.planned_stop_price or trade.stop_price
    trade.stop_price = check.fitted_stop
    figures = " ".join(f"{k}={v}" for k, v in check.figures().items())
    out.notes.append(f"loss_budget_anomaly cid={fill.client_id} fill={fill.price} {figures} (C3)")


def on_order(kit: Kit, s: SessionState, out: Outbox, now_ms: int, ev: OrderUpdated) -> None:
    """Exchange evidence of one of our orders (stream or REST read), through the lifecycle."""
    order = ev.order
    folded = s.orders.on_order(order, now_ms)
    if folded is None:
        return
    tracked, move = folded
    if isinstance(move, IllegalMove):
        return  # refused and reported (a final order never moves again)
    if move.target.is_final and not move.changed:
        return  # the same end told twice (a replayed or duplicated event): nothing new
    if tracked.role is OrderRole.STOP:
        stops.on_stop_order(kit, s, out, now_ms, order, ev.via_rest)
    elif tracked.role is OrderRole.CLOSE:
        stops.on_close_order(kit, s, out, now_ms, order)
    elif tracked.role is OrderRole.ENTRY and _ended_unfilled(move, tracked):
        if order.reject_reason == POST_ONLY_REASON:
            # G3: a PostOnly cancelled by the exchange because it would take liquidity.
            _post_only_refused(s, tracked.client_id)
        elif move.target is OrderPhase.REJECTED:
            _entry_refused(s, out, now_ms, tracked.client_id, order.reject_reason or "rejected")
    elif tracked.role is OrderRole.TAKER_ENTRY and _ended_unfilled(move, tracked):
        s.risk = s.risk.on_taker_failed(now_ms)  # G4: the IOC filled nothing: blocked 1 h


def _ended_unfilled(move, tracked) -> bool:
    return move.changed and move.target.is_final and tracked.filled_qty == 0


POST_ONLY_REASON = "EC_PostOnlyWillTakeLiquidity"  # Bybit rejectReason (reference §4.9)


def _entry_refused(s: SessionState, out: Outbox, now_ms: int, cid: str, why: str) -> None:
    """D6: an entry the gates accepted and the exchange refused blocks entries for 5 minutes
    (``BLOCK_ENTRY_REFUSED``), so it is not re-sent at once under a new attempt id."""
    s.risk = s.risk.on_entry_refused(now_ms)
    out.notes.append(f"entry {cid} refused by the exchange ({why}): entries wait 5 minutes")


def _post_only_refused(s: SessionState, cid: str) -> None:
    """G3: counts once per order as a maker timeout (answer and event may both say it)."""
    s.maker.record_timeout(cid)


def _on_success(kit: Kit, s: SessionState, out: Outbox, now_ms: int, ev: CommandSucceeded) -> None:
    req = ev.request
    if req.kind is RequestKind.PLACE:
        s.orders.on_answer(req.client_id, OrderEvent.ACCEPTED, now_ms, ev.order_id)
        tracked = s.orders.get(req.client_id)
        if tracked is not None and ev.order_id:
            tracked.order_id = tracked.order_id or ev.order_id
    elif req.kind is RequestKind.LOOKUP and ev.found is False:
        _not_found(kit, s, out, now_ms, req.client_id)


def _not_found(kit: Kit, s: SessionState, out: Outbox, now_ms: int, cid: str) -> None:
    """G2: looked up and not found: it never reached the book, or it is long gone."""
    tracked = s.orders.get(cid)
    if tracked is None:
        return
    s.orders.apply(cid, OrderEvent.NOT_FOUND, now_ms, "lookup")
    if tracked.role in (OrderRole.STOP, OrderRole.CLOSE):
        stops.on_stop_not_found(kit, s, out, now_ms, cid)


def _on_failure(kit: Kit, s: SessionState, out: Outbox, now_ms: int, ev: CommandFailed) -> None:
    req, failure = ev.request, ev.failure
    if req.kind is RequestKind.RECONCILE and failure is FailureKind.MALFORMED:
        # E3: an answer that cannot be the position or the orders: HALT (manual), keep the
        # last known position and its stop (E7).
        figures = {"detail": ev.message[:200], "request": "reconcile"}
        raise_halt(kit, s, out, now_ms, ReasonCode.BALANCE_ANOMALY, HaltKind.MANUAL, figures)
        return
    tracked = s.orders.get(req.client_id)
    if tracked is None:
        return
    if req.kind is RequestKind.PLACE:
        _place_failed(kit, s, out, now_ms, ev)
    elif req.kind is RequestKind.AMEND and tracked.role is OrderRole.STOP:
        stops.on_amend_failed(kit, s, out, now_ms, req.client_id, failure)
    elif req.kind is RequestKind.CANCEL and tracked.is_live and failure in _LOOK_AFTER_CANCEL:
        # The cancel met an order already final (or may have): learn which by a REST read.
        out.commands.append(LookupOrder(req.client_id, protective=tracked.role.is_protective))


_LOOK_AFTER_CANCEL = frozenset({FailureKind.ORDER_NOT_FOUND, FailureKind.OUTCOME_UNKNOWN})


def _place_failed(kit: Kit, s: SessionState, out: Outbox, now_ms: int, ev: CommandFailed) -> None:
    cid, failure = ev.request.client_id, ev.failure
    tracked = s.orders.get(cid)
    assert tracked is not None
    was_live = tracked.is_live
    s.orders.on_answer(cid, _ANSWER[failure.outcome], now_ms, failure.value)
    if failure.outcome is Outcome.AMBIGUOUS:
        # G2: a timeout is unknown, a duplicate id means "already placed": look it up first.
        tracked.lookup_ms, tracked.lookups = now_ms, tracked.lookups + 1
        out.commands.append(LookupOrder(cid, protective=tracked.role.is_protective))
        return
    if tracked.role in (OrderRole.STOP, OrderRole.CLOSE):
        stops.on_place_failed(kit, s, out, now_ms, cid, failure)
    elif tracked.role is OrderRole.ENTRY and failure is FailureKind.POST_ONLY_WOULD_TAKE:
        _post_only_refused(s, cid)  # G3: counts as a maker timeout
    elif tracked.role is OrderRole.TAKER_ENTRY and was_live:
        s.risk = s.risk.on_taker_failed(now_ms)  # G4: a failed taker entry blocks 1 h
    elif tracked.role is OrderRole.ENTRY and was_live and failure.outcome is Outcome.DEFINITE:
        _entry_refused(s, out, now_ms, cid, failure.value)
