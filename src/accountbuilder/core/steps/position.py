"""Step 3 with a position (SPEC G3, G5, G9): entry working, take-profit, exits, trade close.

The main machine follows the exchange's position: first fill → IN_POSITION; an exit under
way → EXIT_PENDING; size 0 → FLAT, and the closed trade updates the risk holders (H1, D4, D5).
"""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.core.halting import CANCEL_AGAIN_MS, position_contracts
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.core.steps import stops
from accountbuilder.core.steps.entry import propose
from accountbuilder.core.trade import OpenTrade
from accountbuilder.domain.commands import AmendOrder, CancelOrder, PlaceOrder
from accountbuilder.domain.enums import ExitReason, OrderRole, StopStatus
from accountbuilder.domain.inverse import fee_btc
from accountbuilder.domain.lifecycle import OrderEvent, OrderPhase
from accountbuilder.domain.requests import Purpose
from accountbuilder.execution.entry import maker_timed_out, touched
from accountbuilder.execution.take_profit import take_profit_spec
from accountbuilder.machines.context import MachineContext
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord
from accountbuilder.signal.ids import client_id

ENTRY_ROLES = (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
EXIT_ROLES = (OrderRole.STOP, OrderRole.TAKE_PROFIT, OrderRole.CLOSE)
FILL_GRACE_MS = 5_000  # size 0 seen: wait this long for the exit executions before closing
TP_RETRY_BASE_MS = 5_000  # a take-profit that ended unfilled: 5 s, 10 s … (G9)
TP_RETRY_MAX_MS = 30 * 60_000
TP_AMEND_INTERVAL_MS = 2_000


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
    """G3: a resting entry waits for its level; G5: the entry stops working when final."""
    trade, entry = s.trade, _entry_order(s)
    if not trade.entry_working or entry is None:
        return
    if not entry.phase.is_live:
        trade.entry_working = False
        if trade.entry_qty > 0:
            out.trades.append(_entry_record(kit, s, trade, entry.order_id, now_ms))
        return
    if entry.role is not OrderRole.ENTRY or entry.phase is not OrderPhase.OPEN:
        return  # a taker IOC ends by itself; an unseen order waits for its evidence (F4)
    if entry.cancel_ms is not None and now_ms - entry.cancel_ms < CANCEL_AGAIN_MS:
        return  # a cancel is on its way
    _watch_touch(kit, trade, entry, now_ms)
    purpose = _why_cancel(kit, s, trade, entry, now_ms)
    if purpose is None:
        return
    if purpose is Purpose.TIMEOUT and entry.filled_qty == 0:
        s.maker.record_timeout(entry.client_id)  # G3: reached, unfilled for the timeout
    s.orders.apply(entry.client_id, OrderEvent.CANCEL_REQUESTED, now_ms, purpose.value)
    out.commands.append(CancelOrder(entry.client_id, s.next_seq(), purpose, protective=True))


def _watch_touch(kit: Kit, trade: OpenTrade, entry, now_ms: int) -> None:
    """G3: the maker-timeout clock starts when the market first trades at the entry price."""
    if trade.entry_touched_ms is not None:
        return
    price, view = entry.spec.price, kit.view
    candle = view.last_candle
    if candle is not None and candle.ts_ms >= entry.created_ms:
        low, high = candle.low, candle.high
    else:
        low = high = None
    mark = view.mark_price
    if touched(trade.side, price, low, high) or (
        mark is not None and touched(trade.side, price, mark, mark)
    ):
        trade.entry_touched_ms = now_ms


def _why_cancel(kit: Kit, s: SessionState, trade: OpenTrade, entry, now_ms: int):
    """The reason to cancel the resting entry now, or None while it should rest (G3)."""
    if trade.entry_touched_ms is not None:
        timeout = kit.config.execution.maker_timeout_s
        return Purpose.TIMEOUT if maker_timed_out(trade.entry_touched_ms, now_ms, timeout) else None
    if entry.filled_qty == 0 and not s.maker.stands(propose(kit, now_ms)):
        return Purpose.SIGNAL_CHANGED  # side, level or spacing changed before it was reached
    return None


def _exiting(s: SessionState) -> bool:
    """G9: an exit is under way: a close sent, a stop firing, a take-profit filling."""
    if s.stop.state == StopStatus.CLOSING.value:
        return True
    return any(
        o.role is OrderRole.CLOSE or o.filled_qty > 0 or o.phase is OrderPhase.TRIGGERED
        for o in s.orders.live(*EXIT_ROLES)
    )


def _sync_main(kit: Kit, s: SessionState, now_ms: int, contracts: int) -> None:
    ctx = MachineContext(now_ms, contracts)
    state = s.main.state
    exiting = _exiting(s)
    if state == "ENTRY_PENDING":
        if not s.trade.entry_working:
            s.main.must("entry_ended", ctx)  # G3/G5: the entry is over (guards: filled or not)
        elif contracts > 0:
            s.main.must("entry_filled", ctx)  # G5: a first fill, the entry still working
    elif state == "IN_POSITION" and (exiting or contracts == 0):
        s.main.must("exit_started", ctx)
    elif state == "EXIT_PENDING" and contracts > 0 and not exiting:
        s.main.must("exit_aborted", ctx)  # the exit stopped short: the position stays open
    if s.main.state == "EXIT_PENDING" and contracts == 0:
        s.main.must("position_closed", ctx)
    elif s.main.state == "FLAT" and contracts > 0:
        s.main.must("resynced", ctx)


def _manage_take_profit(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, contracts: int
) -> None:
    """G9: a reduce-only PostOnly at the next level, sized with the position."""
    trade = s.trade
    if not kit.config.execution.take_profit or s.stop.state == StopStatus.CLOSING.value:
        return
    live = s.orders.live(OrderRole.TAKE_PROFIT)
    if live:
        _resize_take_profit(s, out, now_ms, live[0], contracts)
        return
    last = s.orders.latest(trade.signal_id, OrderRole.TAKE_PROFIT)
    if last is not None and now_ms < _tp_retry_at(s, trade.signal_id, last):
        return  # it ended unfilled (refused, cancelled elsewhere): wait, never re-send at once
    attempt = s.orders.next_attempt(trade.signal_id, OrderRole.TAKE_PROFIT)
    cid = client_id(trade.signal_id, trade.side, OrderRole.TAKE_PROFIT, attempt)
    price = resting_exit_price(trade, kit.view.mark_price, kit.tick)
    spec = take_profit_spec(trade.side, contracts, price, kit.tick, cid)
    s.orders.add_intent(spec, trade.signal_id, attempt, now_ms)
    out.commands.append(PlaceOrder(spec))


def resting_exit_price(trade: OpenTrade, mark: Decimal | None, tick: Decimal) -> Decimal:
    """G9: the next grid level; when the market is already past it, one tick beyond the mark.

    A PostOnly at a level the market has passed would be refused (it would take liquidity)
    again and again; one tick past the mark it rests at a price better than the level.
    """
    level = trade.take_profit_price
    if mark is None:
        return level
    if trade.side.sign > 0:
        return max(level, mark + tick)
    return min(level, mark - tick)


def _tp_retry_at(s: SessionState, signal_id: str, last) -> int:
    """The time a new take-profit may be sent after ``last`` ended unfilled (growing backoff)."""
    if last.phase.is_live or last.filled_qty > 0:
        return 0
    failed = sum(
        1
        for o in s.orders.by_cid.values()
        if o.signal_id == signal_id
        and o.role is OrderRole.TAKE_PROFIT
        and not o.is_live
        and o.filled_qty == 0
    )
    return last.updated_ms + min(TP_RETRY_BASE_MS * 2 ** max(failed - 1, 0), TP_RETRY_MAX_MS)


def _resize_take_profit(s: SessionState, out: Outbox, now_ms: int, tp, contracts: int) -> None:
    if (
        tp.phase is OrderPhase.OPEN
        and tp.filled_qty == 0
        and tp.spec.qty != contracts
        and now_ms - tp.updated_ms >= TP_AMEND_INTERVAL_MS
    ):
        s.orders.apply(tp.client_id, OrderEvent.AMEND_REQUESTED, now_ms, f"qty {contracts}")
        out.commands.append(AmendOrder(tp.client_id, s.next_seq(), qty=contracts, protective=False))
        tp.updated_ms = now_ms


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
        if order.order_id or order.phase is OrderPhase.OPEN:
            s.orders.apply(order.client_id, OrderEvent.CANCEL_REQUESTED, now_ms, "flat")
            out.commands.append(CancelOrder(order.client_id, s.next_seq(), Purpose.FLAT))
    stops.position_gone(kit, s, now_ms)
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
        loss_at_stop_btc=trade.loss_at_stop_btc(),
        planned_stop_price=trade.planned_stop_price,
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
        liquidity=trade.liquidity,
        loss_at_stop_btc=trade.loss_at_stop_btc(),
    )
