"""Position rows: believed only when well-formed, never read as "flat" otherwise (SPEC E3, F7)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from accountbuilder.domain.enums import Side
from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit import positions

PAYLOADS = json.loads((Path(__file__).parent / "payloads.json").read_text())
REST_ROW = PAYLOADS["position_rest"]


def test_c5_position_row_with_exchange_liq_price():
    pos = positions.position_from_row(PAYLOADS["position_rest"], 0)

    assert pos.side is Side.LONG and pos.contracts == 100
    assert pos.entry_price == Decimal("60000.00") and pos.liq_price == Decimal("54794.50")
    assert pos.leverage == Decimal(10) and pos.unrealized_pnl_btc == Decimal("0.00002732")


def test_c5_stream_position_row_uses_entry_price_and_flat_rows_have_no_side():
    row = PAYLOADS["ws_private"]["position"]["data"][0]
    assert positions.position_from_row(row, 0).entry_price == Decimal(row["entryPrice"])

    flat = {**row, "size": "0", "side": "", "liqPrice": ""}
    pos = positions.position_from_row(flat, 7)
    assert (pos.side, pos.contracts, pos.liq_price, pos.ts_ms) == (None, 0, None, 7)


def test_f7_position_idx_string_zero_is_kept_as_given():
    row = {**PAYLOADS["position_rest"], "positionIdx": "0"}
    assert positions.position_from_row(row, 0).position_idx == "0"


def test_e3_flat_only_from_a_well_formed_btcusd_row_of_size_zero():
    flat = {**REST_ROW, "size": "0", "side": "", "avgPrice": "0", "liqPrice": ""}

    (row,) = positions.btcusd_rows({"list": [{**flat, "symbol": "ETHUSD"}, flat]})

    assert positions.position_from_row(row, 0).contracts == 0
    assert positions.position_from_row({**flat, "side": "None"}, 0).side is None  # older answers


@pytest.mark.parametrize(
    ("result", "why"),
    [
        ({"list": None}, "not a list"),
        ({}, "not a list"),
        ({"list": []}, "no BTCUSD row"),
        (
            {"list": [{**REST_ROW, "symbol": "BTCUSDT"}, {**REST_ROW, "symbol": "ETHUSD"}]},
            "no BTCUSD row",
        ),
    ],
)
def test_e3_a_position_list_that_cannot_be_the_position_is_malformed(result, why):
    with pytest.raises(E.MalformedResponse, match=why):
        positions.btcusd_rows(result)


@pytest.mark.parametrize(
    "change",
    [
        {"size": "NaN"},
        {"size": "abc"},
        {"size": "-5"},
        {"size": "10.5"},
        {"side": "Long"},  # not Bybit's Buy/Sell
        {"side": ""},  # a size without a side
        {"size": "0", "side": "Buy"},  # a side without a size
        {"positionIdx": "x"},
        {"liqPrice": "NaN"},
        {"avgPrice": "abc"},
    ],
)
def test_e3_a_btcusd_row_with_impossible_figures_is_malformed(change):
    with pytest.raises(E.MalformedResponse):
        positions.position_from_row({**REST_ROW, **change}, 0)
