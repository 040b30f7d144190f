"""Faults on the wire, live runner on the fake Bybit (SPEC F1-F3, G2, E3, E7)."""

from __future__ import annotations

import asyncio

from tests.integration.exchange.bybit.livekit import ENTRY_PRICE, SEC, TICK, LiveKit

from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halts import HaltPhase

WINDOW_MS = 60_000


def most_in_any_window(times: list[int], window_ms: int = WINDOW_MS) -> int:
    """The most requests any closed ``window_ms`` interval holds (F1's rolling window)."""
    best, lo = 0, 0
    times = sorted(times)
    for hi, t in enumerate(times):
        while times[lo] < t - window_ms:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def _in_position(kit: LiveKit) -> str:
    await kit.open()
    await kit.until(lambda: kit.creates("en"), max_ticks=60)
    kit.move(ENTRY_PRICE - 20)
    await kit.until(lambda: kit.state.stop.state == "ACTIVE")
    return kit.creates("sl")[0]["orderLinkId"]


async def test_f1_rate_limit_storm_keeps_every_window_under_90_and_the_loop_alive(kit: LiveKit):
    stop_cid = await _in_position(kit)
    # Every request answers 10006 for the next 400 requests, and the WS goes silent: DEGRADED
    # with a position open asks for a 2-call REST reconcile every second (F3) — 120 a minute,
    # more than the 80 ordinary calls F1 allows.
    kit.server.faults.rate_limit(400)
    kit.server.stall_ws()
    start = kit.clock()
    await kit.tick(150, nudge=False)

    times = [r.time_ms for r in kit.server.requests if r.time_ms >= start]
    assert most_in_any_window(times) <= 90  # F1: never exceeded
    reconciles = [r for r in kit.server.requests_to("/v5/position/list") if r.time_ms >= start]
    assert len(reconciles) >= 60  # it kept trying, inside the budget
    assert kit.session.driver.ticks >= 150 + 1  # no crash: every tick ran
    assert kit.server.order(stop_cid).status == "Untriggered"  # the stop stays (E7)

    kit.server.faults.clear()
    kit.server.resume_ws()
    kit.server.stall_ws()  # still silent: the next reconcile gets through now
    before = len(kit.server.requests_to("/v5/position/list"))
    await kit.tick(3, nudge=False)
    assert len(kit.server.requests_to("/v5/position/list")) > before


async def test_g2_create_timeout_with_the_order_placed_is_found_by_client_id(kit: LiveKit):
    await kit.open(adapter=kit.adapter(timeout_ms=300))
    # The first create (the entry) is processed, but its answer comes after ccxt's timeout.
    kit.server.faults.delay_response("/v5/order/create", seconds=1.0, n=1)
    await kit.until(lambda: kit.creates("en"), max_ticks=60)
    await kit.tick(3)

    cid = kit.creates("en")[0]["orderLinkId"]
    assert [b["orderLinkId"] for b in kit.creates("en")] == [cid]  # never re-sent (G2)
    lookups = [r.params for r in kit.server.requests_to("/v5/order/realtime")]
    assert {"symbol": "BTCUSD", "category": "inverse", "orderLinkId": cid} in lookups
    assert kit.state.orders.get(cid).phase.value == "open"  # found: resting on the book
    assert kit.server.order(cid).status == "New"


async def test_f3_ws_stall_degraded_then_halt_at_60_s_keeping_the_stop(kit: LiveKit):
    stop_cid = await _in_position(kit)
    kit.server.stall_ws()
    start = kit.clock()
    degraded_at = None
    for _ in range(100):
        await kit.tick(nudge=False)
        ws = kit.core.kit.ws.status(kit.clock())
        if degraded_at is None and not ws.healthy:
            degraded_at = kit.clock()
        if kit.state.halt.phase is HaltPhase.HALT:
            break
    halted_at = kit.clock()

    assert degraded_at is not None and 29 * SEC <= degraded_at - start <= 31 * SEC  # F2: 30 s
    assert 59 * SEC <= halted_at - degraded_at <= 61 * SEC  # F3: DEGRADED 60 s → HALT
    assert ReasonCode.WS_DEGRADED_TIMEOUT in kit.state.halt.reasons
    # F3: a 2-call REST reconcile every second while DEGRADED, inside F1: 120 calls a minute
    # do not fit in the 80 ordinary ones, so the budget spaces them (40 a minute at most).
    reconciles = kit.server.requests_to("/v5/position/list")
    during = [r.time_ms for r in reconciles if degraded_at <= r.time_ms <= halted_at]
    assert 30 <= len(during) <= 40
    assert most_in_any_window([r.time_ms for r in kit.server.requests if r.time_ms >= start]) <= 80
    assert kit.server.order(stop_cid).status == "Untriggered"  # E7: the stop is kept
    assert kit.state.stop.state == "ACTIVE"


async def test_e3_malformed_wallet_answer_halts_manual(kit: LiveKit):
    await kit.open()
    await kit.tick(5)
    kit.server.faults.malformed("/v5/account/wallet-balance", "nan", n=1)
    await kit.tick(61)  # the wallet datum ages; it is re-read by REST (F4 trigger)
    await kit.tick(2)

    assert kit.state.halt.phase is HaltPhase.HALT
    assert ReasonCode.BALANCE_ANOMALY in kit.state.halt.reasons
    assert kit.state.halt.kind.value == "manual"  # E5: only a recorded reset lifts it


async def test_f2_ws_drop_is_reported_as_a_reconnect_and_streams_resume(kit: LiveKit):
    await kit.open()
    await kit.tick(3)
    drops_before = kit.core.kit.ws.status(kit.clock()).drops_in_window
    old = {c.conn_id for c in kit.server.hub.conns}
    await kit.server.drop_ws()
    async with asyncio.timeout(5):  # subscribed again on new connections (not the closing ones)
        while not all(
            any(topic in c.topics and c.conn_id not in old for c in kit.server.hub.conns)
            for topic in ("order", "tickers.BTCUSD")
        ):
            await asyncio.sleep(0.01)
    await kit.tick(3)

    assert kit.core.kit.ws.status(kit.clock()).drops_in_window >= drops_before + 1
    kit.move(ENTRY_PRICE + 500)
    await kit.tick(1)
    assert kit.core.kit.view.mark_price - (ENTRY_PRICE + 500) in (0, TICK)
