"""The simulated account saved and restored (the dry run's account survives a restart, I4)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from tests.unit.exchange.sim.simkit import BUY, SELL, limit, market, stop
from tests.unit.exchange.sim.test_ticks import rig

from accountbuilder.exchange.sim import snapshot
from accountbuilder.exchange.sim.snapshot import KEEP_FINISHED, SnapshotError

D = Decimal


async def in_trade():
    engine, sim, clock = rig()
    await sim.place_order(market("en", BUY, 300))
    await sim.place_order(stop("sl", SELL, 300, D("49000")))
    await sim.place_order(limit("tp", SELL, 300, D("51000"), reduce_only=True))
    engine.on_prices(D("50100"))
    return engine, sim, clock


async def test_i4_a_restored_account_has_the_same_wallet_position_and_working_orders():
    engine, sim, _ = await in_trade()
    doc = json.loads(json.dumps(snapshot.to_dict(engine)))  # through JSON, as on disk

    fresh, fresh_sim, _ = rig(mark="1")
    snapshot.restore(fresh, doc)

    assert fresh.book.ledger == engine.book.ledger  # every Decimal exact
    assert set(fresh.book.open) == {"sl", "tp"}
    assert await fresh_sim.fetch_open_orders() == await sim.fetch_open_orders()
    assert await fresh_sim.fetch_position() == await sim.fetch_position()
    assert fresh.book.liq_price == engine.book.liq_price and fresh.mark_f == 50100.0
    assert snapshot.to_dict(fresh) == doc


async def test_i4_g6_the_restored_stop_still_triggers_and_new_ids_do_not_collide():
    engine, _, _ = await in_trade()
    fresh, fresh_sim, _ = rig()
    snapshot.restore(fresh, snapshot.to_dict(engine))

    placed = await fresh_sim.place_order(limit("en2", BUY, 10, D("40000")))
    fresh.on_prices(D("48000"))

    assert placed.order_id not in {o.order_id for o in engine.book.orders.values()}
    assert fresh.book.ledger.contracts == 0  # the stop filled
    assert fresh.book.orders["sl"].filled_qty == 300


async def test_i4_only_the_latest_finished_orders_are_kept_with_every_working_one():
    engine, sim, _ = rig()
    await sim.place_order(limit("keep", BUY, 10, D("40000")))
    for i in range(KEEP_FINISHED + 5):
        await sim.place_order(limit(f"c{i}", BUY, 10, D("40000")))
        await sim.cancel_order(f"c{i}")

    ids = [o["spec"]["client_id"] for o in snapshot.to_dict(engine)["orders"]]

    assert "keep" in ids and len(ids) == KEEP_FINISHED + 1
    assert ids[1] == "c5" and ids[-1] == f"c{KEEP_FINISHED + 4}"


@pytest.mark.parametrize("doc", [{}, {"version": 99}, {"version": 1, "ledger": {}}, []])
def test_issue20_a_document_that_is_not_an_account_is_refused(doc):
    engine, _, _ = rig()

    with pytest.raises(SnapshotError):
        snapshot.restore(engine, doc)
