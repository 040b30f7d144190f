"""Crash safety with real processes: SIGKILL after a commit, and in the middle of a batch.

SPEC I4: state is committed before the command it implies is sent, and survives a crash.
SPEC G2: a sent order is stored after the crash, so it is looked up, not resent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.integration.store.store_procs import expect, kill, start

from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.lifecycle import OrderEvent, OrderPhase, OrderTransition
from accountbuilder.store import SqliteStore

CID = "3f9a1c2b7d4e_L_en1"


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "accountbuilder.sqlite"


def test_g2_i4_committed_order_survives_sigkill(db):
    proc = start("intent", db)
    expect(proc, "COMMITTED")

    kill(proc)

    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 0  # the commits are still in the WAL: recovery reads them
    with SqliteStore.open_readonly(db) as store:
        (order,) = store.live_orders()
        assert (order.client_id, order.phase) == (CID, OrderPhase.ACKED)
        assert [h[1] for h in store.order_history(CID)] == ["intent", "acked"]
        assert store.load_session() == {"halt": None, "leverage_in_force": "3"}
        assert store.integrity_check() == "ok"


def test_g2_i4_writer_reopens_after_sigkill_and_resumes_the_lifecycle(db):
    proc = start("intent", db)
    expect(proc, "COMMITTED")
    kill(proc)

    with SqliteStore.open(db, now_ms=1) as store:
        store.record_order_moves(
            [
                OrderTransition(CID, OrderRole.ENTRY, OrderPhase.ACKED, OrderPhase.UNKNOWN,
                                OrderEvent.RESTARTED, "restart: look it up (G2)", 10),
                OrderTransition(CID, OrderRole.ENTRY, OrderPhase.UNKNOWN, OrderPhase.OPEN,
                                OrderEvent.SEEN_WORKING, "found by lookup", 11),
            ]
        )  # fmt: skip

        assert store.order(CID).phase is OrderPhase.OPEN
        assert store.integrity_check() == "ok"


def test_i4_batch_killed_midway_leaves_none_of_it(db):
    committed, big = 1_000, 30_000  # the big batch spills pages into the WAL before the kill
    wal = db.with_name(db.name + "-wal")
    proc = start("mid_batch", db, committed, big)
    expect(proc, "FIRST_COMMITTED")
    committed_wal_bytes = wal.stat().st_size
    expect(proc, "MID_BATCH")

    kill(proc)

    assert wal.stat().st_size > committed_wal_bytes  # uncommitted pages reached the disk
    with SqliteStore.open_readonly(db) as store:
        assert store.decision_count() == (committed, committed)
        assert {r.record.signal_id for r in store.last_decisions(5)} == {"first"}
        assert store.integrity_check() == "ok"


def test_i4_batches_killed_at_any_moment_are_each_all_or_none(db):
    size = 2_000
    proc = start("batches", db, size)
    expect(proc, "STARTED")
    with SqliteStore.open_readonly(db) as store:
        while store.decision_count()[0] < 3 * size:  # let a few batches commit
            assert proc.poll() is None, proc.stderr.read()

    kill(proc)

    with SqliteStore.open_readonly(db) as store:
        counts = Counter(r.record.signal_id for r in store.last_decisions(10**6))
        assert store.integrity_check() == "ok"
    assert set(counts.values()) == {size}
    assert sorted(counts, key=lambda b: int(b[1:])) == [f"b{n}" for n in range(len(counts))]
