"""Bybit rows and ccxt errors → domain values and typed errors (recorded/constructed payloads)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import ccxt
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
    Side,
    TimeInForce,
    TriggerDirection,
)
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit import mapping
from accountbuilder.records.redact import Redactor

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


def test_c5_position_row_with_exchange_liq_price():
    pos = mapping.position_from_row(PAYLOADS["position_rest"], 0)

    assert pos.side is Side.LONG and pos.contracts == 100
    assert pos.entry_price == Decimal("60000.00") and pos.liq_price == Decimal("54794.50")
    assert pos.leverage == Decimal(10) and pos.unrealized_pnl_btc == Decimal("0.00002732")


def test_c5_stream_position_row_uses_entry_price_and_flat_rows_have_no_side():
    row = PAYLOADS["ws_private"]["position"]["data"][0]
    assert mapping.position_from_row(row, 0).entry_price == Decimal(row["entryPrice"])

    flat = {**row, "size": "0", "side": "", "liqPrice": ""}
    pos = mapping.position_from_row(flat, 7)
    assert (pos.side, pos.contracts, pos.liq_price, pos.ts_ms) == (None, 0, None, 7)


def test_f7_position_idx_string_zero_is_kept_as_given():
    row = {**PAYLOADS["position_rest"], "positionIdx": "0"}
    assert mapping.position_from_row(row, 0).position_idx == "0"


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


def _ccxt_error(cls, code: int) -> Exception:
    return cls(f'bybit {{"retCode":{code},"retMsg":"x","result":{{}},"time":1}}')


@pytest.mark.parametrize(
    ("error", "mutation", "expected"),
    [
        (_ccxt_error(ccxt.InvalidOrder, 110072), True, E.DuplicateClientId),
        (_ccxt_error(ccxt.InvalidOrder, 110092), True, E.TriggerWrongSide),
        (_ccxt_error(ccxt.InvalidOrder, 110093), True, E.TriggerWrongSide),
        (_ccxt_error(ccxt.InvalidOrder, 110017), True, E.ReduceOnlyViolation),
        (_ccxt_error(ccxt.OrderNotFound, 110001), True, E.OrderNotFound),
        (_ccxt_error(ccxt.InvalidOrder, 110008), True, E.OrderNotFound),
        (_ccxt_error(ccxt.InsufficientFunds, 110007), True, E.InsufficientBalance),
        (_ccxt_error(ccxt.RateLimitExceeded, 10006), True, E.RateLimited),
        (ccxt.RateLimitExceeded("bybit 403 access too frequent"), False, E.RateLimited),
        (_ccxt_error(ccxt.InvalidNonce, 10002), True, E.AuthError),
        (_ccxt_error(ccxt.AuthenticationError, 10003), False, E.AuthError),
        (_ccxt_error(ccxt.PermissionDenied, 10005), True, E.AuthError),
        (ccxt.RequestTimeout("bybit POST /v5/order/create"), True, E.OutcomeUnknown),
        (ccxt.RequestTimeout("bybit GET /v5/position/list"), False, E.ExchangeUnavailable),
        (ccxt.ExchangeNotAvailable("bybit connection reset"), True, E.OutcomeUnknown),
        (ccxt.ExchangeError('bybit {"retMsg":"no code"}'), False, E.MalformedResponse),
        (ValueError("could not convert string to float: 'NaN'"), False, E.MalformedResponse),
        (_ccxt_error(ccxt.BadRequest, 10001), True, E.Rejected),
        (_ccxt_error(ccxt.BadRequest, 110043), True, E.Rejected),
    ],
)
def test_f1_g2_errors_map_in_one_place(error, mutation, expected):
    got = mapping.translate_error(error, mutation=mutation, redact=no_secret)

    assert type(got) is expected
    assert got.code == mapping.ret_code(error)


def test_i4_error_text_is_redacted():
    error = ccxt.AuthenticationError('bybit {"retCode":10003,"apiKey":"S3CR3T"}')

    got = mapping.translate_error(error, mutation=False, redact=no_secret)

    assert "S3CR3T" not in str(got) and "***" in str(got)


# ---------------------------------------------------------------------------- properties
SECRETS = st.text(
    alphabet=st.characters(codec="ascii", exclude_characters="*"), min_size=4, max_size=40
).filter(lambda s: s.strip() == s and s)


@given(secret=SECRETS, before=st.text(max_size=30), after=st.text(max_size=30))
def test_i4_no_secret_survives_error_translation(secret, before, after):
    error = ccxt.AuthenticationError(f'bybit {{"retCode":10003,"x":"{before}{secret}{after}"}}')

    got = mapping.translate_error(error, mutation=True, redact=Redactor([secret]))

    assert secret not in str(got)


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
