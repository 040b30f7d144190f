"""Step 2 of a tick (SPEC F6): apply queued order, fill and command-outcome events.

Market/account/position events were folded into the view by step 1. Confirmations come from
the exchange's events and answers (F4), never from polling.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.orders import Phase
from accountbuilder.core.state import SessionState
from accountbuilder.core.steps import emergency, reconcile
from accountbuilder.core.steps.stops import on_stop_failure, on_stop_order
from accountbuilder.domain.commands import LookupOrder
from accountbuilder.domain.enums import ExitReason, OrderRole
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
from accountbuilder.domain.models import Fill, Order
from accountbuilder.execution.fees import verify_fee

ENTRY_ROLES = (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
EXIT_REASON = {
    OrderRole.STOP: ExitReason.STOP,
    OrderRole.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
    OrderRole.CLOSE: ExitReason.CLOSE,
}


def run(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, events: Sequence[ExchangeEvent]
) -> None:
    for ev in events:
        if isinstance(ev, OrderFilled):
            _on_fill(kit, s, out, now_ms, ev.fill)
        elif isinstance(ev, OrderUpdated):
            _on_order(kit, s, out, now_ms, ev.order)
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
    elif tracked.role in EXIT_REASON:
        s.trade.add_exit_fill(fill.qty, fill.price, fill.fee_btc, EXIT_REASON[tracked.role])


def _on_order(kit: Kit, s: SessionState, out: Outbox, now_ms: int, order: Order) -> None:
    before = s.orders.get(order.client_id)
    was_live = before is not None and before.phase.is_live
    tracked = s.orders.on_order(order, now_ms)
    if tracked is None:
        return
    if tracked.role is OrderRole.STOP:
        on_stop_order(kit, s, out, now_ms, order)
    elif (
        tracked.role is OrderRole.ENTRY
        and was_live
        and tracked.phase is Phase.CANCELLED
        and tracked.filled_qty == 0
    ):
        # G3: an unfilled maker entry that ended (our timeout cancel, or the exchange's PostOnly
        # cancel EC_PostOnlyWillTakeLiquidity) counts once as a maker timeout.
        s.maker.record_timeout(s.entry_signal_id or "")


def _parse_intent(intent_id: str) -> tuple[str, str]:
    """``cid`` → ("place", cid); ``cid:amend3`` → ("amend", cid); ``cid:cancel:x`` → ("cancel", cid)."""
    cid, _, rest = intent_id.partition(":")
    kind = rest.split(":")[0].rstrip("0123456789") if rest else "place"
    return kind, cid


def _on_success(kit: Kit, s: SessionState, out: Outbox, now_ms: int, ev: CommandSucceeded) -> None:
    kind, cid = _parse_intent(ev.intent_id)
    tracked = s.orders.get(cid)
    if tracked is None:
        return
    if kind == "place" and tracked.sent_ms is None:
        tracked.sent_ms = ev.local_ts_ms  # G3's maker timeout runs from the acknowledged send
        tracked.phase = Phase.OPEN if tracked.phase is Phase.INTENT else tracked.phase
    if ev.order is not None:
        _on_order(kit, s, out, now_ms, ev.order)
    elif kind == "lookup" and tracked.phase in (Phase.UNKNOWN, Phase.SENT):
        tracked.phase = Phase.REJECTED  # G2: looked up and not found → it never reached the book
        tracked.reject_reason = "not found after timeout"
        if tracked.role is OrderRole.STOP:
            on_stop_failure(kit, s, out, now_ms, "OrderNotFound", "lookup")
    elif kind == "cancel":
        tracked.phase = Phase.CANCELLED if tracked.phase is not Phase.FILLED else tracked.phase


def _on_failure(kit: Kit, s: SessionState, out: Outbox, now_ms: int, ev: CommandFailed) -> None:
    kind, cid = _parse_intent(ev.intent_id)
    tracked = s.orders.get(cid)
    if tracked is None:
        return
    if ev.kind in ("OutcomeUnknown", "DuplicateClientId"):
        # G2: a timeout is unknown, a duplicate id means "already placed": look it up.
        if kind == "place":
            tracked.phase = Phase.UNKNOWN
        out.commands.append(LookupOrder(cid))
        return
    if kind == "cancel":
        if ev.kind == "OrderNotFound":
            tracked.phase = Phase.CANCELLED if tracked.phase is not Phase.FILLED else tracked.phase
        return
    if tracked.role is OrderRole.STOP:
        on_stop_failure(kit, s, out, now_ms, ev.kind, kind)
        if kind == "place":
            tracked.phase = Phase.REJECTED
        return
    if kind == "place":
        was_live = tracked.phase.is_live
        tracked.phase, tracked.reject_reason = Phase.REJECTED, ev.kind
        if not was_live:
            return
        if tracked.role is OrderRole.ENTRY and ev.kind == "PostOnlyWouldTake":
            s.maker.record_timeout(s.entry_signal_id or "")  # G3: counts as a maker timeout
        if tracked.role is OrderRole.TAKER_ENTRY:
            s.risk = s.risk.on_taker_failed(now_ms)  # G4: a failed taker entry blocks 1 h
