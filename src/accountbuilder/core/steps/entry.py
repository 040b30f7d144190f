"""Step 3 when FLAT (SPEC D, G1-G4): ask the signal, run the gate chain, send the entry.

Every evaluation (accepted or refused) is recorded with its reason. The signal acted on is
the standing one while it stands (G3, ``execution.entry.MakerTimeouts``). An accepted entry
is a PostOnly limit at the grid level that rests there (G3); after 3 maker timeouts of the
same signal the gate chain is asked for the one G4 taker entry: an IOC limit at the worst
acceptable price ``mark × (1 ± taker_slippage_cap)``, from which contracts, stop, EV and the
take-profit check are computed, so the loss at the stop fits for any fill it can get.
"""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.core.halting import position_contracts, raise_halt
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.core.trade import OpenTrade
from accountbuilder.core.wake import StandingRefusal
from accountbuilder.domain.commands import PlaceOrder, SetLeverage
from accountbuilder.domain.enums import Liquidity, MainState, OrderRole, OrderType, TimeInForce
from accountbuilder.domain.models import MarketSnapshot, OrderSpec
from accountbuilder.execution.entry import taker_price
from accountbuilder.machines.context import MachineContext
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.risk.context import EntryContext, EntryDecision, EntrySignal
from accountbuilder.risk.gates import evaluate_entry
from accountbuilder.risk.standing import refusal_standing
from accountbuilder.signal.ids import client_id
from accountbuilder.signal.source import Signal, SignalInputs


def run(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, degraded: bool
) -> EntryDecision | None:
    """Evaluate one entry when FLAT with nothing open; return the decision (None: no signal).

    At most once per tick (F6): the later rounds of a tick carry answers to what was sent, and
    an entry refused by the exchange is not re-evaluated and re-sent at the same moment."""
    if s.main.state != MainState.FLAT.value or s.trade is not None or position_contracts(kit) > 0:
        return None
    if s.entry_evaluated_ms == now_ms:
        return None
    view = kit.view
    if view.mark_price is None or view.account is None:
        return None
    proposal = propose(kit, now_ms)
    if proposal is None:
        return None
    signal = s.maker.adopt(proposal)
    s.entry_signal_id, s.entry_evaluated_ms = signal.signal_id, now_ms
    ctx = _context(kit, s, now_ms, signal, degraded)
    decision = evaluate_entry(ctx)
    s.risk = s.risk.after_evaluation(decision, now_ms)
    record = _record(decision, signal, now_ms)
    out.decisions.append(record)
    s.refusal = _standing_refusal(kit, ctx, decision, record)
    if decision.halt is not None:
        raise_halt(
            kit, s, out, now_ms, decision.halt.reason, decision.halt.kind, decision.figures()
        )
    elif decision.accepted:
        _send_entry(kit, s, out, now_ms, signal, decision)
    return decision


def _standing_refusal(
    kit: Kit, ctx: EntryContext, decision: EntryDecision, record: DecisionRecord
) -> StandingRefusal | None:
    """How long this refusal stands: the gates' standing met with the signal's (core.wake)."""
    if decision.accepted:
        return None
    atr = kit.view.atr.value
    gates = refusal_standing(ctx, decision, atr)
    if gates is None:
        return None
    signal_standing = getattr(kit.signal, "standing", None)
    signal = None if signal_standing is None else signal_standing(_inputs(kit, ctx.now_ms))
    return StandingRefusal(ctx.now_ms, record, gates, signal)


def _inputs(kit: Kit, now_ms: int) -> SignalInputs:
    view = kit.view
    return SignalInputs(now_ms, view.mark_price, view.atr_pct_daily(), view.mean_price_24h())


def propose(kit: Kit, now_ms: int) -> Signal | None:
    """The signal source's proposal for this moment (None without a mark)."""
    if kit.view.mark_price is None:
        return None
    return kit.signal.propose(_inputs(kit, now_ms))


def _context(
    kit: Kit, s: SessionState, now_ms: int, signal: Signal, degraded: bool
) -> EntryContext:
    timeouts = s.maker.count if s.maker.signal_id == signal.signal_id else 0
    taker = s.maker.taker_due(signal)
    view = kit.view
    entry_price = signal.entry_price
    if taker:  # G4: sized, stopped and EV-checked from the worst price the IOC accepts
        cap = kit.config.execution.taker_slippage_cap
        entry_price = taker_price(signal.side, view.mark_price, cap, kit.tick)
    entry_signal = EntrySignal(
        side=signal.side,
        entry_price=entry_price,
        grid_spacing_pct=signal.grid_spacing_pct,
        take_profit_price=signal.take_profit_price,
        liquidity=Liquidity.TAKER if taker else Liquidity.MAKER,
        maker_timeouts=timeouts,
    )
    market = MarketSnapshot(
        view.mark_ts_ms or now_ms, view.mark_price, view.last_price, view.atr_pct_24h()
    )
    stale = view.staleness_denial(now_ms)
    return EntryContext(
        now_ms=now_ms,
        account=view.account,
        market=market,
        instrument=kit.instrument,
        fees=kit.fees,
        signal=entry_signal,
        risk_state=s.risk,
        config=kit.config,
        main_state=MainState(s.main.state),
        position=None,
        leverage_in_force=s.leverage_in_force,
        degraded=degraded or stale is not None,
    )


def _record(decision: EntryDecision, signal: Signal, now_ms: int) -> DecisionRecord:
    return DecisionRecord(
        ts_ms=now_ms,
        accepted=decision.accepted,
        reason=decision.reason,
        stage=decision.stage,
        contracts=decision.contracts or 0,
        side=decision.side,
        signal_id=signal.signal_id,
        figures={k: v for k, v in decision.figures().items() if v is not None},
    )


def _send_entry(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, signal: Signal, d: EntryDecision
) -> None:
    if d.leverage is not None and d.leverage < s.leverage_in_force:
        out.commands.append(SetLeverage(d.leverage, s.next_seq()))  # B3: only down
        s.leverage_in_force = d.leverage
    taker = d.liquidity is Liquidity.TAKER
    role = OrderRole.TAKER_ENTRY if taker else OrderRole.ENTRY
    attempt = s.orders.next_attempt(signal.signal_id, role)
    cid = client_id(signal.signal_id, signal.side, role, attempt)
    spec = OrderSpec(
        client_id=cid,
        role=role,
        side=signal.side.entry_order_side,
        order_type=OrderType.LIMIT,  # G4: the taker entry is an IOC limit, never a market
        qty=d.contracts,
        price=d.entry_price,
        time_in_force=TimeInForce.IOC if taker else TimeInForce.POST_ONLY,
        position_idx=0,
    )
    s.orders.add_intent(spec, signal.signal_id, attempt, now_ms)
    rate = kit.fees.taker if taker else kit.fees.maker
    s.trade = OpenTrade(
        signal_id=signal.signal_id,
        side=signal.side,
        entry_stage=d.stage,
        leverage=d.leverage,
        max_loss_btc=d.max_loss_btc,
        stop_price=d.stop_price,
        take_profit_price=d.take_profit_price,
        planned_contracts=d.contracts,
        entry_cid=cid,
        liquidity=d.liquidity,
        est_fee_rate=rate,
        estimated_fee_usd=d.estimated_fee_usd or Decimal(d.contracts) * rate,
        equity_btc_at_entry=d.equity_btc,
        equity_usd_at_entry=d.equity_usd,
        created_ms=now_ms,
    )
    out.commands.append(PlaceOrder(spec))
    if taker:
        s.maker.record_taker(now_ms)
    s.main.must("entry_placed", MachineContext(now_ms, 0, entry_evaluated=True, entry_denial=None))
