"""``halt reset`` requests to the live runner under a burst (issue 15 §7, SPEC E5): every request
is answered once in the store, applied or refused with its reason, and none crashes a tick."""

from __future__ import annotations

import json
import sqlite3

from tests.integration.exchange.bybit.livekit import LiveKit

from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halts import HaltPhase
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.recorder import Recorder
from accountbuilder_runner.requests import (
    RequestQueue,
    pending_requests,
    request_dir,
    write_reset_request,
)

MALFORMED = {
    "empty-object": b"{}",
    "a-list": b"[1, 2]",
    "not-json": b"reset please",
    "blank-who": json.dumps({"kind": "halt_reset", "reason": "ok", "who": "   ", "ts_ms": 1}),
    "binary": b"\xff\xfe\x00\x01",
}


async def _halted_manual(kit: LiveKit, store: SqliteStore) -> RequestQueue:
    queue = RequestQueue(store.path, store)
    await kit.open(recorder=Recorder(store, kit.budget), requests=queue)
    await kit.tick(5)
    kit.server.faults.malformed("/v5/account/wallet-balance", "nan", n=1)
    await kit.tick(61)  # the wallet is re-read by REST and answers NaN: E3, manual HALT
    await kit.tick(2)
    assert kit.state.halt.phase is HaltPhase.HALT
    assert ReasonCode.BALANCE_ANOMALY in kit.state.halt.reasons
    return queue


async def test_e5_a_burst_of_20_reset_requests_is_each_answered_once(kit: LiveKit, tmp_path):
    path = tmp_path / "s.sqlite"
    store = SqliteStore.open(path, now_ms=kit.clock())
    await _halted_manual(kit, store)
    filed = [
        write_reset_request(path, f"checked by hand #{n}", "ops", kit.clock()) for n in range(15)
    ]
    for name, data in MALFORMED.items():
        raw = request_dir(path) / f"reset-0000000000000000000-0-{name}.json"
        raw.write_bytes(data if isinstance(data, bytes) else data.encode())
        filed.append(raw)
    assert len({p.stem for p in filed}) == 20  # filed within a millisecond: 20 names

    await kit.tick(3)

    answers = {a.request_id: (a.outcome, a.detail) for a in store.recent_requests(limit=100)}
    assert set(answers) == {p.stem for p in filed} and pending_requests(path) == []
    valid = [answers[p.stem] for p in filed[:15]]
    assert valid[0] == ("applied", "HALT lifted (halt log: reset)")  # the oldest lifts the HALT
    assert all(o == "refused" and d.startswith("NOT_HALTED") for o, d in valid[1:])
    malformed = {n: answers[f"reset-0000000000000000000-0-{n}"] for n in MALFORMED}
    assert malformed == {
        "empty-object": ("refused", "malformed request: kind is not 'halt_reset'"),
        "a-list": ("refused", "malformed request: not a JSON object (a list)"),
        "not-json": ("refused", "malformed request: not a JSON document"),
        "blank-who": ("refused", "malformed request: who is blank"),
        "binary": ("refused", "malformed request: not a JSON document"),
    }
    store.close()


async def test_e5_i4_a_reset_applied_while_the_store_failed_is_answered_applied_once_it_commits(
    kit: LiveKit, tmp_path, monkeypatch
):
    """The round that lifted the HALT could not be committed: the request stays on disk and is
    taken again, the core (no longer halted) refuses the repeat, and the answer recorded is the
    reset that was applied — with its halt-log entry, committed late, not lost."""
    path = tmp_path / "s.sqlite"
    store = SqliteStore.open(path, now_ms=kit.clock())
    await _halted_manual(kit, store)
    filed = write_reset_request(path, "wallet checked by hand", "ops", kit.clock())

    def full(*a, **kw):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "commit_round", full)
    await kit.tick(1)  # the reset is applied in memory; nothing can be committed
    assert kit.state.halt.phase is not HaltPhase.HALT
    assert pending_requests(path) == [filed] and store.recent_requests(limit=10) == []
    monkeypatch.undo()

    await kit.tick(2)

    [answer] = store.recent_requests(limit=10)
    assert (answer.request_id, answer.outcome) == (filed.stem, "applied")
    resets = [h for h in store.recent_halts(limit=50) if h.event == "reset"]
    assert len(resets) == 1 and resets[0].who == "ops"  # E5: in the halt log, once
    assert pending_requests(path) == []
    store.close()
