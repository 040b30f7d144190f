"""Restart from the saved session document (SPEC I4, G2, F5): consistent, no duplicate, stop kept."""

from __future__ import annotations

import json

from tests.integration.core.harness import ENTRY_LEVEL, MARK0, MIN, Scenario, rows_flat, rows_move

from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import OrderRole
from accountbuilder.marketdata.view import Staleness
from accountbuilder_runner.bootstrap import start_core
from accountbuilder_runner.drivers.sim import SimDriver

SEC = 1_000
DIP = rows_flat(MARK0, 1) + rows_move(MARK0, ENTRY_LEVEL - 20, 1)


async def _restart(sc: Scenario) -> None:
    """Drop the core, keep the exchange; rebuild from the JSON session document (a crash)."""
    saved = json.loads(json.dumps(sc.core.state.to_dict()))
    started = await start_core(
        sc.sim,
        sc.config,
        sc.now,
        saved=saved,
        staleness=Staleness(mark_ms=2 * MIN, account_ms=10**12),
    )
    started.core.kit.view.atr = sc.core.kit.view.atr
    sc.core = started.core
    sc.driver = SimDriver(sc.core, sc.sim, sc.executor, on_outbox=sc._on_outbox, on_tick=sc._check)
    sc.driver.pending = list(started.startup_events)


async def test_i4_restart_in_position_keeps_the_stop_and_sends_no_duplicate():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 20), tick_ms=SEC)
    await sc.start()
    while sc.state.stop.state != "ACTIVE":
        await sc.run_for(SEC)
    sent_before = len(sc.commands(PlaceOrder))
    stop_cid = sc.stop_cid()

    await _restart(sc)
    await sc.run_for(30 * SEC)

    assert sc.state.main.state == "IN_POSITION" and sc.state.stop.state == "ACTIVE"
    assert sc.stop_cid() == stop_cid
    assert len(sc.commands(PlaceOrder)) == sent_before  # nothing re-sent
    assert len([o for o in await sc.sim.fetch_open_orders() if o.trigger_price is not None]) == 1
    sc.assert_invariants(unprotected_limit_ms=0)


async def test_i4_restart_after_losing_state_adopts_the_position_and_places_a_stop():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 20), tick_ms=SEC)
    await sc.start()
    while sc.state.main.state != "ENTRY_PENDING":
        await sc.run_for(SEC)
    stale = json.loads(json.dumps(sc.core.state.to_dict()))  # saved before the fill
    while sc.state.stop.state != "ACTIVE":
        await sc.run_for(SEC)
    sc.sim.cancel_elsewhere(sc.stop_cid())  # and the stop vanished while we were down

    started = await start_core(
        sc.sim,
        sc.config,
        sc.now,
        saved=stale,
        staleness=Staleness(mark_ms=2 * MIN, account_ms=10**12),
    )
    sc.core, sc.driver = (
        started.core,
        SimDriver(started.core, sc.sim, sc.executor, on_outbox=sc._on_outbox, on_tick=sc._check),
    )
    sc.driver.pending = list(started.startup_events)
    await sc.run_for(5 * SEC)

    assert sc.state.main.state == "IN_POSITION"
    assert sc.state.stop.state == "ACTIVE"
    assert len([o for o in await sc.sim.fetch_open_orders() if o.trigger_price is not None]) == 1
    assert not [
        c
        for c in sc.commands(PlaceOrder)
        if c.spec.role is OrderRole.ENTRY
        and c.spec.client_id == stale["orders"]["orders"][0]["spec"]["client_id"]
    ][1:]


def test_g2_pruning_never_forgets_the_open_trades_orders_or_a_live_one():
    from decimal import Decimal

    from accountbuilder.core.orders import OwnOrders
    from accountbuilder.domain.enums import OrderSide, OrderType
    from accountbuilder.domain.lifecycle import OrderEvent
    from accountbuilder.domain.models import OrderSpec

    orders = OwnOrders()
    for cid, role in (
        ("aaaa_L_en0", OrderRole.ENTRY),
        ("bbbb_L_sl0", OrderRole.STOP),
        ("cccc_L_en0", OrderRole.ENTRY),
    ):
        spec = OrderSpec(cid, role, OrderSide.BUY, OrderType.LIMIT, 1, Decimal(1))
        orders.add_intent(spec, cid[:4], 0, now_ms=0)
    orders.apply("aaaa_L_en0", OrderEvent.SEEN_CANCELLED, 0)
    orders.apply("bbbb_L_sl0", OrderEvent.SEEN_FILLED, 0)
    # cccc stays live

    dropped = orders.prune(keep_ms=7_200_000, now_ms=7_200_001, keep_signals=frozenset({"bbbb"}))

    assert dropped == 1 and set(orders.by_cid) == {"bbbb_L_sl0", "cccc_L_en0"}
    assert orders.next_attempt("bbbb", OrderRole.STOP) == 1  # the open trade's attempts go on
