"""The live runner against a fake Bybit that behaves like Bybit (issue 16), on a manual clock.

Acks are not evidence (a stop confirmed 3 s late is ACTIVE only then, G8/F4); a stop rejected
after it was working; a USDT-only wallet frame; a fill missed during a private-stream drop
(G10); a server clock 2 s ahead (trading waits); closeOnTrigger on every stop (G6).
"""

from __future__ import annotations

import asyncio

from tests.integration.exchange.bybit.livekit import ENTRY_PRICE, SEC, LiveKit

from accountbuilder.emergency.halts import HaltPhase
from accountbuilder_runner.clock_guard import ClockGuard, trade_in_sync
from accountbuilder_runner.live import first_ticks

CREATE = "/v5/order/create"


async def _entry_resting(kit: LiveKit) -> str:
    await kit.open()
    await kit.until(lambda: kit.creates("en"), max_ticks=60)  # WS healthy for 30 s first (F2)
    return kit.creates("en")[0]["orderLinkId"]


async def _in_position(kit: LiveKit) -> str:
    await _entry_resting(kit)
    kit.move(ENTRY_PRICE - 20)
    await kit.until(lambda: kit.state.stop.state == "ACTIVE")
    return kit.creates("sl")[0]["orderLinkId"]


async def test_g8_f4_a_stop_whose_update_comes_3_s_late_is_active_only_then(kit: LiveKit):
    await _entry_resting(kit)
    kit.server.delay_stream(3.0)  # every private frame 3 s after the change
    kit.move(ENTRY_PRICE - 20)  # the entry fills; the core hears of it 3 s later

    await kit.until(lambda: kit.creates("sl"))
    sent_ms = kit.server.requests_to(CREATE)[-1].time_ms
    states = []
    while kit.clock() < sent_ms + 6 * SEC:
        states.append((kit.clock() - sent_ms, kit.state.stop.state))
        await kit.tick()

    active = [t for t, state in states if state == "ACTIVE"]
    assert active and min(active) >= 3 * SEC  # not on the ack: on the stream's update
    assert all(state == "PENDING" for t, state in states if t < 3 * SEC)
    assert kit.server.order(kit.creates("sl")[0]["orderLinkId"]).status == "Untriggered"


async def test_g6_every_stop_request_carries_close_on_trigger(kit: LiveKit):
    first = await _in_position(kit)
    kit.server.cancel_stop_elsewhere(first)  # re-placed with a new attempt id (G8)
    await kit.until(lambda: len(kit.creates("sl")) == 2 and kit.state.stop.state == "ACTIVE")

    stops = kit.creates("sl")
    assert all(s["closeOnTrigger"] is True and s["reduceOnly"] is True for s in stops)


async def test_g8_a_stop_rejected_after_it_was_working_is_replaced_or_the_position_closed(
    kit: LiveKit,
):
    first = await _in_position(kit)
    kit.server.reject_order(first, "EC_Others")

    await kit.tick()
    replaced = len(kit.creates("sl")) == 2  # re-placed within one tick ...
    if not replaced:  # ... or closed at market and HALTed within 10 s (G8)
        await kit.until(lambda: kit.state.halt.phase is HaltPhase.HALT, max_ticks=10)
        assert kit.server.engine.position.size == 0
    else:
        await kit.until(lambda: kit.state.stop.state == "ACTIVE", max_ticks=10)
        assert kit.server.order(kit.creates("sl")[1]["orderLinkId"]).status == "Untriggered"


async def test_e3_a_usdt_only_wallet_frame_changes_nothing(kit: LiveKit):
    await _in_position(kit)
    account_before = kit.core.kit.view.account

    kit.server.move_coin("USDT", 9_684)  # the docs' example: only the changed coin's row
    await kit.tick(3)

    assert kit.state.halt.phase is HaltPhase.NORMAL  # not a balance anomaly (E3)
    assert kit.core.kit.view.account == account_before
    assert kit.state.stop.state == "ACTIVE"


async def test_g10_a_fill_during_a_dropped_private_stream_is_recovered_with_its_fee(kit: LiveKit):
    entry = await _entry_resting(kit)
    kit.server.stall_ws()
    kit.move(ENTRY_PRICE - 20)  # the entry fills while nothing reaches the bot
    kit.server.resume_ws()
    await kit.server.drop_ws(private=True)  # the stream comes back on a new connection
    await asyncio.sleep(0.3)

    await kit.until(lambda: kit.state.trade is not None and kit.state.trade.entry_qty > 0)

    (execution,) = [e for e in kit.server.engine.executions if e.order["link_id"] == entry]
    assert kit.state.trade.entry_fees_btc == execution.fee  # Bybit's execFee, not an estimate
    assert kit.state.trade.entry_qty == execution.qty
    assert kit.session.adapter.health().fills_recovered == 1
    await kit.until(lambda: kit.state.stop.state == "ACTIVE")  # and it is protected


async def test_issue16_a_server_clock_2_s_ahead_is_detected_and_trading_waits(
    kit: LiveKit, caplog_loguru
):
    kit.server.faults.shift_clock(2_000)
    session = await kit.open(tick=False)  # signed with Bybit's time: the start itself works
    guard = ClockGuard(session.adapter.clock_sync, kit.clock, poll_s=1.0)
    stop = asyncio.Event()

    waiting = asyncio.create_task(guard.wait_in_sync(stop, kit.pace))
    await asyncio.sleep(0.2)  # a dozen checks, 1 s (manual) apart

    assert not waiting.done()
    assert session.adapter.health().clock.offset_ms == 2_000
    assert any("not trading: Bybit's clock is 2000 ms ahead" in line for line in caplog_loguru)
    assert session.driver.ticks == 0 and kit.server.requests_to(CREATE) == []
    kit.server.faults.shift_clock(300)  # the machine's clock was fixed (within 1 s)
    assert await asyncio.wait_for(waiting, 5) is True
    await first_ticks(session, kit.clock)
    await kit.until(lambda: kit.creates("en"), max_ticks=60)  # trading resumes


async def test_issue16_a_clock_going_off_mid_run_pauses_ticks_and_cancels_the_entry(kit: LiveKit):
    await _entry_resting(kit)
    session = kit.session
    session.adapter.clock_sync.every_ms = 30 * SEC  # measured every 30 s here (10 min live)
    await session.adapter.measure_clock()
    guard = ClockGuard(session.adapter.clock_sync, kit.clock, poll_s=1.0)
    stop = asyncio.Event()
    running = asyncio.create_task(
        trade_in_sync(session.driver, guard, kit.clock, stop, 1_000, kit.pace)
    )
    await until(lambda: guard.trading and session.driver.ticks > 40)  # trading normally

    kit.server.faults.shift_clock(-2_000)
    await until(lambda: not guard.trading)  # measured within 30 s (manual): paused
    paused_at = session.driver.ticks
    await asyncio.sleep(0.2)

    assert session.driver.ticks == paused_at  # no ticks while the clock is off
    assert session.adapter.health().clock.offset_ms == -2_000
    entries = [o for o in kit.server.engine.orders.values() if o.is_open and not o.reduce_only]
    assert entries == []  # the pause cancelled the working entry, as SIGTERM does
    kit.server.faults.shift_clock(0)
    await until(lambda: session.driver.ticks > paused_at)  # trading again once in sync
    stop.set()
    await asyncio.wait_for(running, 10)


async def until(done, timeout_s: float = 10.0) -> None:
    """Wait (real time) until ``done()``."""
    async with asyncio.timeout(timeout_s):
        while not done():
            await asyncio.sleep(0.01)
