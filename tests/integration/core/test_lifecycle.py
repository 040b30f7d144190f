"""Whole-lifecycle scenarios of the core on the simulated exchange (issue 6; SPEC G3-G9, H1)."""

from __future__ import annotations

from tests.integration.core.harness import (
    ENTRY_LEVEL,
    MARK0,
    MIN,
    TP_LEVEL,
    Scenario,
    rows_flat,
    rows_move,
)

# The entry is placed after the first candle; the second dips through the level and fills it.
DIP = rows_flat(MARK0, 1) + rows_move(MARK0, ENTRY_LEVEL - 20, 1)
STOP_LEVEL = ENTRY_LEVEL * (1 - 0.045)  # C1: stop distance = clamp(3% x 1.5, 2%, 6%) = 4.5%


async def test_g9_entry_stop_active_take_profit_exit_updates_metrics():
    rows = (
        DIP
        + rows_flat(ENTRY_LEVEL, 5)
        + rows_move(ENTRY_LEVEL, TP_LEVEL + 30, 10)
        + rows_flat(TP_LEVEL + 30, 10)
    )
    sc = Scenario(rows)
    await sc.start()

    await sc.run_for(4 * MIN)
    assert sc.state.main.state == "IN_POSITION"
    assert sc.state.stop.state == "ACTIVE"
    await sc.run_for(25 * MIN)

    exits = sc.trades("TradeExitRecord")
    assert [e.exit_reason.value for e in exits] == ["take_profit"]
    assert exits[0].gross_pnl_btc > 0
    # G3: the next grid entry rests below the market after the exit
    assert sc.state.main.state == "ENTRY_PENDING" and sc.state.stop.state == "NO_POSITION"
    assert sc.state.trade.signal_id != exits[0].signal_id and sc.state.trade.entry_qty == 0
    assert sc.state.risk.winrate.closed == 1 and sc.state.risk.winrate.recent == (True,)
    sc.assert_invariants()


async def test_g6_stop_exit_records_a_loss_within_the_budget():
    rows = DIP + rows_move(ENTRY_LEVEL, STOP_LEVEL - 200, 10) + rows_flat(STOP_LEVEL - 200, 5)
    sc = Scenario(rows)
    await sc.start()

    await sc.run_for(23 * MIN)

    exits = sc.trades("TradeExitRecord")
    assert [e.exit_reason.value for e in exits] == ["stop"]
    loss = -exits[0].gross_pnl_btc
    assert 0 < loss <= exits[0].max_loss_btc  # C3: the exact loss at the stop fits the budget
    assert sc.state.main.state in ("FLAT", "ENTRY_PENDING")  # G3: a new entry may rest below
    assert sc.sim.ledger.contracts == 0
    sc.assert_invariants()
