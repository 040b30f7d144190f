"""Reconcile with the exchange's truth (SPEC F3, F5, I4 restart).

A mismatch of position size/side, open orders by client id, or stop presence is acted on
after 3 consecutive reconciles show the same one (at once for a missing stop, and at start);
then local state takes the exchange's truth and entries pause 5 s.
"""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.orders import Phase, TrackedOrder
from accountbuilder.core.state import SessionState
from accountbuilder.core.trade import OpenTrade
from accountbuilder.domain.enums import Liquidity, OrderStatus, Side, StopStatus
from accountbuilder.domain.events import ExchangeSnapshotFetched, PositionUpdated
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
    orders = [_as_order(o) for o in s.orders.live() if o.phase is Phase.OPEN]
    return BookView.of(pos.side if pos else None, pos.contracts if pos else 0, orders)


def _as_order(tracked: TrackedOrder) -> Order:
    spec = tracked.spec
    status = OrderStatus.UNTRIGGERED if spec.is_conditional else OrderStatus.NEW
    return Order.from_spec(spec, tracked.order_id, status, filled_qty=tracked.filled_qty)


def apply(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, snap: ExchangeSnapshotFetched
) -> None:
    """Judge one reconcile; take the exchange's truth when F5 says to act (or at start)."""
    pos = snap.position
    exchange = BookView.of(pos.side, pos.contracts, snap.open_orders)
    verdict = kit.reconcile.observe(now_ms, local_book(kit, s), exchange)
    if verdict.mismatch is None or not (verdict.act or snap.startup):
        return
    out.notes.append(f"reconcile: taking the exchange's truth {verdict.mismatch.figures()}")
    _take_truth(kit, s, now_ms, snap)
    until = verdict.block.until_ms if verdict.block is not None else now_ms + PAUSE_MS
    s.risk = s.risk.with_block(ReasonCode.BLOCK_RECONCILE, until)


def _take_truth(kit: Kit, s: SessionState, now_ms: int, snap: ExchangeSnapshotFetched) -> None:
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
    on_exchange = {o.client_id: o for o in snap.open_orders}
    for tracked in s.orders.live():
        if tracked.phase is Phase.OPEN and tracked.client_id not in on_exchange:
            tracked.phase = Phase.CANCELLED  # gone while we were not looking
    for order in snap.open_orders:
        s.orders.on_order(order, now_ms)
    if pos.contracts > 0 and s.trade is None:
        adopt_position(kit, s, now_ms, pos)
    elif pos.contracts > 0 and s.trade.open_qty != pos.contracts and pos.entry_price:
        _fills_while_away(s, pos, now_ms)
    _sync_stop(s, now_ms, pos.contracts, on_exchange)
    entry = s.orders.get(s.trade.entry_cid) if s.trade is not None else None
    entry_working = s.main.state == "ENTRY_PENDING" and entry is not None and entry.phase.is_live
    if not entry_working and s.main.allows("resynced"):
        s.main.fire("resynced", MachineContext(now_ms, pos.contracts))


def _sync_stop(s: SessionState, now_ms: int, contracts: int, on_exchange: dict[str, Order]) -> None:
    stop_cid = s.stop_track.client_id
    ctx = MachineContext(now_ms, contracts)
    if contracts > 0 and s.stop.state == StopStatus.ACTIVE.value and stop_cid not in on_exchange:
        # F5: a missing stop is acted on at once. A PENDING stop may simply not be visible yet:
        # the supervisor looks it up by client id after 5 s instead (no duplicate stop).
        s.stop.fire("stop_lost", ctx)
        s.stop_track.client_id = None
    elif contracts > 0 and s.stop.state == StopStatus.PENDING.value and stop_cid in on_exchange:
        s.stop.fire("stop_confirmed", ctx)
    if stop_cid in on_exchange:
        # The stop's qty as the exchange holds it (an amend answered just before a crash):
        # G7 amends from it, and an amend that changes nothing is refused by the exchange.
        s.stop_track.qty = on_exchange[stop_cid].qty


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
