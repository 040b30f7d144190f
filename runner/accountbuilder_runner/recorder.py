"""Persist a run, live or paper, the same way (SPEC G2, I1-I4): the store and JSON-lines files.

Per driver round (``on_outbox``, the round loop's commit hook), before the round's commands
are sent: the halts (I2) and trades (I1) are committed and logged, the decisions buffered;
then, in one durable transaction, the session document with its ``runtime`` section (I4;
live every round, paper when something changed) and the round's order moves — the creation
of every order about to be sent, and every lifecycle change the core accepted. The core owns
the lifecycle (``domain.lifecycle``); the recorder re-derives nothing. A creation whose client
id the store already holds is never sent again (G2): its command is dropped and logged.

A store that cannot commit (full disk, I/O error) raises ``CommitFailed``: the round loop
still sends the protective commands and the core blocks entries (``core.rounds``), and hands
the failed round's records back with the next round; those this recorder wrote before the
failure (a halt written, then the disk filled) are not written or counted again.
A UTC day's metrics are logged to ``metrics.jsonl`` when the day ends and at ``finish``, and
handed to each of ``day_listeners`` (the notifier). ``runtime_extra`` adds sections to the
``runtime`` document (the notifier's counts, for ``status``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from loguru import logger

from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.rounds import CommitFailed
from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.lifecycle import OrderTransition
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.records.daily_metrics import DailyMetrics, DailyRollup, EquitySample, utc_day
from accountbuilder.records.decision_log import DecisionRecord, DecisionRun, run_key
from accountbuilder.records.halt_log import HaltRecord
from accountbuilder.records.sinks import RecordKind, log_record
from accountbuilder.store import SqliteStore
from accountbuilder_runner import failpoints
from accountbuilder_runner.runtime import runtime_snapshot

FLUSH_DECISIONS = 2_000  # buffered decisions written without waiting for a session save
STORE_FAULTS = (sqlite3.OperationalError, sqlite3.DatabaseError, OSError)

EquityOf = Callable[[TradingCore], Decimal | None]
DayListener = Callable[[DailyMetrics, bool], None]  # (the day's metrics, the day is over)
T = TypeVar("T")


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
    ):
        self.store, self.budget, self.mode = store, budget, mode
        self.save_each_round, self.collapse_log = save_each_round, collapse_log
        self.equity_of = equity_of
        self.rollup = DailyRollup(store.daily_metrics(last=1))
        self.duplicates: list[str] = []  # placements whose client id was stored (never sent)
        self.commit_failures = 0
        self.day_listeners: list[DayListener] = []
        self.runtime_extra: dict[str, Callable[[], Any]] = {}  # runtime[name] = section()
        self._machines: tuple[str, str] | None = None
        self._day: str | None = None
        self._logged_day = ""  # metrics are logged for the days after this one
        self._run: DecisionRun | None = None
        self._handled: set[int] = set()  # ids of records written since the last good commit

    # ------------------------------------------------------------------------- per round
    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        """Commit the round (records, session, order moves) before its commands are sent."""
        try:
            self._commit(now_ms, out, core)
            self._handled.clear()  # every record handed back by ``Rounds`` is now on disk
        except STORE_FAULTS as e:
            self.commit_failures += 1
            logger.error("store {}: commit failed ({}): protection goes on, entries stop", self.store.path, e)  # fmt: skip
            raise CommitFailed(f"{type(e).__name__}: {e}") from e
        if _creates(out):
            failpoints.hit("after_intent_commit")

    def _commit(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        self._day_boundary(now_ms, core)
        self._journal(out)
        self._decisions(out.decisions)
        moves = self._unsent_duplicates(out)
        machines = (core.state.main.state, core.state.stop.state)
        changed = out.commands or out.halts or out.trades or moves or machines != self._machines
        if self.save_each_round or changed:
            self.save(now_ms, core, moves)
        elif moves:
            self.store.record_order_moves(moves)

    def _unsent_duplicates(self, out: Outbox) -> list[OrderTransition]:
        """G2: a creation whose client id the store already holds is never sent again."""
        moves, dropped = [], set()
        for move in out.order_moves:
            if move.source is None and self.store.order(move.client_id) is not None:
                logger.error("{} has an order already: never sent again (G2)", move.client_id)
                self.duplicates.append(move.client_id)
                dropped.add(move.client_id)
                continue
            moves.append(move)
        if dropped:
            out.commands[:] = [
                c for c in out.commands
                if not (isinstance(c, PlaceOrder) and c.spec.client_id in dropped)
            ]  # fmt: skip
        return moves

    def save(self, now_ms: int, core: TradingCore, moves: Sequence[OrderTransition] = ()) -> None:
        """Commit the session document with its ``runtime`` section (I4) and the order moves
        in one transaction, then the rest."""
        doc = core.state.to_dict()
        doc["runtime"] = runtime_snapshot(core, self.budget, now_ms, self.mode)
        doc["runtime"].update((name, section()) for name, section in self.runtime_extra.items())
        self.store.commit_round(doc, moves, now_ms)
        self._machines = (core.state.main.state, core.state.stop.state)
        if self.store.pending_decisions:
            self.store.flush_decisions()
        self._sample(now_ms, core)
        changed = self.rollup.take_changed()
        if changed:
            self.store.upsert_daily_metrics(changed, now_ms)

    def finish(self, now_ms: int, core: TradingCore) -> None:
        """The last commit of a run (stop, Ctrl-C, end of data); the caller closes the store."""
        self.save(now_ms, core, core.state.orders.take_moves())
        if self._run is not None:
            log_record(logger, RecordKind.DECISIONS, self._run)
            self._run = None
        self._log_days(utc_day(now_ms), include_last=True)

    # ------------------------------------------------------------------------- records
    def _unwritten(self, records: Sequence[T]) -> Iterator[T]:
        """The records not yet handled: a failed round's records come back with the next round
        (``Rounds``), the same objects, and those handled before the failure are skipped. A
        record counts as handled once the loop body that got it has finished (a write that
        raised leaves it unhandled)."""
        for record in records:
            if id(record) not in self._handled:
                yield record
                self._handled.add(id(record))

    def _journal(self, out: Outbox) -> None:
        for note in self._unwritten(out.notes):  # the core's notes to the log
            logger.info("core: {}", note)
        for entry in self._unwritten(out.halts):
            record = HaltRecord.from_dict(entry.to_dict())
            self.store.record_halt(record)
            self.rollup.add(record)
            log_record(logger, RecordKind.HALTS, record)
        for trade in self._unwritten(out.trades):
            self.store.record_trade(trade)
            self.rollup.add(trade)
            log_record(logger, RecordKind.TRADES, trade)

    def _decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        for d in self._unwritten(decisions):  # buffered in the store: no write to fail
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
                for listener in self.day_listeners:
                    listener(metrics, metrics.day < day)

    def _sample(self, now_ms: int, core: TradingCore) -> None:
        mark, equity = core.kit.view.mark_price, self.equity_of(core)
        if mark is not None and equity is not None:
            self.rollup.add(EquitySample(now_ms, equity, mark))


def _creates(out: Outbox) -> bool:
    return any(m.source is None for m in out.order_moves)
