"""Fault scenarios of the core on the simulated exchange (issue 6; SPEC G4, G5, G7, G8, E7)."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.core.harness import ENTRY_LEVEL, MARK0, MIN, Scenario, rows_flat, rows_move

from accountbuilder.domain.commands import AmendOrder, CancelOrder, PlaceOrder
from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.requests import Purpose

SEC = 1_000
DIP = rows_flat(MARK0, 1) + rows_move(MARK0, ENTRY_LEVEL - 20, 1)


async def _in_position(sc: Scenario) -> None:
    await sc.start()
    while sc.state.main.state != "IN_POSITION":
        await sc.run_for(sc.tick_ms)
    while sc.state.stop.state != "ACTIVE":
        await sc.run_for(sc.tick_ms)


async def test_g8_stop_cancelled_elsewhere_goes_missing_and_is_replaced_at_once():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 30), tick_ms=SEC)
    await _in_position(sc)
    first = sc.stop_cid()

    sc.sim.cancel_elsewhere(first)
    await sc.run_for(2 * SEC)

    stops = sc.commands(PlaceOrder, OrderRole.STOP)
    assert [c.spec.client_id for c in stops] == [first, sc.stop_cid()] and sc.stop_cid() != first
    assert sc.state.stop.state == "ACTIVE"
    sc.assert_invariants(unprotected_limit_ms=2 * SEC)


async def test_g8_stop_that_cannot_be_placed_for_10s_closes_the_position_and_halts_manual():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 30), tick_ms=SEC)
    await sc.start()
    while sc.state.main.state != "ENTRY_PENDING":
        await sc.run_for(SEC)
    # Rejected: the stop, the take-profit sent with it, and the stop's retry 5 s later (G8 ERROR).
    sc.sim.faults.reject_next_orders(3)

    await sc.run_for(90 * SEC)

    protective = [
        c.spec.role
        for c in sc.commands(PlaceOrder)
        if c.spec.role in (OrderRole.STOP, OrderRole.CLOSE)
    ]
    assert protective == [OrderRole.STOP, OrderRole.STOP, OrderRole.CLOSE]
    reasons = {(h.reason.value, h.kind.value) for h in sc.halts()}
    assert ("STOP_UNRECOVERABLE", "manual") in reasons
    assert sc.core.kit.view.position.contracts == 0
    assert sc.state.main.state == "HALT"
    sc.assert_invariants(unprotected_limit_ms=11 * SEC)


async def test_e7_emergency_halt_during_a_position_keeps_stop_and_take_profit():
    crash = rows_move(ENTRY_LEVEL, ENTRY_LEVEL * 0.975, 1)  # -2.5% in a minute; the stop is -4.5%
    calm = rows_flat(ENTRY_LEVEL * 0.975, 45)
    sc = Scenario(
        DIP + rows_flat(ENTRY_LEVEL, 2) + crash + calm,
        config={"emergency": {"drop_1m_halt": -0.02}},
    )
    await _in_position(sc)
    stop_cid = sc.stop_cid()

    await sc.run_for(3 * MIN)
    assert sc.state.main.state == "HALT"
    assert sc.state.stop.state == "ACTIVE" and sc.stop_cid() == stop_cid
    assert not [
        c for c in sc.commands(CancelOrder) if c.client_id == stop_cid or "_tp" in c.client_id
    ]
    assert sc.state.orders.live(OrderRole.TAKE_PROFIT)

    await sc.run_for(40 * MIN)  # E4: 5 calm minutes → COOLDOWN 30 min → the exchange's state
    assert sc.state.main.state == "IN_POSITION"
    events = [h.event.value for h in sc.halts()]
    assert events[:1] == ["raised"] and "cooldown_started" in events and events[-1] == "lifted"
    sc.assert_invariants()


async def test_g3_an_entry_above_its_level_rests_while_the_signal_stands():
    # The mark stays 0.4% above the level for 10 minutes: the PostOnly buy rests there, never
    # cancelled and re-sent (before issue 14: a cancel and a new order every 60 s).
    sc = Scenario(rows_flat(MARK0, 12), start_equity_usd=400)
    await sc.start()

    await sc.run_for(10 * MIN)

    entries = [c for c in sc.commands(PlaceOrder) if c.spec.role is OrderRole.ENTRY]
    assert len(entries) == 1 and not sc.commands(CancelOrder)
    assert sc.state.main.state == "ENTRY_PENDING" and sc.state.maker.count == 0
    sc.assert_invariants()


async def test_g3_g4_reached_and_unfilled_then_run_through_gives_one_ioc_taker_entry_in_s2():
    # The market dips just through the level without filling the resting buy (its queue place
    # needs a trade 1000 ticks through): a maker timeout 60 s after the touch. With the market
    # now past the level, the next two PostOnly buys at it would take liquidity (timeouts 2 and
    # 3): G4 allows one taker entry, an IOC limit at mark x (1 + 0.2 %).
    below = ENTRY_LEVEL * 0.999
    sc = Scenario(
        rows_flat(MARK0, 2) + rows_move(MARK0, below, 1) + rows_flat(below, 10),
        start_equity_usd=400,
        sim={"require_trade_through_ticks": 1000},
    )
    await sc.start()

    await sc.run_for(10 * MIN)

    entries = [
        c.spec for c in sc.commands(PlaceOrder)
        if c.spec.role in (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
    ]  # fmt: skip
    assert [e.role for e in entries] == [OrderRole.ENTRY] * 3 + [OrderRole.TAKER_ENTRY]
    assert len({e.price for e in entries[:3]}) == 1  # the same standing signal, the same level
    taker = entries[3]
    assert (taker.order_type.value, taker.time_in_force.value) == ("Limit", "IOC")
    mark = Decimal(repr(below))
    assert mark < taker.price <= mark * Decimal("1.002")  # within the cap, never a market order
    timeouts = [c for c in sc.commands(CancelOrder) if c.purpose is Purpose.TIMEOUT]
    assert len(timeouts) == 1
    assert sc.state.main.state == "IN_POSITION"
    sc.assert_invariants()


def _partial_fill_scenario() -> Scenario:
    """A long entry that fills in parts: each candle's volume (0.002 BTC ~ 87 contracts at
    43,839) caps what the entry can fill, and the maker timeout (600 s) outlasts the fills."""
    return Scenario(
        DIP + rows_flat(ENTRY_LEVEL - 20, 6),
        tick_ms=SEC,
        volume=0.002,
        sim={"participation": 1.0},
        config={"execution": {"maker_timeout_s": 600}},
    )


async def test_g5_g7_partial_fills_resize_the_stop_debounced_then_sync_exactly():
    sc = _partial_fill_scenario()
    await sc.start()

    await sc.run_for(8 * MIN)

    pos = sc.core.kit.view.position.contracts
    amends = [c for c in sc.commands(AmendOrder) if "_sl" in c.client_id]
    assert pos > 87 and len(amends) >= 1
    assert amends[-1].qty == pos  # G5: the final sync is exact
    assert sc.state.stop_track.qty == pos and sc.state.trade.entry_working is False
    sc.assert_invariants()


class _CrossingSignal:
    """A user SignalSource whose long entry sits above the mark: every PostOnly would cross."""

    def propose(self, inputs):
        from decimal import Decimal

        from accountbuilder.domain.enums import Side
        from accountbuilder.signal.source import Signal

        entry = (inputs.mark_price * Decimal("1.002")).quantize(Decimal("0.5"))
        return Signal(
            "c0ffee0000000000cafe",
            Side.LONG,
            entry,
            entry * Decimal("1.03"),
            Decimal("0.03"),
            Decimal(1),
            inputs.now_ms,
        )


async def test_g3_g4_three_postonly_rejections_count_as_timeouts_then_one_taker_entry():
    sc = Scenario(rows_flat(MARK0, 12), start_equity_usd=400)
    await sc.start()
    sc.core.kit.signal = _CrossingSignal()

    await sc.run_for(4 * MIN)

    roles = [
        c.spec.role
        for c in sc.commands(PlaceOrder)
        if c.spec.role in (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
    ]
    assert roles[:4] == [OrderRole.ENTRY] * 3 + [OrderRole.TAKER_ENTRY]
    assert sc.state.maker.taker_day is not None
    assert sc.state.main.state == "IN_POSITION" and sc.state.stop.state == "ACTIVE"
    sc.assert_invariants()


def _amend_ticks(sc: Scenario, marker: str) -> dict[int, list[int]]:
    """Tick time → the qty of every amend of the ``marker`` order (``_sl`` / ``_tp``) sent then."""
    ticks: dict[int, list[int]] = {}
    for now_ms, command in sc.sent:
        if isinstance(command, AmendOrder) and marker in command.client_id:
            ticks.setdefault(now_ms, []).append(command.qty)
    return ticks


async def test_g7_g8_a_refused_final_sync_amend_waits_a_backoff_not_resent_in_the_same_tick():
    # The partial-fill scenario above. Once the first (debounced) resize is confirmed, the
    # exchange refuses the next 3 amends: the final sync (G5, exempt from the 2 s debounce) and
    # the take-profit's resize. The old stop stands (ACTIVE); the sync is retried 5 s later,
    # once, instead of being re-sent in every round of the same tick.
    sc = _partial_fill_scenario()
    await sc.start()
    while not (sc.state.stop.state == "ACTIVE" and _amend_ticks(sc, "_sl")):
        await sc.run_for(SEC)
    sc.sim.faults.reject_next_amends(3)

    await sc.run_for(8 * MIN)

    stop_amends = _amend_ticks(sc, "_sl")
    assert all(len(qtys) == 1 for qtys in stop_amends.values()), stop_amends
    pos = sc.core.kit.view.position.contracts
    last_tick = max(stop_amends)
    assert stop_amends[last_tick] == [pos]  # the exact final sync landed after the backoff
    refused_at = sorted(t for t, q in stop_amends.items() if q == [pos])
    assert len(refused_at) >= 2 and refused_at[1] - refused_at[0] >= 5 * SEC  # G8 backoff
    assert sc.state.stop_track.qty == pos and sc.state.stop.state == "ACTIVE"
    sc.assert_invariants()


async def test_g9_take_profit_is_amended_once_per_position_size_not_every_tick():
    # Regression: the TP's resize compared the position with the qty it was *placed* with, so
    # an accepted amend was re-sent every 2 s for as long as the position was open.
    sc = _partial_fill_scenario()
    await sc.start()

    await sc.run_for(8 * MIN)

    tp_amends = [q for qtys in _amend_ticks(sc, "_tp").values() for q in qtys]
    pos = sc.core.kit.view.position.contracts
    assert tp_amends and tp_amends[-1] == pos
    assert len(tp_amends) == len(set(tp_amends))  # one amend per size the position went through
    tp = sc.state.orders.live(OrderRole.TAKE_PROFIT)[0]
    assert tp.spec.qty == pos  # the tracked order carries the amended qty
    sc.assert_invariants()
