"""The simulated WS stream: latency, dropped, delayed and stalled events."""

from __future__ import annotations

from tests.unit.exchange.sim.simkit import BUY, DAY0, MIN, flat_rows, market, of, sim

from accountbuilder.domain.events import (
    OrderFilled,
    OrderUpdated,
    PositionUpdated,
    WalletUpdated,
)


async def test_e2_event_latency_sets_the_local_time():
    ex = sim(flat_rows(30000.0, 5), event_latency_ms=1500)
    await ex.place_order(market("en", BUY, 100))

    now = ex.take_events()
    later = ex.advance(DAY0 + 1500)

    assert now == []
    assert {e.exchange_ts_ms for e in later} == {DAY0}
    assert {e.age_ms for e in later} == {1500}
    assert [type(e) for e in later] == [
        OrderUpdated,
        OrderFilled,
        OrderUpdated,
        PositionUpdated,
        WalletUpdated,
    ]


async def test_f2_dropped_events_are_still_applied_on_the_exchange():
    ex = sim(flat_rows(30000.0, 5))
    ex.faults.drop_next_events(2, types=(OrderFilled, PositionUpdated))

    await ex.place_order(market("en", BUY, 100))
    delivered = ex.take_events()

    assert of(delivered, OrderFilled) == [] and of(delivered, PositionUpdated) == []
    assert [type(e) for e in ex.dropped_events] == [OrderFilled, PositionUpdated]
    assert (await ex.fetch_position()).contracts == 100  # REST shows what WS never said


async def test_e2_delayed_events_arrive_late_and_out_of_order():
    ex = sim(flat_rows(30000.0, 5), event_latency_ms=100)
    ex.faults.delay_next_events(1, 7000)

    await ex.place_order(market("en", BUY, 100))
    first = ex.advance(DAY0 + 100)
    second = ex.advance(DAY0 + 7100)

    # the order ack (the first event) was held 7 s; the fill events overtook it
    assert [type(e) for e in first] == [OrderFilled, OrderUpdated, PositionUpdated, WalletUpdated]
    [ack] = second
    assert ack.order.client_id == "en" and ack.age_ms == 7100


async def test_f2_a_stalled_stream_holds_events_until_resumed():
    ex = sim(flat_rows(30000.0, 5))
    ex.stall_events()
    await ex.place_order(market("en", BUY, 100))

    held = ex.advance(DAY0 + MIN)
    ex.resume_events()
    released = ex.take_events()

    assert held == []
    assert len(of(released, OrderFilled)) == 1
    assert {e.local_ts_ms for e in of(released, OrderFilled)} == {DAY0 + MIN}
    assert of(released, OrderFilled)[0].age_ms == MIN
