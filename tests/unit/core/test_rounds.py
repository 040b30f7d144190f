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
