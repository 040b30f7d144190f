"""The tick orchestrator (SPEC F6): it only orders the steps; rules live in their own modules.

Once per tick: 1) emergency checks, 2) queued exchange events, 3) position management, or
entry evaluation when FLAT. No I/O: events in, commands and records out. The same object runs
live, paper and backtest; time is injected as ``now_ms``.
"""

from __future__ import annotations

from collections.abc import Sequence

from accountbuilder.core import catch_up
from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.core.steps import emergency, entry, events, lookups, position
from accountbuilder.core.wake import Wake, next_wake
from accountbuilder.domain.commands import Reconcile
from accountbuilder.domain.events import ExchangeEvent
from accountbuilder.domain.lifecycle import OrderEvent
from accountbuilder.records.decision_log import DecisionRecord

PRUNE_AFTER_MS = 2 * 3_600_000  # longer than the signal time bucket (G1), see OwnOrders.prune


class TradingCore:
    """Feed it events with ``tick``; execute what the returned ``Outbox`` says."""

    def __init__(self, kit: Kit, state: SessionState):
        self.kit = kit
        self.state = state

    def tick(self, now_ms: int, queued: Sequence[ExchangeEvent] = ()) -> Outbox:
        out = Outbox()
        emergency.run(self.kit, self.state, out, now_ms, queued)
        events.run(self.kit, self.state, out, now_ms, queued)
        position.run(self.kit, self.state, out, now_ms)
        degraded = self._degraded(now_ms, out)
        entry.run(self.kit, self.state, out, now_ms, degraded)
        lookups.run(self.state, out, now_ms)
        self._forget_old_orders(now_ms)
        return self._drain(out)

    def next_wake(self, now_ms: int) -> Wake | None:
        """After the tick at ``now_ms``: until when the next ticks provably change nothing
        (``core.wake``); None when the next tick must run."""
        return next_wake(self.kit, self.state, now_ms)

    def skipped(self, wake: Wake, ts_ms, marks) -> list[tuple[DecisionRecord, int]]:
        """A replay skipped the ticks at ``ts_ms`` (numpy, marks ``marks``) over ``wake``: apply
        what they would have changed and return their records by run (``core.catch_up``)."""
        return catch_up.skipped(self.kit, self.state, wake, ts_ms, marks)

    def mark_restarted(self, now_ms: int) -> list[str]:
        """After a restart: every order whose send the crash may have hidden becomes UNKNOWN
        and is looked up by client id (G2, I4) before anything is sent again."""
        orders, moved = self.state.orders, []
        for o in orders.live():
            if o.phase.awaits_evidence:
                orders.apply(o.client_id, OrderEvent.RESTARTED, now_ms, "restart")
                o.lookup_ms = None
                moved.append(o.client_id)
        return moved

    def _drain(self, out: Outbox) -> Outbox:
        out.order_moves = self.state.orders.take_moves()
        out.notes += [f"refused: {m}" for m in self.state.orders.take_illegal()]
        return out

    def _forget_old_orders(self, now_ms: int) -> None:
        """Keep the session document small: final orders of past signal buckets are dropped."""
        s = self.state
        keep_ms = max(PRUNE_AFTER_MS, 2 * self.kit.config.execution.grid.signal_bucket_s * 1000)
        keep = {sid for sid in (s.trade and s.trade.signal_id, s.entry_signal_id) if sid}
        s.orders.prune(keep_ms, now_ms, frozenset(keep))

    def _degraded(self, now_ms: int, out: Outbox) -> bool:
        """F3: DEGRADED blocks entries; with a position open, reconcile by REST every 1 s.
        After a stream gap (a reconnect), a few reconciles 1 s apart find what it lost."""
        ws = self.kit.ws
        if ws is None:
            return False
        view = self.kit.view
        open_ = view.position is not None and view.position.contracts > 0
        if ws.reconcile_due(now_ms, open_):
            ws.on_reconcile(now_ms)
            out.commands.append(Reconcile("ws"))
        return not ws.status(now_ms).healthy
