"""A full disk must not cost the position (issue 15 item 2; SPEC I4, G8, D6).

When the store cannot commit a round, protective commands (stop place and amend, reduce-only
close, entry cancels) still go out with their deterministic client ids; every other command is
refused as never sent; the core blocks entries while commits fail; the next round tries again.
"""

from __future__ import annotations

from tests.integration.core.harness import ENTRY_LEVEL, MARK0, Scenario, rows_flat, rows_move

from accountbuilder.core.rounds import CommitFailed
from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import ExitReason, OrderRole
from accountbuilder.domain.lifecycle import OrderPhase
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.trade_log import TradeExitRecord

SEC = 1_000
DIP = rows_flat(MARK0, 1) + rows_move(MARK0, ENTRY_LEVEL - 20, 1)


class FailingDisk:
    """The commit hook of a store on a full disk (the recorder raises ``CommitFailed``);
    ``fail_on(out)`` may pick the rounds that fail (default: every round while ``full``)."""

    def __init__(self, inner, fail_on=None) -> None:
        self.inner, self.full, self.failed, self.fail_on = inner, False, 0, fail_on

    def __call__(self, now_ms, out, core) -> None:
        if self.full or (self.fail_on is not None and self.fail_on(out)):
            self.failed += 1
            raise CommitFailed("OperationalError: database or disk is full")
        self.inner(now_ms, out, core)


def places_an_entry(out) -> bool:
    return any(isinstance(c, PlaceOrder) and c.spec.role is OrderRole.ENTRY for c in out.commands)


async def test_i4_g8_with_the_store_failing_a_lost_stop_is_replaced_and_entries_stop():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 30), tick_ms=SEC)
    await sc.start()
    disk = FailingDisk(sc._on_outbox)
    sc.driver.rounds.commit = disk
    while not (sc.state.main.state == "IN_POSITION" and sc.state.stop.state == "ACTIVE"):
        await sc.run_for(SEC)
    first = sc.stop_cid()
    disk.full = True

    sc.sim.cancel_elsewhere(first)
    await sc.run_for(3 * SEC)

    assert disk.failed >= 2  # every round failed to commit ...
    assert sc.stop_cid() != first and sc.state.stop.state == "ACTIVE"  # ... and the stop is back
    assert sc.exchange_protected()
    blocks = [b.reason for b in sc.state.risk.blocks.active(sc.now)]
    assert ReasonCode.BLOCK_STORE in blocks  # D6: no entries while the store fails
    assert sc.driver.rounds.store_failing_since_ms is not None
    sc.assert_invariants(unprotected_limit_ms=2 * SEC)


async def test_i4_an_entry_whose_round_cannot_be_stored_is_never_sent_and_entries_stop():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 30), tick_ms=SEC)
    await sc.start()
    disk = FailingDisk(sc._on_outbox, fail_on=places_an_entry)
    sc.driver.rounds.commit = disk

    await sc.run_for(61 * SEC)  # the first entry is proposed at the minute

    entries = [o for o in sc.state.orders.by_cid.values() if o.role is OrderRole.ENTRY]
    assert disk.failed == 1 and len(entries) == 1
    assert entries[0].phase is OrderPhase.DROPPED  # not stored, so never sent (I4)
    places = [c for c in sc.sim.rest_calls if c.method == "place_order"]
    assert places == []
    blocks = [b.reason for b in sc.state.risk.blocks.active(sc.now)]
    assert blocks == [ReasonCode.BLOCK_STORE] and sc.state.main.state == "FLAT"
    disk.fail_on = None
    await sc.run_for(70 * SEC)  # commits work again; the block runs out at the next minute
    assert sc.driver.rounds.store_failing_since_ms is None
    assert [c for c in sc.sim.rest_calls if c.method == "place_order"]  # trading resumed


def committed(outboxes, kind) -> list:
    return [r for out in outboxes for r in out.trades if isinstance(r, kind)]


async def test_i1_i2_i4_records_of_rounds_the_store_could_not_commit_are_committed_late_not_lost():
    """A trade that closes while the disk is full keeps its exit record (I1), and the halt
    log its entries (I2): they are committed, once and in order, by the first round that can."""
    fall = rows_move(ENTRY_LEVEL, ENTRY_LEVEL * 0.9, 30)  # through the stop, 0.35 % a minute
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 30) + fall + rows_flat(ENTRY_LEVEL * 0.9, 30), tick_ms=SEC)  # fmt: skip
    await sc.start()
    disk = FailingDisk(sc._on_outbox)
    sc.driver.rounds.commit = disk
    while not (sc.state.main.state == "IN_POSITION" and sc.state.stop.state == "ACTIVE"):
        await sc.run_for(SEC)
    disk.full = True
    before = len(sc.outboxes)

    while sc.state.risk.winrate.closed == 0:  # the stop fills while nothing can be committed
        await sc.run_for(SEC)
    await sc.run_for(5 * SEC)
    assert disk.failed > 0 and len(sc.outboxes) == before  # nothing was committed meanwhile
    assert sc.driver.rounds.unrecorded is not None
    kept = sc.driver.rounds.unrecorded
    assert committed([kept], TradeExitRecord) and kept.decisions

    disk.full = False
    await sc.run_for(2 * SEC)

    exits = committed(sc.outboxes, TradeExitRecord)
    assert len(exits) == 1 and exits[0].exit_reason is ExitReason.STOP  # once, not lost
    late = sc.outboxes[before]  # the first round committed after the failure carries them
    assert committed([late], TradeExitRecord) == exits
    assert late.decisions[: len(kept.decisions)] == kept.decisions  # in order, before its own
    assert sc.driver.rounds.unrecorded is None
