"""``accountbuilder status`` and ``halt reset`` against a real store (SPEC E5, I2, I4)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from accountbuilder.core.kit import Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency import halts
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.requests import RequestQueue, pending_requests

REPO = Path(__file__).resolve().parents[2]
NOW = 1_717_000_000_000


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "accountbuilder_runner", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def _halted_store(path: Path) -> SessionState:
    state = SessionState.fresh(NOW, Decimal(3), Decimal("0.6"))
    state.halt_facts, _ = halts.raise_on(
        state.main,
        state.halt_facts,
        NOW,
        0,
        ReasonCode.EQUITY_BELOW_80,
        HaltKind.MANUAL,
        {"equity_usd": "79.5"},
    )
    doc = state.to_dict() | {
        "runtime": {
            "equity_usd": "79.50",
            "stage": "s1",
            "rest_budget_remaining": {"ordinary": 80, "protective": 90},
            "ws": "normal",
        }
    }
    with SqliteStore.open(path, NOW) as store:
        store.save_session(doc, NOW)
    return state


def test_i4_status_reads_the_store_as_json(tmp_path):
    store = tmp_path / "s.sqlite"
    _halted_store(store)

    done = cli("status", "--state", str(store), "--json")

    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["state"] == "HALT" and status["stop_status"] == "NO_POSITION"
    assert status["halt"]["kind"] == "manual" and status["halt"]["reasons"] == ["EQUITY_BELOW_80"]
    assert status["runtime"]["rest_budget_remaining"] == {"ordinary": 80, "protective": 90}


def test_status_text_and_missing_store(tmp_path):
    store = tmp_path / "s.sqlite"
    _halted_store(store)

    text = cli("status", "--state", str(store))
    missing = cli("status", "--state", str(tmp_path / "none.sqlite"))

    assert (
        text.returncode == 0
        and "state        HALT" in text.stdout
        and "EQUITY_BELOW_80" in text.stdout
    )
    assert missing.returncode == 2 and "no store" in missing.stderr


def test_e5_halt_reset_files_a_request_the_core_applies_and_records(tmp_path):
    store = tmp_path / "s.sqlite"
    state = _halted_store(store)

    done = cli(
        "halt", "reset", "--state", str(store), "--reason", "added margin by hand", "--who", "ops"
    )
    with SqliteStore.open(store, NOW) as writer:
        queue = RequestQueue(store, writer)
        requests = queue.take(NOW + 1)
        facts, (entry,), denial = halts.reset_on(
            state.main, state.halt_facts, NOW + 1, 0, requests[0].who, requests[0].reason
        )
        queue.settle(NOW + 1, Outbox(halts=[entry]))
        answered = writer.recent_requests()

    assert done.returncode == 0, done.stderr
    assert "EQUITY_BELOW_80" in done.stdout
    assert [(r.reason, r.who) for r in requests] == [("added margin by hand", "ops")]
    assert denial is None and state.main.state == "FLAT" and facts.reset_at_ms == NOW + 1
    assert entry.event.value == "reset" and entry.who == "ops"
    assert [(a.who, a.outcome) for a in answered] == [("ops", "applied")]
    assert pending_requests(store) == []  # answered once, its file gone


def test_e5_halt_reset_needs_a_reason_and_a_halt(tmp_path):
    store = tmp_path / "s.sqlite"
    with SqliteStore.open(store, NOW) as s:
        s.save_session(SessionState.fresh(NOW, Decimal(3), None).to_dict(), NOW)

    blank = cli("halt", "reset", "--state", str(store), "--reason", "  ")
    not_halted = cli("halt", "reset", "--state", str(store), "--reason", "why not")

    assert blank.returncode == 2 and "--reason" in blank.stderr
    assert not_halted.returncode == 1 and "not halted" in not_halted.stderr


def test_e5_halt_reset_refuses_a_blank_who_and_files_nothing(tmp_path):
    store = tmp_path / "s.sqlite"
    _halted_store(store)

    blank = cli("halt", "reset", "--state", str(store), "--reason", "checked", "--who", "   ")
    control = cli("halt", "reset", "--state", str(store), "--reason", "a\x1b[2Jb", "--who", "ops")

    assert blank.returncode == 2 and "--who is blank" in blank.stderr
    assert control.returncode == 2 and "--reason holds control characters" in control.stderr
    assert pending_requests(store) == []
