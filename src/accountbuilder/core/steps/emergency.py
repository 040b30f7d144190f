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
)
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.events import (
    AccountAnswerInvalid,
    CandleClosed,
    ClockOffsetMeasured,
    CommandFailed,
    CommandSucceeded,
    ExchangeEvent,
    ExchangeSnapshotFetched,
    HaltResetRequested,
    MarkPriceUpdated,
    PositionLiquidated,
    PositionUpdated,
    RestRoundTrip,
    StoreUnavailable,
    StreamReconnected,
    WalletUpdated,
)
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.domain.requests import Purpose
from accountbuilder.emergency import halts

# Answers to REST calls and operator requests: not WS traffic (F2) and not WS event age (E2).
_LOCAL = (
    CommandSucceeded,
    CommandFailed,
    RestRoundTrip,
    HaltResetRequested,
    ExchangeSnapshotFetched,
    StoreUnavailable,
    ClockOffsetMeasured,
)
CLOCK_BLOCK_MS = 15 * 60_000  # until the next measurement (every 10 min, sooner while off)
STORE_BLOCK_MS = 60_000  # I4: entries stay blocked this long after the last failed commit
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
    """Check E1-E6/H3/F3; the main machine decides HALT, COOLDOWN and their end."""
    liquidations, bad_account = _observe(kit, now_ms, events)
    _store_failing(s, out, now_ms, events)
    _clock(s, out, now_ms, events)
    account = bad_account if bad_account is not None else kit.view.account
    ws_status = kit.ws.status(now_ms) if kit.ws is not None else None
    report = kit.checker.check(
        now_ms, account, kit.view.position, ws=ws_status, liquidations=liquidations
    )
    halting = any(f.kind is not None for f in report.findings)
    context = context_snapshot(kit, s) if halting else None  # built only when a halt is raised
    s.halt_facts, entries = halts.check_on(
        s.main,
        s.halt_facts,
        now_ms,
        position_contracts(kit),
        report.findings,
        report.calm,
        report.calm_figures,
        context,
    )
    out.halts.extend(entries)
    if halting:
        cancel_entry_orders(s, out, Purpose.HALT, now_ms)  # E7
    _apply_blocks(kit, s, out, now_ms, report.blocks)


def _store_failing(
    s: SessionState, out: Outbox, now_ms: int, events: Sequence[ExchangeEvent]
) -> None:
    """I4: a round could not be committed: block entries and pull resting ones (the stop and
    the close still go out; the runner alarms and retries the commit every round)."""
    failing = [e for e in events if isinstance(e, StoreUnavailable)]
    if not failing:
        return
    s.risk = s.risk.with_block(ReasonCode.BLOCK_STORE, now_ms + STORE_BLOCK_MS)
    cancel_entry_orders(s, out, Purpose.HALT, now_ms)
    out.notes.append(f"store failing: {failing[-1].detail}; entries blocked, protection goes on")


def _clock(s: SessionState, out: Outbox, now_ms: int, events: Sequence[ExchangeEvent]) -> None:
    """Issue 16 §7: while our clock is off Bybit's by more than 1 s, no entries; resting ones
    are pulled; the stop and its supervision go on (requests are signed with the offset)."""
    readings = [e for e in events if isinstance(e, ClockOffsetMeasured)]
    if not readings:
        return
    last = readings[-1]
    if last.in_sync:
        s.risk = s.risk.without_block(ReasonCode.BLOCK_CLOCK)
        return
    s.risk = s.risk.with_block(ReasonCode.BLOCK_CLOCK, now_ms + CLOCK_BLOCK_MS)
    cancel_entry_orders(s, out, Purpose.HALT, now_ms)
    out.notes.append(f"clock off by {last.offset_ms} ms (limit {last.limit_ms}): no entries")


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
            cancel_entry_orders(s, out, Purpose.LATENCY, now_ms)


def apply_reset(
    kit: Kit, s: SessionState, out: Outbox, now_ms: int, request: HaltResetRequested
) -> Denial | None:
    """E5: a recorded manual reset lifts the HALT into the state that matches the exchange.

    A refused reset (no HALT in force, a blank reason or name) is recorded in the halt log.
    """
    s.halt_facts, entries, denial = halts.reset_on(
        s.main,
        s.halt_facts,
        now_ms,
        position_contracts(kit),
        request.who,
        request.reason,
        context_snapshot(kit, s),
    )
    out.halts.extend(entries)
    if denial is not None:
        out.notes.append(f"halt reset refused: {denial}")
    return denial
