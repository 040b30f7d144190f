"""Bybit rows → domain values (recorded/constructed payloads); positions and errors: own files."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import (
    Liquidity,
    MarginMode,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TriggerDirection,
)
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit import mapping

PAYLOADS = json.loads((Path(__file__).parent / "payloads.json").read_text())


def no_secret(text: str) -> str:
    return text.replace("S3CR3T", "***")


def test_g3_post_only_cancelled_for_taking_liquidity_is_a_rejection():
    order = mapping.order_from_row(PAYLOADS["order_post_only_cancelled"])

    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason == "EC_PostOnlyWillTakeLiquidity"
    assert order.time_in_force is TimeInForce.POST_ONLY and order.filled_qty == 0


def test_g6_open_limit_and_untriggered_stop_rows():
    entry, stop = (mapping.order_from_row(r) for r in PAYLOADS["orders_open"])

    assert (entry.status, entry.order_type, entry.side) == (OrderStatus.NEW, OrderType.LIMIT, OrderSide.BUY)  # fmt: skip
    assert entry.price == Decimal("60000.00") and entry.reject_reason == ""  # EC_NoError → ""
    assert entry.role is OrderRole.ENTRY  # a foreign id ("my-id-1"): guessed from its shape
    assert stop.status is OrderStatus.UNTRIGGERED and stop.role is OrderRole.STOP
    assert stop.trigger_price == Decimal("55000.00")
    assert stop.trigger_direction is TriggerDirection.FALLING and stop.reduce_only
    assert stop.price is None  # "0" on a market order means none


def test_g1_our_client_ids_give_the_role():
    row = {**PAYLOADS["orders_open"][0], "orderLinkId": "3f9a1c2b7d4e0a1b2c3d_L_tp2"}
    assert mapping.order_from_row(row).role is OrderRole.TAKE_PROFIT


def test_g10_execution_keeps_the_real_exec_fee():
    fill = mapping.fill_from_row(PAYLOADS["execution"])

    # 100 contracts at 60,000 as maker at 0.02 %: 100 / 60,000 × 0.0002 = 0.000000333 → 33 sat
    assert fill.fee_btc == Decimal("0.00000033") and fill.fee_rate == Decimal("0.0002")
    assert fill.liquidity is Liquidity.MAKER and fill.qty == 100
    assert fill.price == Decimal("60000.00") and fill.ts_ms == 1_700_000_000_400


def test_a1_e3_wallet_entry_and_its_anomalies():
    entry = PAYLOADS["wallet_entry"]
    account = mapping.account_from_wallet(entry, 5)
    assert account.wallet_balance_btc == Decimal("0.01")
    assert account.equity_btc == Decimal("0.01002732")  # A1: wallet + uPnL

    broken = copy.deepcopy(entry)
    broken["coin"][0]["walletBalance"] = "NaN"
    denial = mapping.account_from_wallet(broken, 5)
    assert isinstance(denial, Denial) and denial.reason is ReasonCode.BALANCE_ANOMALY
    no_btc = {**entry, "coin": []}
    assert isinstance(mapping.account_from_wallet(no_btc, 5), Denial)


def test_c5_risk_limit_percent_units_are_detected():
    row = PAYLOADS["risk_limit_row"]  # docs: maintenanceMargin "0.5", initialMargin "1", 100x

    (tier,) = mapping.risk_tiers([row], Decimal(60_000))
    # initialMargin 1 = 100 / maxLeverage 100 → percent: MMR 0.5 % = 0.005
    assert tier.maintenance_margin_rate == Decimal("0.005")
    assert tier.initial_margin_rate == Decimal("0.01")
    assert tier.limit_contracts == 150 * 60_000  # 150 BTC at 60,000 in contracts (USD)
    fraction = {**row, "maintenanceMargin": "0.005", "initialMargin": "0.01"}
    assert mapping.risk_tiers([fraction], Decimal(60_000))[0].maintenance_margin_rate == Decimal("0.005")  # fmt: skip


def test_c3_instrument_filters():
    inst = mapping.instrument_from(
        PAYLOADS["instrument"],
        (),
    )

    assert inst.tick_size == Decimal("0.50") and inst.qty_step == 1
    assert (inst.min_qty, inst.max_qty) == (1, 1_000_000)
    with pytest.raises(E.MalformedResponse):
        mapping.instrument_from({**PAYLOADS["instrument"], "symbol": "BTCUSDT"}, ())


def test_c5_margin_mode_from_account_info():
    assert mapping.margin_mode({"marginMode": "ISOLATED_MARGIN"}) is MarginMode.ISOLATED
    assert mapping.margin_mode({"marginMode": "REGULAR_MARGIN"}) is MarginMode.CROSS
    with pytest.raises(E.MalformedResponse):
        mapping.margin_mode({})


@pytest.mark.parametrize("bad", ["", "NaN", "abc", None, "Infinity"])
def test_e3_required_numbers_refuse_missing_and_non_numeric(bad):
    with pytest.raises(E.MalformedResponse, match="execPrice"):
        mapping.fill_from_row({**PAYLOADS["execution"], "execPrice": bad})


# ---------------------------------------------------------------------------- properties
@given(
    max_leverage=st.integers(min_value=1, max_value=200),
    mmr_bp=st.integers(min_value=10, max_value=2_000),  # 0.1 % .. 20 %
)
def test_c5_risk_tier_units_read_the_same_in_percent_or_fraction(max_leverage, mmr_bp):
    mmr = Decimal(mmr_bp) / 10_000
    im = Decimal(1) / max_leverage
    base = {"riskLimitValue": "150", "maxLeverage": str(max_leverage), "mmDeduction": ""}
    percent = {**base, "maintenanceMargin": str(mmr * 100), "initialMargin": str(im * 100)}
    fraction = {**base, "maintenanceMargin": str(mmr), "initialMargin": str(im)}

    (a,) = mapping.risk_tiers([percent], Decimal(50_000))
    (b,) = mapping.risk_tiers([fraction], Decimal(50_000))

    assert a.maintenance_margin_rate == b.maintenance_margin_rate == mmr
