"""Persist each live tick (SPEC G2, I1-I4): session document, place intents, records.

``on_outbox`` runs before the tick's commands are sent: each order command is committed as an
intent first (the same intents as paper trading, ``paper_records.intent_of``) — a placement
whose client id already went out is never sent again (G2), the command is dropped instead —
then the session document with the ``runtime`` section ``status`` shows. ``on_results``
moves the intents along with the answers; ``restart`` turns the ones a crash left
``recorded`` into ``unknown``. Decisions, trades, halts and daily metrics go to the same store
tables and JSON-lines sinks as paper trading.
"""

from __future__ import annotations

from collections.abc import Iterable

from loguru import logger

from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.commands import AnyCommand, LookupOrder
from accountbuilder.domain.events import CommandFailed, CommandSucceeded, ExchangeEvent
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.records.daily_metrics import DailyRollup, EquitySample
from accountbuilder.records.halt_log import HaltRecord
from accountbuilder.records.sinks import RecordKind, log_record
from accountbuilder.store.errors import DuplicateIntentError, IntentTransitionError
from accountbuilder.store.intents import IntentAction, IntentStatus
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.paper_records import intent_of
from accountbuilder_runner.runtime import runtime_snapshot

I = IntentStatus  # noqa: E741 - short alias for the transition table below
# (outcome of a send) → the place intent's path from "sent"
_AFTER_SEND = {
    "ok": (I.SENT, I.ACKED),
    "DuplicateClientId": (I.SENT, I.ACKED),  # "already placed" (G2)
    "OutcomeUnknown": (I.SENT, I.UNKNOWN),
    "BudgetExhausted": (I.RESOLVED,),  # never sent
}


class LiveRecorder:
    """The store side of a live (or paper) run; one per store, used from the tick loop."""

    def __init__(self, store: SqliteStore, budget: RestBudget | None, mode: str = "live"):
        self.store, self.budget, self.mode = store, budget, mode
        self.rollup = DailyRollup(store.daily_metrics(last=1))

    def restart(self, now_ms: int) -> list[str]:
        """Intents committed but never answered may have been sent: they become ``unknown``."""
        moved = []
        for intent in self.store.open_intents():
            if intent.status is IntentStatus.RECORDED:
                self._move(intent.intent_id, (I.UNKNOWN,), now_ms, "found at restart")
                moved.append(intent.intent_id)
        return moved

    # ------------------------------------------------------------------------- per tick
    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        out.commands[:] = [c for c in out.commands if self._intent_first(now_ms, c)]
        self.save(now_ms, core)
        self._records(now_ms, out, core)

    def on_results(self, now_ms: int, command: AnyCommand, events: list[ExchangeEvent]) -> None:
        answer = next((e for e in events if isinstance(e, CommandSucceeded | CommandFailed)), None)
        found = intent_of(command)
        if found is not None and answer is not None:
            kind = answer.kind if isinstance(answer, CommandFailed) else "ok"
            path = _AFTER_SEND.get(kind, (I.SENT, I.REJECTED))
            if found[3] is not IntentAction.PLACE:
                path = (*path, I.RESOLVED)  # an amend/cancel is done once answered
            self._move(found[0], path, now_ms, kind)
        elif isinstance(command, LookupOrder) and isinstance(answer, CommandSucceeded):
            intent = self.store.intent_for_client_id(command.client_id)
            if intent is not None and intent.status is IntentStatus.UNKNOWN:
                found = answer.order is not None
                self._move(intent.intent_id, (I.ACKED if found else I.RESOLVED,), now_ms, "lookup")

    def save(self, now_ms: int, core: TradingCore) -> None:
        """Commit the session document with the runtime section ``status`` reads (I4)."""
        doc = core.state.to_dict()
        doc["runtime"] = runtime_snapshot(core, self.budget, now_ms, self.mode)
        self.store.save_session(doc, now_ms)
        self._resolve_finished(now_ms, core)

    # ------------------------------------------------------------------------- helpers
    def _intent_first(self, now_ms: int, command: AnyCommand) -> bool:
        """Commit the command's intent; False for a placement whose client id went out before."""
        found = intent_of(command)  # the same intent records as paper trading
        if found is None:
            return True
        intent_id, cid, role, action, body = found
        try:
            self.store.record_intent(intent_id, cid, role, body, now_ms, action=action)
        except DuplicateIntentError:
            if action is not IntentAction.PLACE:
                return True  # an amend/cancel asked again (a retry) goes out again
            known = self.store.intent_for_client_id(cid)
            if known is not None and known.status is IntentStatus.RECORDED:
                return True  # committed last tick, carried over and not sent yet
            logger.error("{} was sent before: never sent again (G2)", cid)
            return False
        return True

    def _move(self, intent_id: str, path: Iterable[IntentStatus], now_ms: int, why: str) -> None:
        for status in path:
            try:
                self.store.mark_intent(intent_id, status, now_ms, detail=why)
            except IntentTransitionError as e:
                logger.debug("intent {}: {}", intent_id, e)
                return

    def _resolve_finished(self, now_ms: int, core: TradingCore) -> None:
        orders = core.state.orders
        for intent in self.store.open_intents():
            tracked = orders.get(intent.client_id)
            final = tracked is None or not tracked.phase.is_live
            if final and intent.status in (IntentStatus.ACKED, IntentStatus.REJECTED):
                self._move(intent.intent_id, (I.RESOLVED,), now_ms, "order final")

    def _records(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        for decision in out.decisions:
            self.store.add_decision(decision)
            self.rollup.add(decision)
            log_record(logger, RecordKind.DECISIONS, decision)
        if out.decisions:
            self.store.flush_decisions()
        for trade in out.trades:
            self.store.record_trade(trade)
            self.rollup.add(trade)
            log_record(logger, RecordKind.TRADES, trade)
        for entry in out.halts:
            record = HaltRecord.from_dict(entry.to_dict())
            self.store.record_halt(record)
            self.rollup.add(record)
            log_record(logger, RecordKind.HALTS, record)
        view = core.kit.view
        if view.account is not None and view.mark_price is not None:
            self.rollup.add(EquitySample(now_ms, view.account.equity_btc, view.mark_price))
        changed = self.rollup.take_changed()
        if changed:
            self.store.upsert_daily_metrics(changed, now_ms)
