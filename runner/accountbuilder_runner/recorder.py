"""Persist a run, live or paper, the same way (SPEC G2, I1-I4): the store and JSON-lines files.

Per driver round (``on_outbox``), before the round's commands are sent: the halts (I2) and
trades (I1) are committed and logged, the decisions buffered; then the session document with
its ``runtime`` section (I4; live every round, paper when something changed), which also
flushes the decisions and upserts the daily metrics (I3); then each order command's intent
(G2) — a placement whose client id already has an intent is never sent again, the command is
dropped. The session goes before the intents: a crash between the two leaves orders the
restarted core knows and looks up, never an intent it does not know.

``on_results`` moves each intent along with the exchange's answer (the live driver calls it,
``RecordingExecutor`` does for paper); ``restart`` turns the intents a crash left ``recorded``
into ``unknown``, and each save settles those the restarted core has found or given up.
A UTC day's metrics are logged to ``metrics.jsonl`` when the day ends and at ``finish``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from loguru import logger

from accountbuilder.core.codec import spec_to_dict
from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.orders import TrackedOrder
from accountbuilder.domain.commands import (
    AmendOrder,
    AnyCommand,
    CancelOrder,
    LookupOrder,
    PlaceOrder,
)
from accountbuilder.domain.events import CommandFailed, CommandSucceeded, ExchangeEvent
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.records.daily_metrics import DailyRollup, EquitySample, utc_day
from accountbuilder.records.decision_log import DecisionRecord, DecisionRun, run_key
from accountbuilder.records.halt_log import HaltRecord
from accountbuilder.records.sinks import RecordKind, log_record
from accountbuilder.signal.ids import parse_client_id
from accountbuilder.store import (
    DuplicateIntentError,
    IntentAction,
    IntentRecord,
    IntentStatus,
    IntentTransitionError,
    SqliteStore,
)
from accountbuilder_runner import failpoints
from accountbuilder_runner.executor import CommandExecutor
from accountbuilder_runner.runtime import runtime_snapshot

FLUSH_DECISIONS = 2_000  # buffered decisions written without waiting for a session save
I = IntentStatus  # noqa: E741 - short alias for the transition tables below
# outcome of a send → the intent's path from "recorded"
_AFTER_SEND = {
    "ok": (I.SENT, I.ACKED),
    "DuplicateClientId": (I.SENT, I.ACKED),  # "already placed" (G2)
    "OutcomeUnknown": (I.SENT, I.UNKNOWN),  # look it up, never "rejected" (G2)
    "BudgetExhausted": (I.RESOLVED,),  # the F1 budget never let it out
}

EquityOf = Callable[[TradingCore], Decimal | None]


def intent_of(command: AnyCommand) -> tuple[str, str, str, IntentAction, dict] | None:
    """``(intent_id, client_id, role, action, command)`` for an order command, else None."""
    if isinstance(command, PlaceOrder):
        spec = command.spec
        return (
            command.intent_id,
            spec.client_id,
            spec.role.value,
            IntentAction.PLACE,
            spec_to_dict(spec),
        )
    if isinstance(command, AmendOrder | CancelOrder):
        parsed = parse_client_id(command.client_id)
        if parsed is None:
            return None
        if isinstance(command, AmendOrder):
            body: dict[str, Any] = {"qty": command.qty, "trigger_price": command.trigger_price}
            action = IntentAction.AMEND
        else:
            body, action = {}, IntentAction.CANCEL
        body |= {"client_id": command.client_id, "protective": command.protective}
        return command.intent_id, command.client_id, parsed[2].value, action, body
    return None  # SetLeverage is in the session document; lookups and reconciles are reads


def account_equity(core: TradingCore) -> Decimal | None:
    """The equity of the last account snapshot the core has (live: the exchange's wallet)."""
    account = core.kit.view.account
    return None if account is None else account.equity_btc


class Recorder:
    """The store side of one run; one per store, called from the tick loop.

    ``save_each_round`` (live) commits the session every round, so ``status`` shows a moving
    ``saved`` time; paper commits it when commands, halts, trades or a machine state changed.
    ``collapse_log`` logs identical consecutive rejections as one line with a count (paper).
    """

    def __init__(
        self,
        store: SqliteStore,
        budget: RestBudget | None = None,
        *,
        mode: str = "live",
        save_each_round: bool = True,
        collapse_log: bool = False,
        equity_of: EquityOf = account_equity,
        exchange_health: Callable[[], dict[str, Any]] | None = None,
    ):
        self.store, self.budget, self.mode = store, budget, mode
        self.exchange_health = exchange_health  # live: the adapter's health() for ``status``
        self.save_each_round, self.collapse_log = save_each_round, collapse_log
        self.equity_of = equity_of
        self.rollup = DailyRollup(store.daily_metrics(last=1))
        self.duplicates: list[str] = []  # placements refused a second intent (never sent)
        self._machines: tuple[str, str] | None = None
        self._day: str | None = None
        self._logged_day = ""  # metrics are logged for the days after this one
        self._run: DecisionRun | None = None

    def restart(self, now_ms: int) -> list[str]:
        """Intents committed but never answered may have been sent: they become ``unknown``."""
        moved = []
        for intent in self.store.open_intents():
            if intent.status is IntentStatus.RECORDED:
                self._move(intent.intent_id, (I.UNKNOWN,), now_ms, "found at restart")
                moved.append(intent.intent_id)
        return moved

    # ------------------------------------------------------------------------- per round
    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        """Commit the round (records, session, intents) before its commands are sent."""
        self._day_boundary(now_ms, core)
        self._journal(out)
        self._decisions(out.decisions)
        machines = (core.state.main.state, core.state.stop.state)
        changed = out.commands or out.halts or out.trades or machines != self._machines
        if self.save_each_round or changed:
            self.save(now_ms, core)
        out.commands[:] = [c for c in out.commands if self._intent_first(now_ms, c)]

    def on_results(self, now_ms: int, command: AnyCommand, events: list[ExchangeEvent]) -> None:
        """Move the command's intent along with the exchange's answer."""
        answer = next((e for e in events if isinstance(e, CommandSucceeded | CommandFailed)), None)
        found = intent_of(command)
        if found is not None and answer is not None:
            failed = isinstance(answer, CommandFailed)
            kind = answer.kind if failed else "ok"
            path = _AFTER_SEND.get(kind, (I.SENT, I.REJECTED))
            if found[3] is not IntentAction.PLACE:
                path = (*path, I.RESOLVED)  # an amend/cancel is done once answered
            self._move(found[0], path, now_ms, f"{kind}: {answer.message}" if failed else kind)
        elif isinstance(command, LookupOrder) and isinstance(answer, CommandSucceeded):
            intent = self.store.intent_for_client_id(command.client_id)
            if intent is not None and intent.status is IntentStatus.UNKNOWN:
                path = (I.ACKED,) if answer.order is not None else (I.RESOLVED,)
                self._move(intent.intent_id, path, now_ms, "lookup")

    def save(self, now_ms: int, core: TradingCore) -> None:
        """Commit the session document with its ``runtime`` section (I4), then the rest."""
        doc = core.state.to_dict()
        exchange = self.exchange_health() if self.exchange_health is not None else None
        doc["runtime"] = runtime_snapshot(core, self.budget, now_ms, self.mode, exchange)
        self.store.save_session(doc, now_ms)
        self._machines = (core.state.main.state, core.state.stop.state)
        self._resolve_finished(now_ms, core)
        if self.store.pending_decisions:
            self.store.flush_decisions()
        self._sample(now_ms, core)
        changed = self.rollup.take_changed()
        if changed:
            self.store.upsert_daily_metrics(changed, now_ms)

    def finish(self, now_ms: int, core: TradingCore) -> None:
        """The last commit of a run (stop, Ctrl-C, end of data); the caller closes the store."""
        self.save(now_ms, core)
        if self._run is not None:
            log_record(logger, RecordKind.DECISIONS, self._run)
            self._run = None
        self._log_days(utc_day(now_ms), include_last=True)

    # ------------------------------------------------------------------------- intents
    def _intent_first(self, now_ms: int, command: AnyCommand) -> bool:
        """Commit the command's intent; False for a placement whose client id has one (G2)."""
        found = intent_of(command)
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
            logger.error("{} has an intent already: never sent again (G2)", cid)
            self.duplicates.append(intent_id)
            return False
        failpoints.hit("after_intent_commit")
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
            path, why = settled(intent, orders.get(intent.client_id))
            if path:
                self._move(intent.intent_id, path, now_ms, why)

    # ------------------------------------------------------------------------- records
    def _journal(self, out: Outbox) -> None:
        for entry in out.halts:
            record = HaltRecord.from_dict(entry.to_dict())
            self.store.record_halt(record)
            self.rollup.add(record)
            log_record(logger, RecordKind.HALTS, record)
        for trade in out.trades:
            self.store.record_trade(trade)
            self.rollup.add(trade)
            log_record(logger, RecordKind.TRADES, trade)

    def _decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        for d in decisions:
            self.store.add_decision(d)
            self.rollup.add(d)
            if not self.collapse_log:
                log_record(logger, RecordKind.DECISIONS, d)
                continue
            run, key = self._run, run_key(d)
            if run is not None and key is not None and key == run_key(run.record):
                self._run = run.extended(d)
                continue
            if run is not None:
                log_record(logger, RecordKind.DECISIONS, run)
            self._run = DecisionRun(d)
        if self.store.pending_decisions >= FLUSH_DECISIONS:
            self.store.flush_decisions()

    def _day_boundary(self, now_ms: int, core: TradingCore) -> None:
        """A new UTC day: commit (the new day's opening equity) and log the days that ended."""
        day = utc_day(now_ms)
        if day == self._day:
            return
        if self._day is not None:
            self.save(now_ms, core)
            self._log_days(day, include_last=False)
        self._day = day

    def _log_days(self, day: str, *, include_last: bool) -> None:
        for metrics in self.rollup.days():
            ended = metrics.day < day or (include_last and metrics.day == day)
            if metrics.day > self._logged_day and ended:
                log_record(logger, RecordKind.METRICS, metrics)
                self._logged_day = metrics.day

    def _sample(self, now_ms: int, core: TradingCore) -> None:
        mark, equity = core.kit.view.mark_price, self.equity_of(core)
        if mark is not None and equity is not None:
            self.rollup.add(EquitySample(now_ms, equity, mark))


def settled(intent: IntentRecord, tracked: TrackedOrder | None) -> tuple[tuple, str]:
    """Where an open intent goes now that the core knows its order's fate: ``(path, why)``.

    An ``unknown`` intent (found at restart) whose order the restarted core found on the
    exchange — in its startup snapshot or by a lookup (G2) — is ``acked``; one whose outcome
    the core settled otherwise (looked up and not found; an amend or cancel superseded by
    the exchange's truth) is ``resolved``. An answered intent is resolved once its order is
    final.
    """
    final = tracked is None or not tracked.phase.is_live
    if intent.status is I.UNKNOWN and tracked is not None:
        if intent.action is IntentAction.PLACE and tracked.order_id:
            return ((I.ACKED, I.RESOLVED) if final else (I.ACKED,)), "found on the exchange"
        if intent.action is not IntentAction.PLACE or final:
            return (I.RESOLVED,), "settled by the exchange's truth"
    if final and intent.status in (I.ACKED, I.REJECTED):
        return (I.RESOLVED,), "order final"
    return (), ""


class RecordingExecutor:
    """The command executor with each answer handed to the recorder (the sim driver has no
    ``on_results`` hook); the simulator answers at once, so the marks follow the call."""

    def __init__(self, inner: CommandExecutor, recorder: Recorder):
        self.inner, self.recorder = inner, recorder

    async def execute(self, command: AnyCommand) -> list[ExchangeEvent]:
        events = await self.inner.execute(command)
        self.recorder.on_results(self.inner.clock(), command, events)
        return events
