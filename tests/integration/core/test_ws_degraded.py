"""WS health on the core (SPEC F2, F3): stall → DEGRADED → HALT at 60 s, reconcile every 1 s."""

from __future__ import annotations

from tests.integration.core.harness import ENTRY_LEVEL, MARK0, Scenario, rows_flat, rows_move

from accountbuilder.domain.commands import Reconcile

SEC = 1_000
DIP = rows_flat(MARK0, 1) + rows_move(MARK0, ENTRY_LEVEL - 20, 1)


async def test_f3_ws_stall_degrades_blocks_entries_reconciles_and_halts_after_60s():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 10), tick_ms=SEC, with_ws=True)
    await sc.start()
    while sc.state.stop.state != "ACTIVE":
        await sc.run_for(SEC)
    assert sc.core.kit.ws.status(sc.now).healthy

    sc.heartbeat = False
    sc.sim.stall_events()  # F2: nothing (message or pong) arrives any more
    stalled_at = sc.now
    await sc.run_for(29 * SEC)
    assert sc.core.kit.ws.status(sc.now).healthy  # 30 s of silence are allowed
    await sc.run_for(2 * SEC)
    assert not sc.core.kit.ws.status(sc.now).healthy  # DEGRADED
    degraded_at = sc.core.kit.ws.status(sc.now).degraded_since_ms

    await sc.run_for(20 * SEC)
    reconciles = [c for c in sc.commands(Reconcile)]
    assert len(reconciles) >= 15  # F3: with a position open, a REST reconcile about every 1 s
    assert sc.state.main.state != "HALT"
    await sc.run_for(45 * SEC)

    halt = next(h for h in sc.halts() if h.reason.value == "WS_DEGRADED_TIMEOUT")
    assert halt.kind.value == "temporary"
    assert 60 * SEC <= halt.ts_ms - degraded_at <= 61 * SEC  # F3: DEGRADED for 60 s in a row
    assert halt.ts_ms - stalled_at >= 90 * SEC
    assert sc.state.stop.state == "ACTIVE"  # E7: the stop stays
    sc.assert_invariants()
