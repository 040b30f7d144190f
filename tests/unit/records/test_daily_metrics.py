"""Daily metrics roll-up (SPEC I3): trades, wins, PnL, fees, equity open/close, halts, rejects."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import ExitReason, HaltKind, Side
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.daily_metrics import (
    DailyMetrics,
    DailyRollup,
    EquitySample,
    roll_up,
    utc_day,
)
from accountbuilder.records.decision_log import DecisionRecord
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


def _losing_exit():
    # long 320 contracts 51200 -> stopped at 50000 (SPEC A2):
    # gross 320 x (1/51200 - 1/50000) = 320 x -0.00000046875 = -0.00015 BTC
    # fees: maker entry 320 x 0.0001 / 51200 = 0.000000625, taker stop 320 x 0.0006 / 50000
    #       = 0.00000384; together 0.000004465 BTC
    return replace(
        example_exit(T0 + 18 * H),
        client_id="sig2_long_sl1",
        entry_client_id="sig2_long_en1",
        contracts=320,
        entry_price=D(51200),
        exit_price=D(50000),
        gross_pnl_btc=D("-0.00015"),
        actual_fee_btc=D("0.000004465"),
        exit_reason=ExitReason.STOP,
    )


def _day_one_items():
    rejects = [example_rejection(T0 + 9 * H + i) for i in range(3)]
    vol = [
        DecisionRecord(T0 + 9 * H + 10 + i, False, ReasonCode.VOLATILITY_TOO_LOW) for i in range(2)
    ]
    return [
        EquitySample(T0 + 23 * H + 3_599_999, D("0.002495664390625"), D(50000)),  # fed first
        EquitySample(T0 + 5_000, D("0.0025"), D(50000)),
        EquitySample(T0 + 12 * H, D("0.0026"), D(51000)),
        *rejects,
        *vol,
        DecisionRecord(T0 + 10 * H - 1, True, None, contracts=323, side=Side.LONG),
        example_entry(),
        example_exit(),
        replace(example_entry(T0 + 15 * H), client_id="sig2_long_en1"),
        _losing_exit(),
        example_halt(T0 + 16 * H),
        replace(example_halt(T0 + 16 * H + 300_000), event=HaltEvent.COOLDOWN_STARTED),
        replace(example_halt(T0 + 20 * H), reason=ReasonCode.LATENCY_HIGH, kind=HaltKind.TEMPORARY),
        EquitySample(T0 + DAY_MS, D("0.0024"), D(50000)),  # 00:00:00 of the next day
    ]


def test_i3_daily_rollup_worked_example():
    day1, day2 = roll_up(_day_one_items())

    assert day1.day == "2024-03-01"
    assert (day1.entries, day1.trades, day1.wins, day1.losses) == (2, 2, 1, 1)
    # PnL after fees: 0.000150129390625 + (-0.00015 - 0.000004465) = -0.000004335609375 BTC
    assert day1.pnl_btc == D("-0.000004335609375")
    # USD at each exit price: 7.6866248 + (-0.000154465 x 50000 = -7.72325) = -0.0366252
    assert day1.pnl_usd == D("-0.0366252")
    # fees: 0.000001276859375 + 0.000004465 = 0.000005741859375 BTC
    assert day1.fees_btc == D("0.000005741859375")
    # two halts raised; the cooldown start is not a new halt
    assert day1.halts == 2
    assert day1.accepts == 1
    assert dict(day1.rejects_by_reason) == {"EV_TOO_LOW": 3, "VOLATILITY_TOO_LOW": 2}
    # open = earliest sample (00:00:05): 0.0025 BTC x 50000 = 125 USD
    assert (day1.equity_open_btc, day1.equity_open_usd) == (D("0.0025"), D("125"))
    # close = latest sample (23:59:59.999): 0.002495664390625 x 50000 = 124.78321953125 USD
    assert (day1.equity_close_btc, day1.equity_close_usd) == (
        D("0.002495664390625"),
        D("124.78321953125"),
    )
    assert day2.day == "2024-03-02"
    assert (day2.trades, day2.equity_open_btc, day2.equity_close_btc) == (
        0,
        D("0.0024"),
        D("0.0024"),
    )


def test_i3_utc_day_boundary():
    assert utc_day(T0 - 1) == "2024-02-29"
    assert utc_day(T0) == "2024-03-01"
    assert utc_day(T0 + DAY_MS - 1) == "2024-03-01"


def test_i3_daily_metrics_round_trip_through_dict():
    for day in roll_up(_day_one_items()):
        assert DailyMetrics.from_dict(day.to_dict()) == day


def test_i3_rollup_reports_only_the_days_changed_since_last_take():
    rollup = DailyRollup()
    rollup.add(example_exit())
    rollup.add(EquitySample(T0 + DAY_MS + 1, D("0.002"), D(50000)))

    first = rollup.take_changed()
    rollup.add(example_halt())
    second = rollup.take_changed()

    assert [m.day for m in first] == ["2024-03-01", "2024-03-02"]
    assert [(m.day, m.trades, m.halts) for m in second] == [("2024-03-01", 1, 1)]
    assert rollup.take_changed() == []


def test_i3_rollup_resumes_from_stored_days():
    stored = roll_up([example_exit()])

    rollup = DailyRollup(stored)
    rollup.add(_losing_exit())

    assert rollup.day("2024-03-01").trades == 2


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10 * DAY_MS),
            st.decimals(min_value=D("-0.001"), max_value=D("0.001"), places=9),
        ),
        max_size=60,
    )
)
def test_i3_rollup_totals_equal_the_sum_of_the_trades(trades):
    exits = [replace(example_exit(T0 + ts), gross_pnl_btc=g) for ts, g in trades]

    days = roll_up(exits)

    assert sum(d.trades for d in days) == len(exits)
    assert sum((d.pnl_btc for d in days), D(0)) == sum((e.pnl_btc for e in exits), D(0))
    assert sum(d.wins for d in days) == sum(e.is_win for e in exits)
    assert len({d.day for d in days}) == len(days)
