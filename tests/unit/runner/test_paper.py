"""Paper trading persists like live (runner/recorder.py, runner/paper.py): orders before
sends (SPEC G2), the session document (I4), trades (I1), halts (I2), decisions and daily
metrics (I3) in the store and the JSON-lines files."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
from tests.unit.runner.slices import config, crash_csv

from accountbuilder.marketdata.candles import load_candles, parse_utc_date_ms
from accountbuilder.store import SqliteStore
from accountbuilder_runner.commands.status import collect
from accountbuilder_runner.console import Console
from accountbuilder_runner.paper import PaperOptions, log_dir_for, rotate, run_paper
from accountbuilder_runner.store_owner import take_store
from accountbuilder_runner.winrate_file import WinrateSource

CID = "0123456789abcdef0123_L_en0"


def test_i4_a_new_paper_run_keeps_the_previous_store_as_prev(tmp_path):
    state = tmp_path / "paper.sqlite"
    with SqliteStore.open(state, now_ms=1) as old:
        old.save_session({"old": True}, 1)
    log_dir_for(state).mkdir()
    (log_dir_for(state) / "trades.jsonl").write_text("old\n")

    with take_store(state, now_ms=2) as lock:
        moved = rotate(state, lock)

    assert moved == tmp_path / "paper.sqlite.prev"
    with SqliteStore.open_readonly(moved) as kept:
        assert kept.load_session() == {"old": True}
    assert (tmp_path / "paper-logs.prev" / "trades.jsonl").read_text() == "old\n"
    assert not state.exists() and not log_dir_for(state).exists()


@pytest.fixture(scope="module")
def paper_run(shared_data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("paper")
    arrays = load_candles(crash_csv(shared_data, tmp / "crash.csv"))
    options = PaperOptions(
        data=tmp / "crash.csv",
        state=tmp / "state" / "paper.sqlite",
        speed=None,
        start_equity_usd=Decimal(100),
        from_ms=parse_utc_date_ms("2021-05-16"),
    )
    winrate = WinrateSource(Decimal("0.6"), "test")
    run = run_paper(options, config(None), winrate, arrays, Console(quiet=True))
    result = asyncio.run(run)
    return result, options.state


def test_i1_i2_paper_run_commits_trades_and_halts(paper_run):
    result, state = paper_run
    with SqliteStore.open_readonly(state) as store:
        trades = store.trades_between(0, 2**62)
        halts = store.recent_halts(10)

    f = result.summary.figures
    assert f["trades"] == 6 and f["outcome"] == "HALTED"
    assert len(trades) == 2 * 6  # one entry and one exit record per trade (I1)
    assert sorted(h.reason.value for h in halts) == ["DROP_1M", "EQUITY_BELOW_80"]


def test_i4_g2_paper_run_commits_the_session_and_every_order_with_its_lifecycle(paper_run):
    _, state = paper_run
    with SqliteStore.open_readonly(state) as store:
        doc = store.load_session()
        held = {o["spec"]["client_id"]: o["phase"] for o in doc["orders"]["orders"]}
        stored = {cid: store.order(cid) for cid in held}
        # Final orders of past signal buckets are pruned from the session document, so the
        # entries of the recorded trades are checked too: each was stored before it was sent.
        entries = [t.client_id for t in store.trades_between(0, 2**62) if t.client_id]
        entry_orders = [store.order(c) for c in entries]
        histories = [store.order_history(c) for c in entries]

    assert doc["machines"]["main"] == "HALT" and doc["halt"]["kind"] == "manual"
    assert None not in stored.values()  # every order the core holds was stored first (G2)
    assert {cid: o.phase.value for cid, o in stored.items()} == held  # one lifecycle, not two
    assert entries and None not in entry_orders
    assert all(h[0][:2] == (None, "intent") for h in histories)  # committed before the send
    assert {o.phase.value for o in entry_orders} == {"filled"}


def test_i4_paper_session_has_the_runtime_section_status_shows(paper_run):
    result, state = paper_run
    with SqliteStore.open_readonly(state) as store:
        shown = collect(store, result.plan.end_ms)
        revision = store.load_session_revision()

    runtime = shown["runtime"]
    assert runtime["mode"] == "paper" and runtime["ws"] == "n/a"
    assert runtime["updated_ms"] == revision.ts_ms  # written with the last session commit
    equity_usd = Decimal(runtime["equity_btc"]) * Decimal(runtime["mark_price"])
    assert Decimal(runtime["equity_usd"]) == equity_usd.quantize(Decimal("0.01"))
    assert Decimal(runtime["equity_usd"]) < 80  # the run ended in the H3 HALT (equity < $80)
    budget = runtime["rest_budget_remaining"]
    assert 0 <= budget["ordinary"] <= 80 and 0 <= budget["protective"] <= 90  # F1


def test_i3_paper_run_writes_decisions_metrics_and_json_lines(paper_run):
    result, state = paper_run
    with SqliteStore.open_readonly(state) as store:
        rows, decisions = store.decision_count()
        days = store.daily_metrics()

    assert decisions == result.summary.figures["evaluations"] and rows < decisions
    assert [d.day for d in days][:2] == ["2021-05-16", "2021-05-17"]
    logs = log_dir_for(state)
    trades = [json.loads(line) for line in (logs / "trades.jsonl").read_text().splitlines()]
    halts = (logs / "halts.jsonl").read_text().splitlines()
    decisions_logged = [json.loads(x) for x in (logs / "decisions.jsonl").read_text().splitlines()]
    assert [t["record"] for t in trades[:2]] == ["trade_entry", "trade_exit"]
    assert len(trades) == 12 and len(halts) == 2
    assert sum(d["count"] for d in decisions_logged) == decisions  # runs with their counts
