"""The account the bot trades from: UTA 2.0 only, and other positions named (issue 16 §5)."""

from __future__ import annotations

import pytest

from accountbuilder.domain.enums import MarginMode
from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit.account import assess_account, other_positions

INFO = {"marginMode": "ISOLATED_MARGIN", "unifiedMarginStatus": 6}


@pytest.mark.parametrize("status", [5, 6, "6"])
def test_c5_uta_2_is_accepted_with_its_margin_mode(status):
    mode = assess_account({**INFO, "unifiedMarginStatus": status})

    assert mode.unified_margin_status == int(status) and mode.margin_mode is MarginMode.ISOLATED


@pytest.mark.parametrize(("status", "named"), [(1, "classic"), (3, "UTA 1.0"), (4, "UTA 1.0"), (9, "unknown")])  # fmt: skip
def test_issue16_other_account_modes_are_refused_with_what_to_do(status, named):
    with pytest.raises(E.UnsupportedAccount, match=named) as refused:
        assess_account({**INFO, "unifiedMarginStatus": status})

    assert "UTA 2.0" in str(refused.value)


@pytest.mark.parametrize("status", [None, "", "abc", True])
def test_e3_an_unreadable_account_mode_is_malformed(status):
    with pytest.raises(E.MalformedResponse):
        assess_account({**INFO, "unifiedMarginStatus": status})


def test_c5_other_positions_are_named_btcusd_inverse_and_flat_rows_are_not():
    rows = [
        {"symbol": "BTCUSD", "side": "Buy", "size": "300"},  # the bot's own
        {"symbol": "ETHUSD", "side": "Sell", "size": "20"},
        {"symbol": "XRPUSD", "side": "", "size": "0"},
    ]

    assert other_positions("inverse", rows) == ["inverse ETHUSD Sell 20"]
    assert other_positions("linear", [{**rows[0], "symbol": "BTCUSDT", "size": "0.5"}]) == [
        "linear BTCUSDT Buy 0.5"
    ]
