"""Trade log records (SPEC I1): one per entry, one per exit, with every field SPEC names."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.inverse import pnl_btc
from accountbuilder.records.examples import example_entry, example_exit
from accountbuilder.records.trade_log import (
    TradeEntryRecord,
    TradeExitRecord,
    trade_from_dict,
)


def test_i1_entry_record_carries_ids_prices_stage_equity_budget_and_fees():
    d = example_entry().to_dict()

    assert d["record"] == "trade_entry"
    for key in ("signal_id", "client_id", "order_id", "stop_client_id", "tp_client_id"):
        assert d[key]
    assert (d["side"], d["contracts"], d["stage"], d["leverage"]) == ("long", 323, "s1", "3")
    assert (d["entry_price"], d["stop_price"], d["take_profit_price"]) == (
        "50000",
        "48500",
        "51200",
    )
    assert (d["equity_btc"], d["equity_usd"], d["max_loss_btc"]) == ("0.0025", "125.0000", "0.0002")
    # maker fee 323 x 0.0001 = 0.0323 USD = 0.0323 / 50000 = 0.000000646 BTC (SPEC A3)
    assert (d["estimated_fee_usd"], D(d["estimated_fee_btc"])) == ("0.0323", D("0.000000646"))
    assert D(d["actual_fee_btc"]) == D("0.000000646")


def test_i1_exit_record_worked_example_pnl_after_fees():
    record = example_exit()

    # gross: 323 x (1/50000 - 1/51200) = 323 x 0.00000046875 = 0.00015140625 BTC (SPEC A2)
    assert record.gross_pnl_btc == D("0.00015140625")
    assert record.gross_pnl_btc == pnl_btc(record.side, 323, D(50000), D(51200))
    # fees: 0.000000646 + 0.000000630859375 = 0.000001276859375 BTC
    # net:  0.00015140625 - 0.000001276859375 = 0.000150129390625 BTC
    assert record.pnl_btc == D("0.000150129390625")
    # USD at the exit price: 0.000150129390625 x 51200 = 7.6866248
    assert record.pnl_usd == D("7.6866248")
    assert record.is_win


def test_i1_exit_record_dict_has_pnl_btc_usd_win_and_exit_reason():
    d = example_exit().to_dict()

    assert d["record"] == "trade_exit"
    assert (d["pnl_btc"], D(d["pnl_usd"]), d["win"]) == ("0.000150129390625", D("7.6866248"), True)
    assert (d["exit_reason"], d["exit_price"], d["entry_client_id"]) == (
        "take_profit",
        "51200",
        example_entry().client_id,
    )


def test_h1_gross_profit_eaten_by_fees_is_not_a_win():
    # gross +0.000001 BTC, fees 0.000001276859375 BTC -> net -0.000000276859375 BTC
    record = replace(example_exit(), gross_pnl_btc=D("0.000001"))

    assert record.pnl_btc == D("-0.000000276859375")
    assert not record.is_win


def test_h1_zero_pnl_after_fees_is_not_a_win():
    record = replace(example_exit(), gross_pnl_btc=D("0.000001276859375"))

    assert record.pnl_btc == 0
    assert not record.is_win


def test_h1_funding_paid_turns_a_small_gross_win_into_a_loss_as_d4_counts_it():
    # gross +0.000002 BTC, fees 0.000001276859375 BTC, funding paid -0.000001 BTC
    # net: 0.000002 - 0.000001276859375 - 0.000001 = -0.000000276859375 BTC -> not a win
    record = replace(example_exit(), gross_pnl_btc=D("0.000002"), funding_btc=D("-0.000001"))

    assert record.pnl_btc == D("-0.000000276859375")
    assert not record.is_win
    assert trade_from_dict(record.to_dict()) == record  # funding survives the round trip


def test_h1_funding_received_counts_toward_the_pnl():
    # gross 0, fees 0.000001276859375, funding +0.000002 -> net +0.000000723140625 BTC
    record = replace(example_exit(), gross_pnl_btc=D(0), funding_btc=D("0.000002"))

    assert record.pnl_btc == D("0.000000723140625")
    assert record.is_win


@pytest.mark.parametrize("contracts", [0, -1, True])
def test_a2_trade_record_refuses_contracts_below_one(contracts):
    with pytest.raises(ValueError, match="contracts"):
        replace(example_entry(), contracts=contracts)


def test_i1_trade_record_refuses_a_non_positive_price():
    with pytest.raises(ValueError, match="exit_price"):
        replace(example_exit(), exit_price=D(0))


@given(
    gross=st.decimals(min_value=-1, max_value=1, places=12),
    fee=st.decimals(min_value=D("-0.0001"), max_value=D("0.001"), places=15),
    contracts=st.integers(min_value=1, max_value=10_000_000),
)
def test_i1_exit_record_round_trips_through_its_dict(gross, fee, contracts):
    record = replace(example_exit(), gross_pnl_btc=gross, actual_fee_btc=fee, contracts=contracts)

    back = trade_from_dict(record.to_dict())

    assert back == record
    assert back.pnl_btc == gross - fee


def test_i1_entry_record_round_trips_through_its_dict():
    record = example_entry()

    assert TradeEntryRecord.from_dict(record.to_dict()) == record
    assert trade_from_dict(record.to_dict()) == record


def test_i1_exit_from_dict_refuses_a_pnl_that_does_not_match_its_parts():
    d = example_exit().to_dict()
    d["pnl_btc"] = "0.5"

    with pytest.raises(ValueError, match="pnl_btc"):
        TradeExitRecord.from_dict(d)


def test_i1_trade_from_dict_refuses_other_records():
    with pytest.raises(ValueError, match="not a trade record"):
        trade_from_dict({"record": "halt"})
