"""One tick and its command rounds (SPEC F6, I4): the same loop for paper, backtest and live.

Per tick: the core ticks on the queued events; the round is committed (session and order
moves, I4) before its commands are sent; each command is executed and its answers — with
whatever the exchange streamed meanwhile — are fed back to the core at the same ``now``,
until the core is quiet or ``MAX_ROUNDS`` is reached (the rest is sent next tick, after this
state is committed). The loop does no I/O itself: executing, committing and collecting
events are injected by the driver, so the simulator driver, the live driver and the test
harness run exactly this code.

When the store cannot commit (a full disk, an I/O error), protection must not wait for it:
protective commands (stop place and amend, reduce-only close, entry cancels, their lookups)
still go out, with the deterministic client ids a later restart finds them by (G2), and so do
reads (a reconcile, a lookup: they change nothing on the exchange, and a stop lost in a stream
gap is only found by one); every other command is refused as never sent, and the core is told the store is failing, which
blocks entries until commits succeed again. What a failed round was to record — trade and
halt records (I1, I2), decisions, notes, order moves — is kept and committed, in order, with
the first round that commits: the audit log comes late but whole (decisions of a long failure
are kept up to ``MAX_UNRECORDED_DECISIONS``, the oldest dropped first and counted).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.commands import AnyCommand, LookupOrder, Reconcile
from accountbuilder.domain.events import CommandFailed, ExchangeEvent, StoreUnavailable
from accountbuilder.domain.requests import FailureKind

MAX_ROUNDS = 8  # command → answer → tick rounds within one tick
MAX_UNRECORDED_DECISIONS = 100_000  # a failing store's backlog of decisions (~a day live)

Execute = Callable[[AnyCommand], Awaitable[list[ExchangeEvent]]]
Commit = Callable[[int, Outbox, TradingCore], None]


class CommitFailed(Exception):
    """The commit hook could not make the round durable (the store is failing)."""


@dataclass
class Rounds:
    core: TradingCore
    execute: Execute
    take_events: Callable[[], list[ExchangeEvent]] = list
    commit: Commit | None = None
    on_results: Callable[[int, AnyCommand, list[ExchangeEvent]], None] | None = None
    pending: list[ExchangeEvent] = field(default_factory=list)  # fed to the next tick
    carried: list[AnyCommand] = field(default_factory=list)  # commands left after MAX_ROUNDS
    store_failing_since_ms: int | None = None
    store_failures: int = 0  # rounds that could not be committed (status, alarms)
    unrecorded: Outbox | None = None  # failed rounds' records, committed with the next round
    decisions_dropped: int = 0  # decisions of failed rounds beyond the backlog's bound
    # live: a monotonic clock (ns) and where each core tick's duration goes (``status``)
    clock_ns: Callable[[], int] | None = None
    on_core_tick: Callable[[int], None] | None = None

    async def tick(self, now_ms: int, events: list[ExchangeEvent]) -> Outbox:
        """One tick at ``now_ms``; return its first outbox (tests and status lines read it)."""
        queued, self.pending = [*self.pending, *events], []
        first = out = self._core_tick(now_ms, queued)
        out.commands[:0], self.carried = self.carried, []
        for _ in range(MAX_ROUNDS):
            sendable, unsent = self._commit(now_ms, out)
            if not out.commands:
                self.pending += unsent  # the store's failure reaches the core next tick
                break
            results = await self._send(now_ms, sendable)
            out = self._core_tick(now_ms, [*unsent, *results, *self.take_events()])
        else:
            # The last round's outbox is committed now (its order moves, its state) and its
            # commands are sent next tick: nothing the core decided is lost between ticks.
            sendable, unsent = self._commit(now_ms, out)
            self.carried, self.pending = sendable, [*self.pending, *unsent]
        return first

    def _core_tick(self, now_ms: int, events: list[ExchangeEvent]) -> Outbox:
        clock, sink = self.clock_ns, self.on_core_tick
        if clock is None or sink is None:
            return self.core.tick(now_ms, events)
        t0 = clock()
        out = self.core.tick(now_ms, events)
        sink(clock() - t0)
        return out

    async def send_now(self, now_ms: int, out: Outbox) -> list[ExchangeEvent]:
        """Commit and send one outbox outside a tick (shutdown); return the answers."""
        sendable, unsent = self._commit(now_ms, out)
        return [*unsent, *await self._send(now_ms, sendable)]

    async def _send(self, now_ms: int, commands: list[AnyCommand]) -> list[ExchangeEvent]:
        results: list[ExchangeEvent] = []
        for command in commands:
            got = await self.execute(command)
            if self.on_results is not None:
                self.on_results(now_ms, command, got)
            results += got
        return results

    def _commit(self, now_ms: int, out: Outbox) -> tuple[list[AnyCommand], list[ExchangeEvent]]:
        if self.commit is None:
            return list(out.commands), []
        if self.unrecorded is not None:
            _prepend_records(out, self.unrecorded)
        try:
            self.commit(now_ms, out, self.core)
        except CommitFailed as e:
            self.unrecorded = self._records_kept(out)
            return self._store_failing(now_ms, out, str(e))
        self.store_failing_since_ms, self.unrecorded = None, None
        return list(out.commands), []

    def _records_kept(self, out: Outbox) -> Outbox:
        """What ``out`` was to record (no commands): kept for the next commit."""
        over = len(out.decisions) - MAX_UNRECORDED_DECISIONS
        notes = list(out.notes)
        if over > 0:  # said in the notes, which are committed with the rest
            self.decisions_dropped += over
            notes.append(f"store failing: {over} decisions of uncommitted rounds dropped (I4)")
        return Outbox(
            decisions=out.decisions[max(over, 0) :],
            halts=list(out.halts),
            trades=list(out.trades),
            notes=notes,
            order_moves=list(out.order_moves),
        )

    def _store_failing(
        self, now_ms: int, out: Outbox, detail: str
    ) -> tuple[list[AnyCommand], list[ExchangeEvent]]:
        self.store_failures += 1
        self.store_failing_since_ms = self.store_failing_since_ms or now_ms
        protective = [c for c in out.commands if _sent_while_failing(c)]
        unsent: list[ExchangeEvent] = [
            CommandFailed(
                exchange_ts_ms=now_ms,
                local_ts_ms=now_ms,
                request=c.request,
                failure=FailureKind.STORE_UNAVAILABLE,
                message=detail[:200],
            )
            for c in out.commands
            if not _sent_while_failing(c)
        ]
        notice = StoreUnavailable(exchange_ts_ms=now_ms, local_ts_ms=now_ms, detail=detail[:200])
        return protective, [notice, *unsent]


def _prepend_records(out: Outbox, earlier: Outbox) -> None:
    """Put records of earlier rounds before ``out``'s own (their order is kept)."""
    out.decisions[:0] = earlier.decisions
    out.halts[:0] = earlier.halts
    out.trades[:0] = earlier.trades
    out.notes[:0] = earlier.notes
    out.order_moves[:0] = earlier.order_moves


def _sent_while_failing(command: AnyCommand) -> bool:
    """Protection, and reads (they change nothing that would need storing first)."""
    return command.protective or isinstance(command, (Reconcile, LookupOrder))
