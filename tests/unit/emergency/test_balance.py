"""E3: a balance anomaly (equity <= 0, missing, non-numeric, invalid answer) is detected."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.emergency.balance import assess_balance, assess_snapshot, parse_amount

T0 = 1_700_000_000_000


def test_e3_clean_bybit_strings_become_a_snapshot():
    # Bybit sends strings: wallet 0.01, uPnL -0.00029413 -> equity 0.00970587 BTC.
    got = assess_balance(T0, "0.01", "-0.00029413", "BTC")

    assert got == AccountSnapshot(T0, D("0.01"), D("-0.00029413"), "BTC")
    assert got.equity_btc == D("0.00970587")


def test_e3_float_and_int_inputs_are_read_exactly():
    got = assess_balance(T0, 0.1, 0, " btc ")

    assert isinstance(got, AccountSnapshot)
    assert got.wallet_balance_btc == D("0.1")  # via repr, not the binary 0.1000000000000000055...
    assert got.unrealized_pnl_btc == D(0)


@pytest.mark.parametrize(
    ("wallet", "upnl", "field", "problem"),
    [
        (None, "0", "wallet_balance", "missing"),
        ("", "0", "wallet_balance", "missing"),
        ("   ", "0", "wallet_balance", "missing"),
        ("abc", "0", "wallet_balance", "non_numeric"),
        ("0.01", "1,5", "unrealized_pnl", "non_numeric"),
        ("NaN", "0", "wallet_balance", "not_finite"),
        (float("nan"), "0", "wallet_balance", "not_finite"),
        (float("inf"), "0", "wallet_balance", "not_finite"),
        (D("sNaN"), "0", "wallet_balance", "not_finite"),
        ("0.01", None, "unrealized_pnl", "missing"),
        (True, "0", "wallet_balance", "invalid_type"),
        ([0.01], "0", "wallet_balance", "invalid_type"),
        ("-0.01", "0.05", "wallet_balance", "negative"),
    ],
)
def test_e3_raw_value_anomalies(wallet, upnl, field, problem):
    got = assess_balance(T0, wallet, upnl, "BTC")

    assert isinstance(got, Denial)
    assert got.reason is ReasonCode.BALANCE_ANOMALY
    assert (got.figures["field"], got.figures["problem"]) == (field, problem)


@pytest.mark.parametrize(
    ("wallet", "upnl", "equity"),
    [
        ("0", "0", D(0)),  # empty account: equity 0
        ("0.01", "-0.01", D(0)),  # uPnL eats the wallet exactly: 0.01 - 0.01 = 0
        ("0.01", "-0.02", D("-0.01")),  # underwater: 0.01 - 0.02 = -0.01
    ],
)
def test_e3_equity_not_positive(wallet, upnl, equity):
    got = assess_balance(T0, wallet, upnl, "BTC")

    assert isinstance(got, Denial)
    assert got.figures["problem"] == "not_positive"
    assert got.figures["equity_btc"] == equity


@pytest.mark.parametrize(
    ("currency", "problem"),
    [
        ("USDT", "wrong_currency"),
        ("USD", "wrong_currency"),
        (None, "missing"),
        ("", "missing"),
        (1, "invalid_type"),
    ],
)
def test_e3_wrong_or_missing_currency(currency, problem):
    got = assess_balance(T0, "0.01", "0", currency)

    assert isinstance(got, Denial)
    assert (got.figures["field"], got.figures["problem"]) == ("currency", problem)


@pytest.mark.parametrize(
    ("equity", "problem"), [("", "missing"), ("x", "non_numeric"), ("-1", "not_positive")]
)
def test_e3_reported_equity_must_be_usable(equity, problem):
    got = assess_balance(T0, "0.01", "0", "BTC", equity=equity)

    assert isinstance(got, Denial)
    assert (got.figures["field"], got.figures["problem"]) == ("equity", problem)


def test_e3_typed_snapshot_is_checked_by_the_same_rules():
    nan = AccountSnapshot(T0, D("NaN"))
    usdt = AccountSnapshot(T0, D(50), currency="USDT")

    assert assess_snapshot(nan, T0).figures["problem"] == "not_finite"
    assert assess_snapshot(usdt, T0).figures["problem"] == "wrong_currency"
    assert assess_snapshot(None, T0).figures["problem"] == "missing"
    assert assess_snapshot(AccountSnapshot(T0, D("0.002")), T0) == AccountSnapshot(T0, D("0.002"))


def test_e3_parse_amount_denial_reads_like_a_reason():
    got = parse_amount("wallet_balance", "12abc")

    assert str(got) == "BALANCE_ANOMALY field=wallet_balance problem=non_numeric value='12abc'"
