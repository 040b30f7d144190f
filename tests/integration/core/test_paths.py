"""The rarer paths of both machines, each driven by a scenario on the whole core (issue 13).

Together with the other scenario files they fire every declared transition of the main and
stop_status machines (``test_zz_every_transition_fired``). Each scenario also checks what the
path must lead to, and the harness invariants after every tick.
"""

from __future__ import annotations

import json

from tests.integration.core.harness import (
    ENTRY_LEVEL,
    MARK0,
    MIN,
    TP_LEVEL,
    Scenario,
    rows_flat,
    rows_move,
)

from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import HaltKind, OrderRole
from accountbuilder.domain.events import (
    AccountAnswerInvalid,
    ExchangeSnapshotFetched,
    HaltResetRequested,
    MarkPriceUpdated,
    OrderFilled,
    OrderUpdated,
    PositionUpdated,
    WalletUpdated,
)
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.marketdata.view import Staleness
from accountbuilder_runner.bootstrap import start_core
from accountbuilder_runner.drivers.sim import SimDriver

SEC = 1_000
DIP = rows_flat(MARK0, 1) + rows_move(MARK0, ENTRY_LEVEL - 20, 1)
STOP_LEVEL = ENTRY_LEVEL * (1 - 0.045)
E1 = {"emergency": {"drop_1m_halt": -0.02}}
PRIVATE = (OrderUpdated, OrderFilled, PositionUpdated, WalletUpdated)


def fired(sc: Scenario, machine: str, source: str, event: str, target: str) -> bool:
    return (machine, event, source, target) in sc.fired.by_machine


def bad_wallet(sc: Scenario) -> None:
    now = sc.now
    sc.driver.pending = [AccountAnswerInvalid(exchange_ts_ms=now, local_ts_ms=now, detail="x")]


async def until(sc: Scenario, done, step_ms: int = SEC, limit: int = 3_000) -> None:
    for _ in range(limit):
        if done():
            return
        await sc.run_for(step_ms)
    raise AssertionError(f"not reached: {sc.state.main.state} {sc.state.stop.state}")


# ------------------------------------------------------------------------------- main / halts
async def test_e4_e1_a_drop_during_cooldown_halts_again_and_cooldown_ends_flat():
    # ATR 1 % < S1's 3 %: no entry, the account stays flat through both drops
    drop = rows_flat(MARK0, 2) + rows_move(MARK0, MARK0 * 0.975, 1)
    calm = rows_flat(MARK0 * 0.975, 8)
    again = rows_move(MARK0 * 0.975, MARK0 * 0.95, 1)
    sc = Scenario(drop + calm + again + rows_flat(MARK0 * 0.95, 50), config=E1, atr_pct=0.01)
    await sc.start()

    await sc.run_for(60 * MIN)

    assert fired(sc, "main", "COOLDOWN", "halt_raised", "HALT")  # the second drop
    assert fired(sc, "main", "COOLDOWN", "tick", "FLAT")  # E7: flat when the cooldown ends
    raised = [h for h in sc.halts() if h.event.value == "raised"]
    assert len(raised) == 2 and "interrupted_cooldown_until_ms" in raised[1].figures
    assert sc.state.main.state == "FLAT"
    sc.assert_invariants()


async def test_e3_e7_a_halt_while_the_entry_rests_cancels_it():
    sc = Scenario(rows_flat(MARK0, 10))
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING", MIN)
    entry = sc.state.trade.entry_cid

    bad_wallet(sc)
    await sc.run_for(MIN)

    assert fired(sc, "main", "ENTRY_PENDING", "halt_raised", "HALT")
    assert sc.state.orders.get(entry).phase.value == "cancelled"  # E7: entries pulled
    assert (sc.halts()[0].reason, sc.halts()[0].kind) == (
        ReasonCode.BALANCE_ANOMALY,
        HaltKind.MANUAL,
    )
    sc.assert_invariants()


async def test_e5_e7_a_reset_with_a_position_open_lands_in_position():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 10), tick_ms=SEC)
    await sc.start()
    await until(sc, lambda: sc.state.stop.state == "ACTIVE")
    bad_wallet(sc)
    await sc.run_for(SEC)
    assert sc.state.main.state == "HALT"
    now = sc.now + SEC
    sc.driver.pending = [
        HaltResetRequested(
            exchange_ts_ms=now, local_ts_ms=now, reason="wallet answer checked by hand", who="ops"
        )
    ]

    await sc.run_for(SEC)

    assert fired(sc, "main", "HALT", "reset", "IN_POSITION")
    assert sc.state.main.state == "IN_POSITION" and sc.state.stop.state == "ACTIVE"
    sc.assert_invariants()


# ------------------------------------------------------------------------------- main / F5
async def test_f5_an_entry_cancelled_while_its_events_were_lost_is_resynced_flat():
    sc = Scenario(rows_flat(MARK0, 10), tick_ms=SEC, with_ws=True)
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING")
    sc.sim.faults.gap_next_events(1, types=(OrderUpdated,))

    sc.sim.cancel_elsewhere(sc.state.trade.entry_cid)
    await sc.run_for(5 * SEC)  # the reconnect's reconciles: 3 alike → the exchange's truth

    assert fired(sc, "main", "ENTRY_PENDING", "resynced", "FLAT")
    sc.assert_invariants()


async def test_f5_an_entry_filled_while_its_events_were_lost_is_resynced_in_position():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL - 20, 10), tick_ms=SEC, with_ws=True)
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING")
    sc.sim.faults.gap_next_events(
        12, types=PRIVATE
    )  # everything the fill says is lost, then a reconnect

    await until(sc, lambda: sc.state.main.state == "IN_POSITION")

    assert fired(sc, "main", "ENTRY_PENDING", "resynced", "IN_POSITION")
    await until(sc, lambda: sc.state.stop.state == "ACTIVE")
    sc.assert_invariants()


async def test_f5_a_stop_fired_while_its_events_were_lost_is_resynced_flat():
    rows = DIP + rows_flat(ENTRY_LEVEL, 2) + rows_move(ENTRY_LEVEL, STOP_LEVEL - 200, 1)
    sc = Scenario(rows + rows_flat(STOP_LEVEL - 200, 10), tick_ms=SEC, with_ws=True)
    await sc.start()
    await until(sc, lambda: sc.state.stop.state == "ACTIVE")
    sc.sim.faults.gap_next_events(12, types=PRIVATE)  # the stop fires; its events are lost

    await until(sc, lambda: sc.sim.ledger.contracts == 0)
    await sc.run_for(10 * SEC)

    assert fired(sc, "main", "IN_POSITION", "resynced", "FLAT")
    assert sc.state.trade is None or sc.state.trade.entry_qty == 0
    sc.assert_invariants()


async def test_f3_f5_exit_pending_resynced_flat_by_a_rest_read_during_a_stall():
    # A take-profit fills in part (EXIT_PENDING); the stream stalls while the rest fills; a
    # REST read (the reconcile F3 does while the stream is silent) finds the account flat.
    sc = _partial_tp(rest=rows_flat(TP_LEVEL + 5, 1) + rows_flat(TP_LEVEL + 60, 30))
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "EXIT_PENDING")
    sc.sim.stall_events()
    await until(sc, lambda: sc.sim.ledger.contracts == 0)

    await rest_read(sc)

    assert fired(sc, "main", "EXIT_PENDING", "resynced", "FLAT")
    sc.sim.resume_events()  # the held events arrive late: nothing moves backward
    await sc.run_for(10 * SEC)
    assert (
        sc.state.main.state in ("FLAT", "ENTRY_PENDING")
        and sc.state.trade is None
        or (sc.state.trade.entry_qty == 0)
    )
    sc.assert_invariants()


async def rest_read(sc: Scenario) -> None:
    """The exchange's truth read by REST and taken at once (as at a restart, I4)."""
    now = sc.now + SEC
    sc.driver.pending = [
        ExchangeSnapshotFetched(
            exchange_ts_ms=now,
            local_ts_ms=now,
            position=await sc.sim.fetch_position(),
            open_orders=tuple(sc.sim.open_orders_now()),
            startup=True,
        )
    ]
    await sc.run_for(SEC)


async def test_f5_exit_pending_resynced_in_position_when_the_tp_vanished_unseen():
    sc = _partial_tp(rest=rows_flat(TP_LEVEL - 300, 30))
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "EXIT_PENDING")
    tp = sc.state.orders.live(OrderRole.TAKE_PROFIT)[0]
    sc.sim.faults.gap_next_events(1, types=(OrderUpdated,))

    sc.sim.cancel_elsewhere(tp.client_id)
    await sc.run_for(5 * SEC)

    assert fired(sc, "main", "EXIT_PENDING", "resynced", "IN_POSITION")
    assert sc.sim.ledger.contracts > 0 and sc.state.main.state == "IN_POSITION"
    sc.assert_invariants()


def _partial_tp(rest=None) -> Scenario:
    return Scenario(
        DIP + rows_flat(ENTRY_LEVEL, 2) + rows_move(ENTRY_LEVEL, TP_LEVEL + 5, 1)
        + (rest or rows_flat(TP_LEVEL + 5, 30)),
        tick_ms=SEC,
        volume=0.002,
        sim={"participation": 1.0},
        with_ws=True,
        config={"execution": {"maker_timeout_s": 600}},
    )  # fmt: skip


async def test_i4_f5_a_restart_from_flat_adopts_the_position_it_did_not_know():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 20), tick_ms=SEC)
    await sc.start()
    flat_doc = json.loads(json.dumps(sc.core.state.to_dict()))  # saved while still FLAT
    await until(sc, lambda: sc.state.stop.state == "ACTIVE")

    started = await start_core(
        sc.sim, sc.config, sc.now, saved=flat_doc, staleness=Staleness(mark_ms=2 * MIN)
    )
    sc.core = started.core
    sc.record_transitions()
    sc.driver = SimDriver(sc.core, sc.sim, sc.executor, on_outbox=sc._on_outbox, on_tick=sc._check)
    sc.driver.pending = list(started.startup_events)
    await sc.run_for(5 * SEC)

    assert fired(sc, "main", "FLAT", "resynced", "IN_POSITION")
    assert sc.state.stop.state == "ACTIVE"
    sc.assert_invariants()


# ------------------------------------------------------------------------------- stop_status
async def test_g6_a_fill_with_the_mark_already_past_the_stop_closes_at_once():
    # One candle falls through the entry level and the stop level: the resting buy fills at
    # its level and the mark is already beyond the trigger the stop would get.
    crash = rows_move(MARK0, STOP_LEVEL - 300, 1)
    sc = Scenario(rows_flat(MARK0, 1) + crash + rows_flat(STOP_LEVEL - 300, 5))
    await sc.start()

    await sc.run_for(4 * MIN)

    assert fired(sc, "stop_status", "NO_POSITION", "position_opened", "CLOSING")
    assert [c.spec.role for c in sc.commands(PlaceOrder, OrderRole.STOP)] == []
    assert len(sc.commands(PlaceOrder, OrderRole.CLOSE)) == 1 and sc.sim.ledger.contracts == 0
    sc.assert_invariants()


async def test_g6_a_stop_refused_for_the_wrong_side_closes_at_once():
    # The core's mark lags (its updates are lost from the fill on): the stop it places is
    # already on the wrong side of the exchange's mark; the exchange refuses it and the core
    # closes the position at market.
    crash = rows_move(MARK0, STOP_LEVEL - 300, 1)
    sc = Scenario(rows_flat(MARK0, 2) + crash + rows_flat(STOP_LEVEL - 300, 5))
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING", MIN)
    sc.sim.faults.drop_next_events(1_000, types=(MarkPriceUpdated,))

    await sc.run_for(4 * MIN)

    assert fired(sc, "stop_status", "PENDING", "trigger_refused", "CLOSING")
    assert len(sc.commands(PlaceOrder, OrderRole.STOP)) == 1  # refused, never retried
    assert sc.sim.ledger.contracts == 0


async def test_g8_a_stop_cancelled_before_it_was_ever_seen_is_missing_and_replaced():
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 10), tick_ms=SEC)
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING")
    sc.sim.faults.delay_next_events(3, 30 * SEC, types=(OrderUpdated,))  # fill, stop, TP
    await until(sc, lambda: sc.stop_cid() is not None)
    first = sc.stop_cid()
    assert sc.state.stop.state == "PENDING"

    sc.sim.cancel_elsewhere(first)
    await sc.run_for(2 * SEC)

    assert fired(sc, "stop_status", "PENDING", "stop_ended", "MISSING")
    await until(sc, lambda: sc.state.stop.state == "ACTIVE")
    assert sc.stop_cid() != first
    sc.assert_invariants()


async def test_g8_a_stop_never_confirmed_for_10_s_closes_and_halts():
    # The stop's own update is lost and its two 5-second lookups are refused (rate limits):
    # 10 s without an ACTIVE stop end in a reduce-only close and a manual HALT.
    sc = Scenario(DIP + rows_flat(ENTRY_LEVEL, 10), tick_ms=SEC)
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING")
    sc.sim.faults.drop_next_events(3, types=(OrderUpdated,))
    await until(sc, lambda: sc.stop_cid() is not None)
    await until(sc, lambda: sc.now - sc.state.stop_track.pending_since_ms >= 4 * SEC)
    sc.sim.faults.rate_limit_next_calls(1)
    await sc.run_for(5 * SEC)
    sc.sim.faults.rate_limit_next_calls(1)

    await sc.run_for(6 * SEC)

    assert fired(sc, "stop_status", "PENDING", "tick", "CLOSING")
    assert ReasonCode.STOP_UNRECOVERABLE in {h.reason for h in sc.halts()}
    sc.assert_invariants()


async def test_g9_the_position_closing_while_the_stop_is_pending_frees_the_stop_machine():
    # The stop's confirmation is late; the take-profit fills the whole position meanwhile.
    rows = DIP + rows_move(ENTRY_LEVEL, TP_LEVEL + 100, 1) + rows_flat(TP_LEVEL + 100, 5)
    sc = Scenario(rows)
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING", MIN)
    sc.sim.faults.drop_next_events(2, types=(OrderUpdated,))  # the fill's and the stop's

    await sc.run_for(5 * MIN)

    assert fired(sc, "stop_status", "PENDING", "position_gone", "NO_POSITION")
    assert sc.trades("TradeExitRecord")[0].exit_reason.value == "take_profit"


async def test_g9_the_position_closing_while_the_stop_is_missing_frees_the_stop_machine():
    rows = DIP + rows_flat(ENTRY_LEVEL, 2) + rows_move(ENTRY_LEVEL, TP_LEVEL + 100, 1)
    sc = Scenario(rows + rows_flat(TP_LEVEL + 100, 5), tick_ms=SEC)
    await sc.start()
    await until(sc, lambda: sc.state.stop.state == "ACTIVE")
    sc.sim.stall_events()
    sc.sim.cancel_elsewhere(sc.stop_cid())
    await until(sc, lambda: sc.sim.ledger.contracts == 0)  # the take-profit fills meanwhile
    sc.sim.resume_events()

    await sc.run_for(10 * SEC)

    assert fired(sc, "stop_status", "MISSING", "position_gone", "NO_POSITION")
    assert sc.state.stop.state == "NO_POSITION"


async def test_g9_the_position_closing_while_the_stop_is_in_error_frees_the_stop_machine():
    rows = DIP + rows_move(ENTRY_LEVEL, TP_LEVEL + 100, 1) + rows_flat(TP_LEVEL + 100, 5)
    sc = Scenario(rows)
    await sc.start()
    await until(sc, lambda: sc.state.main.state == "ENTRY_PENDING", MIN)
    sc.sim.faults.reject_next_orders(1, roles=frozenset({OrderRole.STOP}))

    await sc.run_for(5 * MIN)

    assert fired(sc, "stop_status", "PENDING", "stop_ended", "ERROR")
    assert fired(sc, "stop_status", "ERROR", "position_gone", "NO_POSITION")
    assert sc.trades("TradeExitRecord")[0].exit_reason.value == "take_profit"
