"""Attribution of a BTC-margined account's USD change (runner/reporting/attribution.py, A1)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from accountbuilder_runner.reporting.attribution import Attribution


def test_a1_price_and_trading_effects_by_hand():
    # B₀ 0.002 BTC at P₀ 50,000 ($100); B 0.0025 BTC at P 40,000 ($100): no USD change, but
    # the price cost B₀ × (40,000 − 50,000) = −$20 and trading made (0.0025 − 0.002) × 40,000 = +$20
    a = Attribution(D("0.002"), D("50000"), D("0.0025"), D("40000"))
    assert a.usd_change == 0
    assert a.price_effect_usd == D("-20") and a.trading_effect_usd == D("20")
    assert a.trading_pnl_btc == D("0.0005") and a.hold_btc_usd == D("80")
    assert a.share(a.price_effect_usd) is None  # no change to share


def test_a1_shares_sum_to_one_and_can_exceed_it():
    # $100 → 0.0019 × 70,000 = $133: price +0.002 × 20,000 = +$40, trading −0.0001 × 70,000 = −$7
    a = Attribution(D("0.002"), D("50000"), D("0.0019"), D("70000"))
    assert a.usd_change == D("33") and a.price_effect_usd == D("40")
    assert a.trading_effect_usd == D("-7")
    assert a.share(a.price_effect_usd) == D("40") / D("33")  # > 1: trading lost some of it
    total = a.share(a.price_effect_usd) + a.share(a.trading_effect_usd)
    assert abs(total - 1) < D("1e-25")  # 1 up to the division's 28 digits


def test_a1_the_json_keeps_exact_decimals():
    j = Attribution(D("0.00195598"), D("51125.14"), D("0.00200000"), D("52000.5")).to_json()
    assert D(j["price_effect_usd"]) + D(j["trading_effect_usd"]) == D(j["usd_change"])
    assert j["hold_btc_usd"] == str(D("0.00195598") * D("52000.5"))


SATS = st.integers(1, 10**9).map(lambda n: D(n) / 10**8)
PRICES = st.integers(100_000, 20_000_000).map(lambda n: D(n) / 100)


@given(SATS, PRICES, SATS, PRICES)
def test_a1_the_two_effects_sum_to_the_usd_change_exactly(b0, p0, b, p):
    a = Attribution(b0, p0, b, p)
    assert a.price_effect_usd + a.trading_effect_usd == a.usd_change
    assert a.usd == a.hold_btc_usd + a.trading_effect_usd
