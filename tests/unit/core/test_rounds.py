"""``core.rounds.Rounds``: the one round loop (SPEC F6, I4) with a scripted core.

A core that keeps answering with a new command makes the loop reach ``MAX_ROUNDS``; what the
last round decided (its order moves and commands) must still be committed before anything of
it is sent, and sent next tick, not lost (found on real data: an entry created in the last
round was never stored, and its refusal next tick could not be recorded).
"""

from __future__ import annotations

from accountbuilder.core.kit import Outbox
from accountbuilder.core.rounds import MAX_ROUNDS, CommitFailed, Rounds
from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType
from accountbuilder.domain.events import CommandFailed, StoreUnavailable
from accountbuilder.domain.lifecycle import OrderPhase, OrderTransition
from accountbuilder.domain.models import OrderSpec
from accountbuilder.domain.requests import FailureKind


class ChattyCore:
    """Every tick creates one new order and asks to send it (a refusal loop, say)."""

    def __init__(self, role: OrderRole = OrderRole.ENTRY):
        self.n, self.role, self.ticks = 0, role, []

    def tick(self, now_ms, events):
        self.ticks.append((now_ms, list(events)))
        cid = f"o{self.n}"
        self.n += 1
        spec = OrderSpec(cid, self.role, OrderSide.BUY, OrderType.LIMIT, 1)
        move = OrderTransition(cid, self.role, None, OrderPhase.INTENT, None, "", now_ms, "", spec)
        return Outbox(commands=[PlaceOrder(spec)], order_moves=[move])


class Ledger:
    def __init__(self, fail: bool = False):
        self.moves: list[str] = []
        self.fail = fail

    def __call__(self, now_ms, out, core) -> None:
        if self.fail:
            raise CommitFailed("disk full")
        self.moves += [m.client_id for m in out.order_moves]


def _sender(sent: list[str]):
    async def execute(command):
        sent.append(command.spec.client_id)
        return []

    return execute


async def test_i4_the_last_round_is_committed_and_its_commands_sent_next_tick():
    core, ledger, sent = ChattyCore(), Ledger(), []
    rounds = Rounds(core, _sender(sent), commit=ledger)

    await rounds.tick(1_000, [])

    created = [f"o{i}" for i in range(MAX_ROUNDS + 1)]
    assert ledger.moves == created  # the last round's creation is stored now
    assert sent == created[:-1] and rounds.carried[0].spec.client_id == created[-1]
    await rounds.tick(2_000, [])
    assert sent[MAX_ROUNDS] == created[-1]  # sent next tick, first, and stored only once
    assert ledger.moves.count(created[-1]) == 1
    assert set(sent) <= set(ledger.moves)  # I4: nothing is sent that was not committed


async def test_i4_a_failing_commit_of_the_last_round_carries_only_protection():
    core, ledger, sent = ChattyCore(), Ledger(), []
    rounds = Rounds(core, _sender(sent), commit=ledger)
    await rounds.tick(1_000, [])
    ledger.fail = True

    await rounds.tick(2_000, [])

    assert rounds.carried == []  # an entry that could not be stored is never sent
    kinds = [type(e) for e in rounds.pending]
    assert StoreUnavailable in kinds
    refusals = [e for e in rounds.pending if isinstance(e, CommandFailed)]
    assert refusals and all(e.failure is FailureKind.STORE_UNAVAILABLE for e in refusals)


class RecordingCore:
    """Every tick records one halt-log entry, one note and one decision, and sends nothing."""

    def __init__(self):
        self.n = 0

    def tick(self, now_ms, events):
        self.n += 1
        return Outbox(halts=[f"halt{self.n}"], notes=[f"note{self.n}"], decisions=[f"d{self.n}"])


class RecordLedger:
    def __init__(self):
        self.fail, self.halts, self.notes, self.decisions = False, [], [], []

    def __call__(self, now_ms, out, core) -> None:
        if self.fail:
            raise CommitFailed("disk full")
        self.halts += out.halts
        self.notes += out.notes
        self.decisions += out.decisions


async def test_i2_i4_records_of_failed_rounds_are_committed_once_in_order_by_the_next_that_can():
    ledger = RecordLedger()
    rounds = Rounds(RecordingCore(), _sender([]), commit=ledger)
    await rounds.tick(1_000, [])
    ledger.fail = True
    await rounds.tick(2_000, [])
    await rounds.tick(3_000, [])
    assert ledger.halts == ["halt1"]  # nothing committed while failing ...
    ledger.fail = False

    await rounds.tick(4_000, [])

    assert ledger.halts == ["halt1", "halt2", "halt3", "halt4"]  # ... and nothing lost, in order
    assert ledger.notes == ["note1", "note2", "note3", "note4"]
    assert ledger.decisions == ["d1", "d2", "d3", "d4"]
    assert rounds.unrecorded is None
    await rounds.tick(5_000, [])
    assert ledger.halts.count("halt3") == 1  # committed once


async def test_i4_a_long_failure_keeps_the_newest_decisions_and_counts_the_dropped(monkeypatch):
    monkeypatch.setattr("accountbuilder.core.rounds.MAX_UNRECORDED_DECISIONS", 2)
    ledger = RecordLedger()
    ledger.fail = True
    rounds = Rounds(RecordingCore(), _sender([]), commit=ledger)
    for t in range(1, 6):
        await rounds.tick(t * 1_000, [])
    ledger.fail = False

    await rounds.tick(6_000, [])

    assert ledger.decisions == ["d4", "d5", "d6"] and rounds.decisions_dropped == 3
    dropped = [n for n in ledger.notes if "decisions of uncommitted rounds dropped" in n]
    assert len(dropped) == 3  # each drop is said in the committed notes
    assert ledger.halts == [f"halt{n}" for n in range(1, 7)]  # halt and trade records: all kept
