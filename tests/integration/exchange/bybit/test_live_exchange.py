"""The live runner against a fake Bybit that behaves like Bybit (issue 16), on a manual clock.

Acks are not evidence (a stop confirmed 3 s late is ACTIVE only then, G8/F4); a stop rejected
after it was working; a USDT-only wallet frame; a fill missed during a private-stream drop
(G10); a server clock 2 s ahead (no entries, the stop supervised); closeOnTrigger (G6).
"""

from __future__ import annotations

import asyncio

from tests.integration.exchange.bybit.livekit import ENTRY_PRICE, SEC, LiveKit

from accountbuilder.emergency.halts import HaltPhase
from accountbuilder_runner.clock_guard import ClockGuard, with_clock
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


async def test_issue16_a_server_clock_2_s_ahead_blocks_entries_but_never_the_stop(kit: LiveKit):
    kit.server.faults.shift_clock(2_000)
    session = await kit.open(tick=False)  # signed with Bybit's time: the start itself works
    guard = ClockGuard(session.adapter.clock_sync, kit.clock, poll_s=1.0)
    session.driver.requests = with_clock(session.driver.requests, guard)
    assert await guard.measure() is False
    await first_ticks(session, kit.clock)

    await kit.tick(60)  # a minute: long enough for an entry (WS healthy 30 s first, F2)

    assert session.adapter.health().clock.offset_ms == 2_000
    assert kit.creates("en") == []  # no entry while the clock is off
    refused = [d for d in kit.core.state.risk.blocks.active(kit.clock())]
    assert [b.reason.value for b in refused] == ["BLOCK_CLOCK"]
    kit.server.faults.shift_clock(300)  # the machine's clock was fixed (within 1 s)
    await kit.until(lambda: kit.creates("en"), max_ticks=30)  # measured again: entries resume


async def test_issue16_a_clock_going_off_mid_run_keeps_supervising_the_stop(kit: LiveKit):
    await _in_position(kit)
    session = kit.session
    guard = ClockGuard(session.adapter.clock_sync, kit.clock, poll_s=1.0)
    session.driver.requests = with_clock(session.driver.requests, guard)
    stop_cid = kit.creates("sl")[0]["orderLinkId"]
    kit.server.faults.shift_clock(-2_000)

    assert await guard.measure() is False
    await kit.tick(3)
    kit.server.cancel_stop_elsewhere(stop_cid)  # the stop vanishes while the clock is off
    await kit.until(lambda: kit.state.stop.state == "ACTIVE" and kit.creates("sl")[-1]["orderLinkId"] != stop_cid)  # fmt: skip

    assert session.adapter.health().clock.offset_ms == -2_000
    assert kit.state.stop.state == "ACTIVE"  # G8 ran on: replaced at once, clock or not
    assert [b.reason.value for b in kit.core.state.risk.blocks.active(kit.clock())] == [
        "BLOCK_CLOCK"
    ]


async def until(done, timeout_s: float = 10.0) -> None:
    """Wait (real time) until ``done()``."""
    async with asyncio.timeout(timeout_s):
        while not done():
            await asyncio.sleep(0.01)
