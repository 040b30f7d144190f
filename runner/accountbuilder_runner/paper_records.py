"""Persist a paper session the way live does: SQLite store plus JSON-lines audit files.

Per driver round (``on_outbox``), before the round's commands are sent: each command's intent
is committed (SPEC G2), then the session document (I4) whenever there are commands, halts or
trades, or a machine changed state; halts (I2) and trades (I1) are committed and logged;
decisions are buffered (identical consecutive rejections collapse into one row with a count)
and flushed with the session; the daily metrics (I3) are upserted when a UTC day ends.
``RecordingExecutor`` marks each intent sent, then acked / rejected / unknown by its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loguru import logger

from accountbuilder.core.codec import spec_to_dict
from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.commands import AmendOrder, AnyCommand, CancelOrder, PlaceOrder
from accountbuilder.domain.events import CommandFailed, CommandSucceeded, ExchangeEvent
from accountbuilder.exchange.sim.ledger import Ledger
from accountbuilder.records.daily_metrics import DailyRollup, EquitySample, utc_day
from accountbuilder.records.decision_log import DecisionRecord, DecisionRun, run_key
from accountbuilder.records.halt_log import HaltRecord
from accountbuilder.records.sinks import RecordKind, log_record
from accountbuilder.signal.ids import parse_client_id
from accountbuilder.store import DuplicateIntentError, IntentAction, IntentStatus, SqliteStore
from accountbuilder_runner.executor import CommandExecutor

FLUSH_DECISIONS = 2_000


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


class PaperRecorder:
    """Write each round's records to the store and the JSON-lines sinks."""

    def __init__(self, store: SqliteStore, ledger: Ledger | None = None):
        self.store = store
        self.ledger = ledger  # the exchange ledger (set once the simulator exists)
        self.rollup = DailyRollup()
        self.recorded: set[str] = set()
        self.duplicates: list[str] = []
        self._machines: tuple[str, str] | None = None
        self._day: str | None = None
        self._run: DecisionRun | None = None

    # ------------------------------------------------------------------ driver callback
    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        self._day_boundary(now_ms, core)
        for command in out.commands:
            self._record_intent(command, now_ms)
        machines = (core.state.main.state, core.state.stop.state)
        if out.commands or out.halts or out.trades or machines != self._machines:
            self.save_session(now_ms, core)
        for h in out.halts:
            record = HaltRecord.from_dict(h.to_dict())
            self.store.record_halt(record)
            log_record(logger, RecordKind.HALTS, record)
            self.rollup.add(record)
        for t in out.trades:
            self.store.record_trade(t)
            log_record(logger, RecordKind.TRADES, t)
            self.rollup.add(t)
        self._decisions(out.decisions)

    def save_session(self, now_ms: int, core: TradingCore) -> None:
        """Commit the session document and the buffered decisions (SPEC I4)."""
        self.store.save_session(core.state.to_dict(), now_ms)
        self._machines = (core.state.main.state, core.state.stop.state)
        if self.store.pending_decisions:
            self.store.flush_decisions()

    def close(self, now_ms: int, core: TradingCore) -> None:
        """Persist everything at the end (or on Ctrl-C) and close the store."""
        self.save_session(now_ms, core)
        if self._run is not None:
            log_record(logger, RecordKind.DECISIONS, self._run)
            self._run = None
        self._sample(now_ms, core)
        self._flush_days(now_ms)
        self.store.close()

    # ------------------------------------------------------------------ parts
    def _record_intent(self, command: AnyCommand, now_ms: int) -> None:
        found = intent_of(command)
        if found is None:
            return
        intent_id, cid, role, action, body = found
        try:
            self.store.record_intent(intent_id, cid, role, body, now_ms, action=action)
        except DuplicateIntentError:
            self.duplicates.append(intent_id)  # the same intent again: it is not sent twice
            return
        self.recorded.add(intent_id)

    def _decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        for d in decisions:
            self.store.add_decision(d)
            self.rollup.add(d)
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
        day = utc_day(now_ms)
        if day == self._day:
            return
        if self._day is not None:
            self._flush_days(now_ms)
            self.save_session(now_ms, core)
        self._day = day
        self._sample(now_ms, core)

    def _sample(self, now_ms: int, core: TradingCore) -> None:
        mark = core.kit.view.mark_price
        if mark is None or self.ledger is None:
            return
        led = self.ledger
        equity = led.wallet_btc + led.unrealised_btc(mark)
        self.rollup.add(EquitySample(now_ms, equity, mark))

    def _flush_days(self, now_ms: int) -> None:
        days = self.rollup.take_changed()
        if days:
            self.store.upsert_daily_metrics(days, now_ms)
            for day in days:
                log_record(logger, RecordKind.METRICS, day)


class RecordingExecutor:
    """The command executor, with each recorded intent marked by what happened to it.

    The simulator answers at once, so the marks follow the call: ``sent`` then ``acked`` /
    ``rejected`` / ``unknown``; a call the F1 budget never let out is ``resolved`` unsent.
    """

    def __init__(self, inner: CommandExecutor, recorder: PaperRecorder):
        self.inner, self.recorder = inner, recorder

    async def execute(self, command: AnyCommand) -> list[ExchangeEvent]:
        events = await self.inner.execute(command)
        found = intent_of(command)
        if found is not None and found[0] in self.recorder.recorded:
            self._mark(found[0], events)
        return events

    def _mark(self, intent_id: str, events: list[ExchangeEvent]) -> None:
        store = self.recorder.store
        for ev in events:
            if isinstance(ev, CommandSucceeded):
                store.mark_intent(intent_id, IntentStatus.SENT, ev.local_ts_ms)
                store.mark_intent(intent_id, IntentStatus.ACKED, ev.local_ts_ms)
                return
            if isinstance(ev, CommandFailed):
                detail = f"{ev.kind}: {ev.message}"
                if ev.kind == "BudgetExhausted":
                    store.mark_intent(intent_id, IntentStatus.RESOLVED, ev.local_ts_ms, detail)
                    return
                store.mark_intent(intent_id, IntentStatus.SENT, ev.local_ts_ms)
                status = _FAILED_STATUS.get(ev.kind, IntentStatus.REJECTED)
                store.mark_intent(intent_id, status, ev.local_ts_ms, detail)
                return


_FAILED_STATUS = {
    "OutcomeUnknown": IntentStatus.UNKNOWN,  # G2: look it up, never "rejected"
    "DuplicateClientId": IntentStatus.ACKED,  # G2: already placed
}
