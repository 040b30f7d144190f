"""A manual reset goes through the core; a condition that still holds halts again (SPEC E5, H3)."""

from __future__ import annotations

from tests.integration.core.harness import MARK0, MIN, Scenario, rows_flat

from accountbuilder.domain.events import HaltResetRequested


async def test_e5_h3_reset_while_equity_is_still_below_80_halts_again_and_says_so():
    sc = Scenario(rows_flat(MARK0, 10), start_equity_usd=79)
    await sc.start()
    await sc.run_for(MIN)
    assert sc.state.main.state == "HALT" and sc.state.halt.kind.value == "manual"

    now = sc.now + MIN
    sc.driver.pending = [
        HaltResetRequested(exchange_ts_ms=now, local_ts_ms=now, reason="checked", who="ops")
    ]
    await sc.run_for(MIN)

    events = [(h.event.value, h.reason.value) for h in sc.halts()]
    assert ("reset", "EQUITY_BELOW_80") in events
    again = [h for h in sc.halts() if h.event.value == "raised"][-1]
    assert (
        again.reason.value == "EQUITY_BELOW_80"
        and again.figures.get("still_holds_after_reset") is True
    )
    assert sc.state.main.state == "HALT"


async def test_e5_reset_without_a_reason_is_refused_and_recorded_as_a_note():
    sc = Scenario(rows_flat(MARK0, 10), start_equity_usd=79)
    await sc.start()
    await sc.run_for(MIN)

    now = sc.now + MIN
    sc.driver.pending = [
        HaltResetRequested(exchange_ts_ms=now, local_ts_ms=now, reason=" ", who="ops")
    ]
    await sc.run_for(MIN)

    assert not [h for h in sc.halts() if h.event.value == "reset"]
    assert any("halt reset refused" in n for o in sc.outboxes for n in o.notes)
