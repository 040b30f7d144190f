"""Stop and restart of the live runner with its store (SPEC I4, G2, E7)."""

from __future__ import annotations

import sqlite3

import pytest
from tests.integration.exchange.bybit.livekit import LiveKit

from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.lifecycle import OrderPhase
from accountbuilder.exchange.errors import MalformedResponse
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.commands import status
from accountbuilder_runner.recorder import Recorder


class Crash(Exception):
    """The process dies right after a commit, before the send."""


async def test_e7_shutdown_cancels_the_entry_and_keeps_stop_and_take_profit(kit: LiveKit, tmp_path):
    store = SqliteStore.open(tmp_path / "s.sqlite", now_ms=kit.clock())
    recorder = Recorder(store, kit.budget)
    await kit.open(recorder=recorder)
    await kit.until(lambda: kit.creates("en"), max_ticks=60)
    entry = kit.creates("en")[0]["orderLinkId"]
    kit.server.fill_partially(entry, 40)  # a position, and the entry still working (G5)
    await kit.until(lambda: kit.state.stop.state == "ACTIVE" and kit.creates("tp"))

    await kit.session.driver.shutdown(kit.clock())
    recorder.save(kit.clock(), kit.core)

    assert kit.server.order(entry).status == "Cancelled"
    assert kit.server.order(kit.creates("sl")[0]["orderLinkId"]).status == "Untriggered"
    assert kit.server.order(kit.creates("tp")[0]["orderLinkId"]).status == "New"
    doc = store.load_session()
    assert doc["runtime"]["mode"] == "live" and doc["runtime"]["position"]["contracts"] == 40
    store.close()


async def test_g2_i4_a_send_lost_in_a_crash_is_looked_up_never_resent(kit: LiveKit, tmp_path):
    path = tmp_path / "s.sqlite"
    store = SqliteStore.open(path, now_ms=kit.clock())
    recorder = Recorder(store, kit.budget)
    await kit.open(recorder=recorder)

    def crash_after_commit(now_ms, out, core):
        recorder.on_outbox(now_ms, out, core)
        if any(isinstance(c, PlaceOrder) and c.spec.role is OrderRole.ENTRY for c in out.commands):
            raise Crash  # committed (session + the order's creation), never sent

    kit.session.driver.on_outbox = crash_after_commit
    with pytest.raises(Crash):
        await kit.until(lambda: False, max_ticks=60)
    lost = next(o.client_id for o in kit.state.orders.by_cid.values() if o.role is OrderRole.ENTRY)
    assert kit.creates() == []
    await kit.close()
    store.close()

    store = SqliteStore.open(path, now_ms=kit.clock())
    recorder = Recorder(store, kit.budget)
    assert store.order(lost).phase is OrderPhase.INTENT  # committed; maybe sent
    second = LiveKit(kit.server, kit.clock)
    await second.open(saved=store.load_session(), recorder=recorder)
    await second.until(lambda: second.creates("en"), max_ticks=60)
    await second.tick(2)
    await second.close()

    lookups = [r.params.get("orderLinkId") for r in kit.server.requests_to("/v5/order/realtime")]
    assert lost in lookups  # looked up first (G2) ...
    sent = [b["orderLinkId"] for b in second.creates("en")]
    assert lost not in sent and len(sent) == 1  # ... and never sent; a new attempt went out
    # restart: unknown (the crash hid the send) → looked up, not found → lost; never re-sent
    assert [h[1] for h in store.order_history(lost)] == ["intent", "unknown", "lost"]
    assert store.order(sent[0]).phase in (OrderPhase.ACKED, OrderPhase.OPEN)
    store.close()


async def test_issue16_status_shows_the_clock_offset_and_invalid_position_answers(
    kit: LiveKit, tmp_path, capsys
):
    kit.server.faults.shift_clock(-1_500)
    store = SqliteStore.open(tmp_path / "s.sqlite", now_ms=kit.clock())
    adapter = kit.adapter()
    recorder = Recorder(store, kit.budget)
    recorder.runtime_extra["exchange"] = lambda: adapter.health().to_dict()
    await kit.open(adapter=adapter, recorder=recorder)
    kit.server.faults.rewrite("/v5/position/list", lambda env: {**env, "result": {"list": None}})
    with pytest.raises(MalformedResponse):
        await adapter.fetch_position()
    await kit.tick()
    store.close()

    with SqliteStore.open_readonly(tmp_path / "s.sqlite") as readonly:
        shown = status.collect(readonly, kit.clock())
    status._print_text(shown)

    exchange = shown["runtime"]["exchange"]
    assert exchange["clock_offset_ms"] == -1_500 and exchange["clock_in_sync"] is False
    assert exchange["invalid_position_answers"] == 1
    text = capsys.readouterr().out
    assert "clock -1500 ms (OFF by > 1 s: no entries)" in text
    assert "invalid position answers 1" in text


async def test_i4_g8_a_full_disk_never_stops_the_stop_and_status_shows_the_failure(
    kit: LiveKit, tmp_path, monkeypatch
):
    # The store's disk fills up while a position is open (issue 15 item 2): the runner stays
    # up, the stop that vanished is replaced with its deterministic id, entries stop, and the
    # last successful commit is what `status` shows (its `saved` time stops moving).
    store = SqliteStore.open(tmp_path / "s.sqlite", now_ms=kit.clock())
    recorder = Recorder(store, kit.budget)
    await kit.open(recorder=recorder)
    await kit.until(lambda: kit.creates("en"), max_ticks=60)
    kit.move(kit.base - 200)  # the entry fills
    await kit.until(lambda: kit.state.stop.state == "ACTIVE")
    saved_before = store.load_session_revision().ts_ms
    first = kit.creates("sl")[0]["orderLinkId"]

    def full(*a, **kw):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "commit_round", full)
    monkeypatch.setattr(store, "record_order_moves", full)
    kit.server.cancel_stop_elsewhere(first)
    await kit.until(lambda: len(kit.creates("sl")) == 2 and kit.state.stop.state == "ACTIVE")
    await kit.tick(5)

    replaced = kit.creates("sl")[1]["orderLinkId"]
    assert kit.server.order(replaced).status == "Untriggered"  # on the exchange, working
    assert recorder.commit_failures >= 5  # every round failed to commit, none stopped the bot
    assert kit.session.driver.rounds.store_failing_since_ms is not None
    blocks = [b.reason.value for b in kit.state.risk.blocks.active(kit.clock())]
    assert "BLOCK_STORE" in blocks
    monkeypatch.undo()
    assert store.load_session_revision().ts_ms == saved_before  # status shows the last commit
    store.close()
