"""The report's CSV tables (runner/reporting/tables.py): SPEC I1 trades, I2 halts, decisions."""

from __future__ import annotations

import csv

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder.records.examples import example_entry, example_exit
from accountbuilder_runner.reporting.collector import ClosedTrade, DecisionRow
from accountbuilder_runner.reporting.tables import (
    DECISION_COLUMNS,
    TRADE_COLUMNS,
    decision_rows,
    halt_rows,
    trade_rows,
    write_csv,
)

T0 = 1_709_251_200_000  # 2024-03-01T00:00:00Z
MIN = 60_000
E = HaltLogEvent


def test_i1_trade_row_of_the_worked_example():
    # records.examples: S1 long 323 @ 50,000, TP 51,200; gross 0.00015140625 BTC, fees
    # 0.000001276859375 → pnl 0.000150129390625 BTC (rounded to 10 places: 0.0001501294)
    # = 7.6866248 USD at 51,200 (4 places: 7.6866)
    row = dict(
        zip(
            TRADE_COLUMNS,
            trade_rows([ClosedTrade(example_entry(), example_exit())])[0],
            strict=True,
        )
    )

    assert row["entry_ts"] == "2024-03-01T10:00:00Z" and row["exit_ts"] == "2024-03-01T14:00:00Z"
    assert (row["side"], row["contracts"], row["entry_stage"], row["leverage"]) == (
        "long",
        323,
        "s1",
        "3",
    )
    assert (row["entry_price"], row["stop_price"], row["exit_price"]) == (
        "50000.00",
        "48500.00",
        "51200.00",
    )
    assert row["max_loss_btc"] == "0.0002000000" and row["fee_btc"] == "0.0000012769"
    assert row["pnl_btc"] == "0.0001501294" and row["pnl_usd"] == "7.6866"
    assert (row["win"], row["exit_reason"]) == (1, "take_profit")


def test_i2_temporary_halt_row_has_its_cooldown_and_lift_times():
    # raised 00:00, calm 00:01, COOLDOWN 00:06 (5 calm minutes), lifted 00:36 (30 minutes)
    entries = [
        HaltLogEntry(T0, E.RAISED, ReasonCode.DROP_1M, HaltKind.TEMPORARY),
        HaltLogEntry(T0 + MIN, E.CALM_STARTED, ReasonCode.DROP_1M, HaltKind.TEMPORARY),
        HaltLogEntry(T0 + 6 * MIN, E.COOLDOWN_STARTED, ReasonCode.DROP_1M, HaltKind.TEMPORARY),
        HaltLogEntry(T0 + 36 * MIN, E.LIFTED, ReasonCode.DROP_1M, HaltKind.TEMPORARY),
    ]
    assert halt_rows(entries) == [
        (
            "2024-03-01T00:00:00Z",
            "DROP_1M",
            "temporary",
            "raised",
            "2024-03-01T00:36:00Z",
            "2024-03-01T00:06:00Z",
        ),
    ]


def test_e5_manual_halt_still_in_force_has_no_lift_time():
    entries = [
        HaltLogEntry(T0, E.RAISED, ReasonCode.EQUITY_BELOW_80, HaltKind.MANUAL),
        HaltLogEntry(T0 + MIN, E.RAISED, ReasonCode.DROP_1M, HaltKind.MANUAL),
    ]
    rows = halt_rows(entries)
    assert [r[1] for r in rows] == ["EQUITY_BELOW_80", "DROP_1M"]
    assert all(r[4] == "" and r[5] == "" for r in rows)


def test_e5_reset_lifts_every_reason_of_the_halt():
    entries = [
        HaltLogEntry(T0, E.RAISED, ReasonCode.DROP_1M, HaltKind.TEMPORARY),
        HaltLogEntry(T0 + MIN, E.ESCALATED, ReasonCode.EQUITY_BELOW_80, HaltKind.MANUAL),
        HaltLogEntry(T0 + 9 * MIN, E.RESET, ReasonCode.DROP_1M, HaltKind.MANUAL, who="a", why="b"),
    ]
    assert [r[4] for r in halt_rows(entries)] == ["2024-03-01T00:09:00Z"] * 2


def test_i3_decision_rows_write_the_run_count(tmp_path):
    run = DecisionRow(T0, T0 + 2 * MIN, False, "EV_TOO_LOW", "s1", 5, "long", count=3)
    path = tmp_path / "decisions.csv"

    write_csv(path, DECISION_COLUMNS, decision_rows([run]))

    text = path.read_bytes().decode()
    assert "\r" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert rows == [
        {
            "ts": "2024-03-01T00:00:00Z",
            "last_ts": "2024-03-01T00:02:00Z",
            "count": "3",
            "accepted": "0",
            "reason": "EV_TOO_LOW",
            "stage": "s1",
            "contracts": "5",
            "side": "long",
        }
    ]
