"""Reconcile with the exchange's truth (SPEC F3, F5, I4 restart).

A mismatch of position size/side, open orders by client id, or stop presence is acted on
after 3 consecutive reconciles show the same one (at once for a missing stop, and at start);
then local state takes the exchange's truth and entries pause 5 s.
"""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.orders import TrackedOrder
from accountbuilder.core.state import SessionState
from accountbuilder.core.steps import stops
from accountbuilder.core.trade import OpenTrade
from accountbuilder.domain.enums import Liquidity, OrderRole, OrderStatus, Side
from accountbuilder.domain.events import ExchangeSnapshotFetched, OrderUpdated, PositionUpdated
from accountbuilder.domain.lifecycle import OrderEvent, OrderPhase
from accountbuilder.domain.models import Order
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.exchange.port import ExchangePosition
from accountbuilder.health.reconcile import BookView
from accountbuilder.machines.context import MachineContext
from accountbuilder.risk.account import stage_for
from accountbuilder.risk.sizing import round_to_tick

PAUSE_MS = 5_000  # F5: entries pause 5 s after a correction
FALLBACK_STOP_PCT = Decimal("0.03")  # C1: spacing unknown → 3%


def local_book(kit: Kit, s: SessionState) -> BookView:
    pos = kit.view.position
    orders = [_as_order(o) for o in s.orders.live() if o.phase is OrderPhase.OPEN]
    return BookView.of(pos.side if pos else None, pos.contracts if pos else 0, orders)


def _as_order(tracked: TrackedOrder) -> Order:
    spec = tracked.spec
    status = OrderStatus.UNTRIGGERED if spec.is_conditional else OrderStatus.NEW
    return Order.from_spec(spec, tracked.order_id, status, filled_qty=tracked.filled_qty)


def apply(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, snap: ExchangeSnapshotFetched
) -> None:
    """Judge one reconcile; take the exchange's truth when F5 says to act (or at start)."""
    if kit.ws is not None:
        kit.ws.on_snapshot()
    pos = snap.position
    exchange = BookView.of(pos.side, pos.contracts, snap.open_orders)
    verdict = kit.reconcile.observe(now_ms, local_book(kit, s), exchange)
    if verdict.mismatch is None or not (verdict.act or snap.startup):
        return
    out.notes.append(f"reconcile: taking the exchange's truth {verdict.mismatch.figures()}")
    _take_truth(kit, s, out, now_ms, snap)
    until = verdict.block.until_ms if verdict.block is not None else now_ms + PAUSE_MS
    s.risk = s.risk.with_block(ReasonCode.BLOCK_RECONCILE, until)


def _take_truth(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, snap: ExchangeSnapshotFetched
) -> None:
    pos = snap.position
    kit.view.apply(
        PositionUpdated(
            exchange_ts_ms=now_ms,
            local_ts_ms=now_ms,
            side=pos.side,
            contracts=pos.contracts,
            entry_price=pos.entry_price,
            liq_price=pos.liq_price,
            leverage=pos.leverage,
        )
    )
    if pos.contracts > 0 and s.trade is None:
        adopt_position(kit, s, now_ms, pos)
    elif pos.contracts > 0 and s.trade.open_qty != pos.contracts and pos.entry_price:
        _fills_while_away(s, pos, now_ms)
    on_exchange = {o.client_id for o in snap.open_orders}
    for tracked in s.orders.live():
        if tracked.phase is OrderPhase.OPEN and tracked.client_id not in on_exchange:
            _vanished(kit, s, out, now_ms, tracked)  # gone while we were not looking
    for order in snap.open_orders:  # a REST read: evidence, through the usual path
        event = OrderUpdated(exchange_ts_ms=now_ms, local_ts_ms=now_ms, order=order, via_rest=True)
        _evidence(kit, s, out, now_ms, event)
    entry = s.orders.get(s.trade.entry_cid) if s.trade is not None else None
    entry_working = s.main.state == "ENTRY_PENDING" and entry is not None and entry.is_live
    if not entry_working and s.main.allows("resynced"):
        s.main.fire("resynced", MachineContext(now_ms, pos.contracts))


def _evidence(kit: Kit, s: SessionState, out: Outbox, now_ms: int, event: OrderUpdated) -> None:
    from accountbuilder.core.steps.events import on_order  # noqa: PLC0415 (events imports us)

    on_order(kit, s, out, now_ms, event)


def _vanished(kit: Kit, s: SessionState, out: Outbox, now_ms: int, tracked: TrackedOrder) -> None:
    """F5: an order we saw working is not on the exchange: LOST (its fate may still surface).

    A missing stop on an open position is acted on at once (G8: MISSING → re-placed).
    """
    s.orders.apply(tracked.client_id, OrderEvent.NOT_FOUND, now_ms, "reconcile")
    if tracked.role is OrderRole.STOP:
        stops.on_stop_not_found(kit, s, out, now_ms, tracked.client_id)


def _fills_while_away(s: SessionState, pos: ExchangePosition, now_ms: int) -> None:
    """Entry fills we never saw (they happened while we were down): take the exchange's figures."""
    trade = s.trade
    trade.entry_qty = pos.contracts + trade.exit_qty
    trade.entry_notional_btc = Decimal(trade.entry_qty) / pos.entry_price
    trade.opened_ms = trade.opened_ms or now_ms


def adopt_position(kit: Kit, s: SessionState, now_ms: int, pos: ExchangePosition) -> None:
    """A position this session did not open (manual trade, lost state): protect it at once.

    It gets the C1 fallback stop (3%) from its entry, a take-profit one fallback step away, and
    the stage of the current equity; the stop supervisor then places the stop (G8).
    """
    entry = pos.entry_price or kit.view.mark_price
    sign = Decimal(pos.side.sign)
    acct = kit.view.account
    equity_btc = acct.equity_btc if acct is not None else Decimal(0)
    equity_usd = equity_btc * (kit.view.mark_price or entry)
    stop = round_to_tick(
        entry * (1 - sign * FALLBACK_STOP_PCT), kit.tick, up=pos.side is Side.SHORT
    )
    tp = round_to_tick(entry * (1 + sign * FALLBACK_STOP_PCT), kit.tick, up=pos.side is Side.LONG)
    s.trade = OpenTrade(
        signal_id=f"adopt{now_ms % 10**12:012d}",
        side=pos.side,
        entry_stage=stage_for(equity_usd),
        leverage=pos.leverage,
        max_loss_btc=Decimal(0),
        stop_price=stop,
        take_profit_price=tp,
        planned_contracts=pos.contracts,
        entry_cid="",
        liquidity=Liquidity.MAKER,
        est_fee_rate=kit.fees.maker,
        estimated_fee_usd=Decimal(0),
        equity_btc_at_entry=equity_btc,
        equity_usd_at_entry=equity_usd,
        created_ms=now_ms,
        opened_ms=now_ms,
        entry_qty=pos.contracts,
        entry_notional_btc=Decimal(pos.contracts) / entry,
        entry_working=False,
    )
