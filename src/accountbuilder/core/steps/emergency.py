"""Step 1 of every tick (SPEC F6, E1-E7, F2/F3): fold in market data, check, halt or recover.

Market, wallet and position events are folded into the view first so the checks see this
tick's data; order and fill events are left to step 2.
"""

from __future__ import annotations

from collections.abc import Sequence

from accountbuilder.core.halting import (
    cancel_entry_orders,
    context_snapshot,
    position_contracts,
    sync_main_to_halt,
)
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.events import (
    AccountAnswerInvalid,
    CandleClosed,
    CommandFailed,
    CommandSucceeded,
    ExchangeEvent,
    ExchangeSnapshotFetched,
    HaltResetRequested,
    MarkPriceUpdated,
    PositionLiquidated,
    PositionUpdated,
    RestRoundTrip,
    StreamReconnected,
    WalletUpdated,
)
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.emergency import halts
from accountbuilder.emergency.halts import HaltPhase
from accountbuilder.machines.context import MachineContext

# Answers to REST calls and operator requests: not WS traffic (F2) and not WS event age (E2).
_LOCAL = (
    CommandSucceeded,
    CommandFailed,
    RestRoundTrip,
    HaltResetRequested,
    ExchangeSnapshotFetched,
)
_VIEW = (MarkPriceUpdated, CandleClosed, WalletUpdated, PositionUpdated)
LATENCY_BLOCK = ReasonCode.BLOCK_LATENCY


def _observe(
    kit: Kit, now_ms: int, events: Sequence[ExchangeEvent]
) -> tuple[list[PositionLiquidated], Denial | None]:
    liquidations: list[PositionLiquidated] = []
    bad_account: Denial | None = None
    for ev in events:
        if isinstance(ev, _VIEW):
            kit.view.apply(ev)
        if isinstance(ev, MarkPriceUpdated):
            kit.checker.on_mark(ev.exchange_ts_ms, ev.mark_price)
        elif isinstance(ev, RestRoundTrip):
            kit.checker.on_rest_round_trip(now_ms, ev.latency_ms)
        elif isinstance(ev, PositionLiquidated):
            liquidations.append(ev)
        elif isinstance(ev, AccountAnswerInvalid):
            bad_account = Denial(ReasonCode.BALANCE_ANOMALY, {"detail": ev.detail})
        if not isinstance(ev, _LOCAL):
            kit.checker.on_ws_event_age(now_ms, max(ev.local_ts_ms - ev.exchange_ts_ms, 0))
            if kit.ws is not None:
                kit.ws.on_drop(ev.local_ts_ms) if isinstance(
                    ev, StreamReconnected
                ) else kit.ws.on_message(ev.local_ts_ms)
    return liquidations, bad_account


def run(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, events: Sequence[ExchangeEvent]
) -> None:
    """Check E1-E6/H3/F3 and move the halt and the main machine accordingly."""
    liquidations, bad_account = _observe(kit, now_ms, events)
    account = bad_account if bad_account is not None else kit.view.account
    ws_status = kit.ws.status(now_ms) if kit.ws is not None else None
    report = kit.checker.check(
        now_ms, account, kit.view.position, ws=ws_status, liquidations=liquidations
    )
    old = s.halt
    # Only a raised halt carries the context snapshot (I2): build it only then, not every tick.
    context = context_snapshot(kit, s) if report.halts else None
    s.halt, entries = halts.step(
        old, now_ms, report.findings, report.calm, context, report.calm_figures
    )
    out.halts.extend(entries)
    _apply_blocks(kit, s, out, now_ms, report.blocks)
    _sync_machine(kit, s, out, now_ms, old, entries)


def _apply_blocks(kit: Kit, s: SessionState, out: Outbox, now_ms: int, blocks) -> None:
    """E2: latency blocks entries until it has been low for 60 s, and cancels pending entries."""
    for block in blocks:
        until = (
            block.until_ms
            if block.until_ms is not None
            else now_ms + kit.config.emergency.latency_recovery_s * 1000
        )
        s.risk = s.risk.with_block(LATENCY_BLOCK, until)
        if block.cancel_entry_orders:
            cancel_entry_orders(s, out, "latency")


def _sync_machine(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, old: halts.HaltState, entries
) -> None:
    new = s.halt
    contracts = position_contracts(kit)
    raised = any(e.event.value in ("raised", "escalated") for e in entries)
    if new.phase is HaltPhase.HALT:
        if raised or s.main.state != "HALT":
            sync_main_to_halt(kit, s, out, now_ms)
    elif old.phase is HaltPhase.HALT and new.phase is HaltPhase.COOLDOWN:
        ctx = MachineContext(now_ms, contracts, halt_kind=old.kind, calm_since_ms=old.calm_since_ms)
        s.main.fire("calm_confirmed", ctx)
    elif old.phase is HaltPhase.COOLDOWN and new.phase is HaltPhase.NORMAL:
        s.main.fire(
            "cooldown_elapsed",
            MachineContext(now_ms, contracts, cooldown_until_ms=old.cooldown_until_ms),
        )


def apply_reset(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, request: HaltResetRequested
) -> Denial | None:
    """E5: a recorded manual reset lifts the HALT into the state that matches the exchange."""
    result = halts.manual_reset(
        s.halt, request.reason, request.who, now_ms, context_snapshot(kit, s)
    )
    if isinstance(result, Denial):
        out.notes.append(f"halt reset refused: {result}")
        return result
    s.halt, entry = result
    out.halts.append(entry)
    ctx = MachineContext(now_ms, position_contracts(kit), reset_reason=request.reason)
    s.main.fire("reset", ctx)
    return None
