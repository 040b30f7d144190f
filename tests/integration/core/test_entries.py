"""Grid entries that wait for their level and a taker fallback within the loss budget
(issue 14; SPEC G3, G4, C3) on the whole core and the simulated exchange."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.core.harness import ENTRY_LEVEL, MARK0, MIN, Scenario, rows_flat, rows_move

from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.reasons import ReasonCode

SEC = 1_000


def _run_through(**sim) -> Scenario:
    below = ENTRY_LEVEL * 0.999
    return Scenario(
        rows_flat(MARK0, 2) + rows_move(MARK0, below, 1) + rows_flat(below, 10),
        start_equity_usd=400,
        sim={"require_trade_through_ticks": 1000, **sim},
    )


async def test_c3_g4_a_fill_beyond_the_limit_moves_the_stop_toward_the_entry_and_says_why():
    sc = _run_through()
    await sc.start()
    # the first limit order that executes on arrival is the G4 IOC: it fills $300 worse than
    # its limit allowed (PostOnly orders never execute on arrival; the stop is conditional)
    sc.sim.faults.fill_beyond_limit_next(1, ticks=600)

    await sc.run_for(10 * MIN)

    trade = sc.state.trade
    assert trade.liquidity.value == "taker" and trade.entry_qty > 0
    assert trade.planned_stop_price is not None and trade.stop_price > trade.planned_stop_price
    assert trade.loss_at_stop_btc() <= trade.max_loss_btc  # C3: it fits again
    (stop,) = sc.commands(PlaceOrder, OrderRole.STOP)
    assert stop.spec.trigger_price == trade.stop_price  # the stop went out at the fitted price
    notes = [n for o in sc.outboxes for n in o.notes if n.startswith("loss_budget_anomaly")]
    assert len(notes) == 1 and "fitted_stop_price=" in notes[0]
    sc.assert_invariants()


async def test_c3_a_maker_or_taker_entry_without_anomaly_keeps_its_planned_stop():
    sc = _run_through()
    await sc.start()

    await sc.run_for(10 * MIN)

    trade = sc.state.trade
    assert trade.entry_qty > 0 and trade.planned_stop_price is None
    assert trade.loss_at_stop_btc() <= trade.max_loss_btc
    fill = trade.entry_price
    assert fill <= Decimal(repr(ENTRY_LEVEL * 0.999)) * Decimal("1.002")  # within the cap
    sc.assert_invariants()


async def test_d6_an_entry_the_exchange_refuses_is_not_resent_at_once_but_after_a_block():
    """An entry our gates accepted and the exchange refused (insufficient balance, a rejected
    parameter) blocks entries for 5 minutes (BLOCK_ENTRY_REFUSED): before, the core re-evaluated
    and re-sent it in every round of the same tick, spending attempt ids (8 in one minute on
    the 2022-06 crash)."""
    sc = Scenario(rows_flat(MARK0, 20))
    await sc.start()
    sc.sim.faults.reject_next_orders(3, roles=frozenset({OrderRole.ENTRY}))

    await sc.run_for(4 * MIN)

    entries = sc.commands(PlaceOrder, OrderRole.ENTRY)
    assert len(entries) == 1  # refused once, then blocked: not re-sent in the next rounds
    assert sc.state.risk.blocks.until(ReasonCode.BLOCK_ENTRY_REFUSED) is not None
    assert any("refused by the exchange" in n for o in sc.outboxes for n in o.notes)
    decisions = [d for o in sc.outboxes for d in o.decisions]
    assert any(d.reason is ReasonCode.BLOCKED for d in decisions)  # D6 names the block

    await sc.run_for(6 * MIN)

    assert len(sc.commands(PlaceOrder, OrderRole.ENTRY)) == 2  # one more try after 5 minutes
    sc.assert_invariants()
