"""Step 3 with a position (SPEC G3, G5, G9): entry working, take-profit, exits, trade close.

The main machine follows the exchange's position: first fill → IN_POSITION; an exit under
way → EXIT_PENDING; size 0 → FLAT, and the closed trade updates the risk holders (H1, D4, D5).
"""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.core.halting import position_contracts
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.orders import Phase
from accountbuilder.core.state import SessionState
from accountbuilder.core.steps import stops
from accountbuilder.core.trade import OpenTrade
from accountbuilder.domain.commands import AmendOrder, CancelOrder, PlaceOrder
from accountbuilder.domain.enums import ExitReason, OrderRole, StopStatus
from accountbuilder.domain.inverse import fee_btc
from accountbuilder.execution.entry import maker_timed_out
from accountbuilder.execution.take_profit import take_profit_spec
from accountbuilder.machines.context import MachineContext
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord
from accountbuilder.signal.ids import client_id

ENTRY_ROLES = (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
EXIT_ROLES = (OrderRole.STOP, OrderRole.TAKE_PROFIT, OrderRole.CLOSE)
FILL_GRACE_MS = (
    5_000  # size 0 seen: wait this long for the exit executions before closing the trade
)
TP_RETRY_MS = 60_000


def run(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """Manage the trade in progress (or an entry still working)."""
    if s.trade is None:
        return
    _manage_entry(kit, s, out, now_ms)
    contracts = position_contracts(kit)
    _sync_main(kit, s, now_ms, contracts)
    if contracts > 0:
        stops.supervise(kit, s, out, now_ms)
        _manage_take_profit(kit, s, out, now_ms, contracts)
    elif s.trade is not None and s.trade.entry_qty > 0:
        _finish_trade(kit, s, out, now_ms)
    elif s.trade is not None and not s.trade.entry_working:
        s.trade = None  # the entry ended with nothing filled


def _entry_order(s: SessionState):
    return s.orders.get(s.trade.entry_cid) if s.trade is not None else None


def _manage_entry(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """G3: cancel a maker entry after the timeout; G5: the entry stops working when final."""
    trade, entry = s.trade, _entry_order(s)
    if not trade.entry_working or entry is None:
        return
    if not entry.phase.is_live:
        trade.entry_working = False
        if trade.entry_qty > 0:
            out.trades.append(_entry_record(kit, s, trade, entry.order_id, now_ms))
        return
    timeout = kit.config.execution.maker_timeout_s
    if (
        entry.role is OrderRole.ENTRY
        and entry.sent_ms is not None
        and maker_timed_out(entry.sent_ms, now_ms, timeout)
    ) and not any(
        isinstance(c, CancelOrder) and c.client_id == entry.client_id for c in out.commands
    ):
        out.commands.append(
            CancelOrder(
                entry.client_id,
                f"{entry.client_id}:cancel:timeout{s.next_seq()}",
                protective=True,
            )
        )
        entry.sent_ms = now_ms  # re-cancel only after another timeout if this one is lost


def _sync_main(kit: Kit, s: SessionState, now_ms: int, contracts: int) -> None:
    ctx = MachineContext(now_ms, contracts)
    state = s.main.state
    exiting = (
        any(o.filled_qty > 0 or o.role is OrderRole.CLOSE for o in s.orders.live(*EXIT_ROLES))
        or s.trade.exit_qty > 0
    )
    if state == "ENTRY_PENDING":
        if contracts > 0:
            s.main.fire("entry_filled", ctx)
        elif not s.trade.entry_working:
            s.main.fire("entry_ended", ctx)
    elif state == "IN_POSITION" and (exiting or s.stop_track.closing or contracts == 0):
        s.main.fire("exit_started", ctx)
    if s.main.state == "EXIT_PENDING" and contracts == 0:
        s.main.fire("position_closed", ctx)
    elif s.main.state == "FLAT" and contracts > 0:
        s.main.fire("resynced", ctx)


def _manage_take_profit(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, contracts: int
) -> None:
    """G9: a reduce-only PostOnly at the next level, sized with the position."""
    trade = s.trade
    if not kit.config.execution.take_profit or s.stop_track.closing:
        return
    live = s.orders.live(OrderRole.TAKE_PROFIT)
    if live:
        tp = live[0]
        if (
            tp.phase is Phase.OPEN
            and tp.filled_qty == 0
            and tp.spec.qty != contracts
            and now_ms - tp.updated_ms >= 2_000
        ):
            out.commands.append(
                AmendOrder(
                    tp.client_id,
                    f"{tp.client_id}:amend{s.next_seq()}",
                    qty=contracts,
                    protective=False,
                )
            )
            tp.updated_ms = now_ms
        return
    last = max(
        (o for o in s.orders.by_cid.values() if o.role is OrderRole.TAKE_PROFIT),
        key=lambda o: o.created_ms,
        default=None,
    )
    if last is not None and last.phase is Phase.REJECTED and now_ms - last.updated_ms < TP_RETRY_MS:
        return
    attempt = s.orders.next_attempt(trade.signal_id, OrderRole.TAKE_PROFIT)
    cid = client_id(trade.signal_id, trade.side, OrderRole.TAKE_PROFIT, attempt)
    spec = take_profit_spec(trade.side, contracts, trade.take_profit_price, kit.tick, cid)
    s.orders.add_intent(spec, now_ms)
    out.commands.append(PlaceOrder(spec, cid))


def _finish_trade(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """Size 0 confirmed: record the exit (I1), update H1/D4/D5, clean up, free the stop machine."""
    trade = s.trade
    flat_since = kit.view.position_ts_ms or now_ms
    if trade.exit_qty < trade.entry_qty and now_ms - flat_since < FILL_GRACE_MS:
        return  # the exit executions may still be on their way
    if trade.exit_qty < trade.entry_qty:  # no execution seen (e.g. liquidation): close at the mark
        price = kit.view.mark_price or trade.stop_price
        trade.add_exit_fill(trade.entry_qty - trade.exit_qty, price, Decimal(0), ExitReason.UNKNOWN)
    if trade.entry_working:
        trade.entry_working = False
        out.trades.append(_entry_record(kit, s, trade, "", now_ms))
    trade.closed_ms = now_ms
    out.trades.append(_exit_record(kit, s, trade, now_ms))
    s.risk = s.risk.on_trade_closed(trade.net_pnl_btc())
    for order in s.orders.live():
        if order.order_id:
            out.commands.append(
                CancelOrder(order.client_id, f"{order.client_id}:cancel:flat{s.next_seq()}")
            )
    if s.stop.state != StopStatus.NO_POSITION.value:
        s.stop.fire("position_gone", MachineContext(now_ms, 0))
    s.stop_track.reset()
    s.trade = None


def _entry_record(
    kit: Kit, s: SessionState, trade: OpenTrade, order_id: str, now_ms: int
) -> TradeEntryRecord:
    price = trade.entry_price or trade.stop_price
    return TradeEntryRecord(
        ts_ms=trade.opened_ms or now_ms,
        signal_id=trade.signal_id,
        client_id=trade.entry_cid,
        order_id=order_id,
        side=trade.side,
        contracts=trade.entry_qty,
        entry_price=price,
        stop_price=trade.stop_price,
        take_profit_price=trade.take_profit_price,
        stage=trade.entry_stage,
        leverage=trade.leverage,
        equity_btc=trade.equity_btc_at_entry,
        equity_usd=trade.equity_usd_at_entry,
        max_loss_btc=trade.max_loss_btc,
        estimated_fee_usd=trade.estimated_fee_usd,
        estimated_fee_btc=fee_btc(trade.entry_qty, trade.est_fee_rate, price),
        actual_fee_btc=trade.entry_fees_btc,
        liquidity=trade.liquidity,
        liq_price=None if kit.view.position is None else kit.view.position.liq_price,
        stop_client_id=s.stop_track.client_id or "",
    )


def _exit_record(kit: Kit, s: SessionState, trade: OpenTrade, now_ms: int) -> TradeExitRecord:
    exit_price = trade.exit_price or trade.stop_price
    acct = kit.view.account
    equity_btc = acct.equity_btc if acct is not None else trade.equity_btc_at_entry
    mark = kit.view.mark_price or exit_price
    return TradeExitRecord(
        ts_ms=now_ms,
        signal_id=trade.signal_id,
        client_id="",
        order_id="",
        entry_client_id=trade.entry_cid,
        side=trade.side,
        contracts=trade.exit_qty,
        entry_price=trade.entry_price or exit_price,
        exit_price=exit_price,
        stop_price=trade.stop_price,
        take_profit_price=trade.take_profit_price,
        stage=trade.entry_stage,
        leverage=trade.leverage,
        equity_btc=equity_btc,
        equity_usd=equity_btc * mark,
        max_loss_btc=trade.max_loss_btc,
        estimated_fee_usd=trade.estimated_fee_usd,
        estimated_fee_btc=fee_btc(trade.entry_qty, trade.est_fee_rate, exit_price),
        actual_fee_btc=trade.fees_btc(),
        gross_pnl_btc=trade.gross_pnl_btc(),
        exit_reason=trade.exit_reason or ExitReason.UNKNOWN,
        funding_btc=trade.funding_btc,
    )
