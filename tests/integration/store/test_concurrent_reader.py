"""A second process reads the store while the runner writes (WAL; SPEC I4, ``status``)."""

from __future__ import annotations

import json
import select

import pytest
from tests.integration.store.store_procs import WAIT_S, expect, start

from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.records.examples import T0
from accountbuilder.store import SqliteStore


@pytest.fixture
def db(tmp_path):
    return tmp_path / "accountbuilder.sqlite"


def test_i4_status_reads_while_the_writer_is_inside_a_transaction(db):
    with SqliteStore.open(db, now_ms=T0) as writer:
        writer.save_session({"n": "before"}, T0)
    proc = start("hold", db)
    expect(proc, "IN_TRANSACTION")

    with SqliteStore.open_readonly(db) as reader:  # not blocked by the open write transaction
        view = reader.status("2024-03-01")
        assert view.session.doc == {"n": "before"}
        assert view.last_decisions == ()  # the uncommitted row is not visible

        proc.stdin.write("go\n")
        proc.stdin.flush()
        expect(proc, "COMMITTED")
        proc.wait(WAIT_S)

        assert reader.load_session() == {"n": "after"}
        assert [r.record.signal_id for r in reader.last_decisions()] == ["held"]
    assert proc.returncode == 0


def test_i4_reader_process_sees_consistent_snapshots_while_the_runner_writes(db):
    target = 40
    writer = SqliteStore.open(db, now_ms=T0)
    writer.save_session({"n": 0}, T0)
    proc = start("reader", db, target)
    expect(proc, "READY")

    n = 0
    while proc.poll() is None and not select.select([proc.stdout], [], [], 0)[0]:
        n += 1  # decisions of step n first, then the session that says n
        step = [DecisionRecord(T0 + n, True, None, signal_id=f"s{n}") for _ in range(10)]
        writer.write_decisions(step)
        writer.save_session({"n": n}, T0 + n)
    report = json.loads(proc.stdout.readline())
    proc.wait(WAIT_S)
    writer.close()

    assert proc.returncode == 0, proc.stderr.read()
    assert report["last"] >= target
    assert report["distinct"] >= 2
