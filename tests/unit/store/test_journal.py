"""Trade log (SPEC I1), halt log (SPEC I2) and daily metrics (SPEC I3) in the store."""

from __future__ import annotations

from dataclasses import replace

from accountbuilder.domain.enums import ExitReason, HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.daily_metrics import roll_up
from accountbuilder.records.examples import (
    DAY_MS,
    T0,
    example_entry,
    example_exit,
    example_halt,
    example_rejection,
)
from accountbuilder.records.halt_log import HaltEvent

H = 3_600_000


def test_i1_trades_of_a_day_read_back_as_records(store):
    store.record_trade(example_entry())
    store.record_trade(example_exit())
    store.record_trade(replace(example_entry(T0 + DAY_MS + H), client_id="next_day_long_en1"))

    today = store.trades_on_day("2024-03-01")

    assert today == [example_entry(), example_exit()]
    assert [t.client_id for t in store.trades_on_day("2024-03-02")] == ["next_day_long_en1"]


def test_i1_trades_between_uses_half_open_interval(store):
    store.record_trade(example_entry())  # 10:00
    store.record_trade(example_exit())  # 14:00

    assert store.trades_between(T0 + 10 * H, T0 + 14 * H) == [example_entry()]


def test_i1_the_same_trade_record_is_stored_once(store):
    assert store.record_trade(example_exit()) is True

    assert store.record_trade(replace(example_exit(), ts_ms=T0 + 15 * H)) is False

    assert store.trades_on_day("2024-03-01") == [example_exit()]


def test_i2_halt_record_reads_back_with_its_context(store):
    store.record_halt(example_halt())

    (halt,) = store.recent_halts()

    assert halt == example_halt()
    assert halt.context["market"] == {"mark_price": "44750", "high_1m": "50000"}


def test_i2_open_halts_are_the_raises_since_the_last_end(store):
    drop = example_halt(T0)
    equity = replace(drop, ts_ms=T0 + 1, reason=ReasonCode.EQUITY_BELOW_80, kind=HaltKind.MANUAL)
    escalate = replace(equity, ts_ms=T0 + 2, event=HaltEvent.ESCALATED)
    for record in (drop, equity, escalate):
        store.record_halt(record)

    assert store.open_halts() == [drop, equity, escalate]

    store.record_halt(
        replace(
            drop,
            ts_ms=T0 + 3,
            event=HaltEvent.RESET,
            kind=HaltKind.MANUAL,
            who="alice",
            why="deposit",
        )
    )

    assert store.open_halts() == []  # a reset ends the HALT with all its reasons


def test_i2_a_cooldown_start_ends_the_halt_and_a_new_raise_opens_one(store):
    store.record_halt(example_halt(T0))
    store.record_halt(replace(example_halt(T0 + 1), event=HaltEvent.CALM_STARTED))
    assert len(store.open_halts()) == 1

    store.record_halt(replace(example_halt(T0 + 2), event=HaltEvent.COOLDOWN_STARTED))
    assert store.open_halts() == []

    latency = replace(example_halt(T0 + 3), reason=ReasonCode.LATENCY_HIGH)
    store.record_halt(latency)
    assert store.open_halts() == [latency]


def test_i2_recent_halts_are_newest_first_and_limited(store):
    for t in range(5):
        store.record_halt(example_halt(T0 + t))

    assert [h.ts_ms for h in store.recent_halts(3)] == [T0 + 4, T0 + 3, T0 + 2]


def test_i3_daily_metrics_are_upserted_by_day(store):
    store.upsert_daily_metrics(roll_up([example_entry(), example_rejection()]), T0 + 11 * H)
    later = roll_up([example_entry(), example_rejection(), example_exit(), example_halt()])

    store.upsert_daily_metrics(later, T0 + 17 * H)

    (day,) = store.daily_metrics()
    assert day == later[0]
    assert (day.trades, day.wins, day.halts, day.rejects) == (1, 1, 1, 1)


def test_i3_daily_metrics_last_n_days_oldest_first(store):
    exits = [replace(example_exit(T0 + d * DAY_MS), client_id=f"d{d}_long_tp1") for d in range(5)]
    store.upsert_daily_metrics(roll_up(exits), T0 + 5 * DAY_MS)

    assert [m.day for m in store.daily_metrics(last=2)] == ["2024-03-04", "2024-03-05"]
    assert [m.day for m in store.daily_metrics(day="2024-03-02")] == ["2024-03-02"]
    assert len(store.daily_metrics()) == 5


def test_i1_exits_without_a_client_id_of_different_trades_are_both_kept(store):
    # a liquidation has no client order id of ours (SPEC E6)
    liq = replace(example_exit(), client_id="", order_id="", exit_reason=ExitReason.LIQUIDATION)

    assert store.record_trade(liq) is True
    assert store.record_trade(replace(liq, signal_id="other", ts_ms=T0 + 15 * H)) is True
    assert len(store.trades_on_day("2024-03-01")) == 2
