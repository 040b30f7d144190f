"""Parsing the ``evaluate`` what-if input: defaults, history, and errors that name the field."""

from __future__ import annotations

import copy
from decimal import Decimal as D

import pytest
from tests.unit.risk.factories import CONFIG, NOW

from accountbuilder.domain.enums import Liquidity, MainState, Side, Stage
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.gates import evaluate_entry
from accountbuilder.risk.whatif import WhatIfError, parse_whatif

BASE = {
    "account": {"wallet_balance_btc": "0.0025", "unrealized_pnl_btc": "0", "leverage": 3},
    "market": {
        "mark_price": "40000",
        "atr_pct_24h": "0.045",
        "tick_size": "0.5",
        "qty_step": 1,
        "min_qty": 1,
        "maintenance_margin_rate": "0.005",
    },
    "signal": {"side": "long", "entry_price": "40000", "grid_spacing_pct": "0.03"},
    "history": {
        "closed_trades": [],
        "backtest_winrate": "0.6",
        "trades_today": 0,
        "stage_changes_last_hour": 0,
        "size_multiplier": "1.0",
        "blocks": [],
    },
    "fees": {"maker": "0.0001", "taker": "0.0006"},
}


def _with(path: str, value):
    data = copy.deepcopy(BASE)
    *parents, key = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    if value is KeyError:
        node.pop(key)
    else:
        node[key] = value
    return data


def _parse(data):
    return parse_whatif(data, CONFIG, NOW)


def test_d_whatif_base_input_builds_the_context():
    ctx = _parse(BASE)

    assert ctx.now_ms == NOW and ctx.account.wallet_balance_btc == D("0.0025")
    assert ctx.market.mark_price == D(40000) and ctx.market.ts_ms == NOW
    assert ctx.instrument.risk_tiers[0].maintenance_margin_rate == D("0.005")
    assert ctx.signal.side is Side.LONG and ctx.signal.liquidity is Liquidity.MAKER
    assert ctx.leverage_in_force == D(3) and ctx.main_state is MainState.FLAT
    assert evaluate_entry(ctx).accepted


def test_d_whatif_floats_are_read_exactly():
    ctx = _parse(_with("market.atr_pct_24h", 0.045))

    assert ctx.market.atr_pct_24h == D("0.045")


def test_d_whatif_defaults_entry_to_mark_and_fees_to_config():
    data = _with("signal.entry_price", KeyError)
    data.pop("fees")
    ctx = _parse(data)

    assert ctx.signal.entry_price == D(40000)
    assert (ctx.fees.maker, ctx.fees.taker) == (CONFIG.risk.maker_fee, CONFIG.risk.taker_fee)


def test_c6_whatif_null_mmr_means_no_liquidation_estimate():
    ctx = _parse(_with("market.maintenance_margin_rate", None))

    assert ctx.instrument.risk_tiers == ()
    assert evaluate_entry(ctx).liq_estimated is False


def test_d4_whatif_closed_trades_feed_the_win_rate():
    trades = ["win"] * 13 + ["loss"] * 16 + ["-0.00001"]  # N = 30, 13 wins = 43%
    d = evaluate_entry(_parse(_with("history.closed_trades", trades)))

    assert d.reason is ReasonCode.WINRATE_HARD_GATE


def test_b5_whatif_three_stage_changes_refuse():
    d = evaluate_entry(_parse(_with("history.stage_changes_last_hour", 3)))

    assert d.reason is ReasonCode.ANTI_FLAP


def test_b5_whatif_two_changes_and_a_new_stage_refuse():
    data = _with("history.stage_changes_last_hour", 2)
    data["history"]["last_stage"] = "s2"  # now S1: the third change

    assert evaluate_entry(_parse(data)).reason is ReasonCode.ANTI_FLAP


def test_d6_whatif_block_with_minutes_left_refuses():
    d = evaluate_entry(
        _parse(_with("history.blocks", [{"reason": "taker_failure", "minutes_left": 30}]))
    )

    assert d.reason is ReasonCode.BLOCKED
    assert d.denial.figures["until_ms"] == NOW + 30 * 60_000


def test_d8_whatif_fee_spike_hours_left_raises_k():
    d = evaluate_entry(_parse(_with("history.fee_spike_hours_left", 5)))

    assert d.accepted and d.k == D("3.0")


def test_h2_whatif_account_age_and_peak_give_the_review_warning():
    data = _with("history.account_age_days", 400)
    data["history"]["peak_equity_usd"] = "150"

    assert ReasonCode.STRATEGY_REVIEW_REQUIRED in evaluate_entry(_parse(data)).warnings


def test_d7_whatif_position_and_state():
    data = copy.deepcopy(BASE)
    data["position"] = {"side": "short", "contracts": 50, "entry_price": "41000"}
    data["state"] = {"main": "in_position"}
    ctx = _parse(data)

    assert ctx.position.side is Side.SHORT and ctx.position.entry_stage is Stage.S1
    assert evaluate_entry(ctx).reason is ReasonCode.POSITION_OPEN


def test_d_whatif_now_ms_in_the_input_wins():
    data = copy.deepcopy(BASE)
    data["now_ms"] = NOW + 5

    assert _parse(data).now_ms == NOW + 5


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("market.mark_price", "-1", "market.mark_price: -1 must be > 0"),
        ("market.mark_price", KeyError, "market.mark_price: is required"),
        ("market.mark_price", "abc", "market.mark_price: 'abc' is not a number"),
        ("market.mark_price", True, "market.mark_price: True is not a number"),
        ("market.mark_price", "NaN", "market.mark_price: 'NaN' is not a finite number"),
        ("account.wallet_balance_btc", None, "account.wallet_balance_btc: is required"),
        ("account.wallet_balance_btc", "-0.1", "account.wallet_balance_btc: -0.1 must be >= 0"),
        ("account.leverage", "0", "account.leverage: 0 must be > 0"),
        ("market.qty_step", "1.5", "market.qty_step: '1.5' is not a whole number"),
        ("market.tick_size", 0, "market.tick_size: 0 must be > 0"),
        ("signal.side", "up", "signal.side: 'up' is not one of long, short"),
        ("signal.entry_price", "0", "signal.entry_price: 0 must be > 0"),
        ("signal.order_type", "fok", "signal.order_type: 'fok' is not one of maker, taker"),
        ("history.size_multiplier", "2", "history.size_multiplier: 2 must be <= 1.0"),
        ("history.backtest_winrate", "1.2", "history.backtest_winrate: 1.2 must be <= 1"),
        ("history.closed_trades", "many", "history.closed_trades: must be a list"),
        ("history.closed_trades", ["win", "x"], "history.closed_trades[1]: 'x' is not a number"),
        ("history.blocks", [{"reason": "nap"}], "history.blocks[0].reason: 'nap' is not one of"),
        ("fees.taker", "-0.1", "fees.taker: -0.1 must be >= 0"),
        ("market.colour", "red", "market.colour: unknown key (allowed: mark_price"),
    ],
)
def test_d_whatif_bad_value_names_the_field(path, value, message):
    with pytest.raises(WhatIfError) as err:
        _parse(_with(path, value))

    assert str(err.value).startswith(message)


@pytest.mark.parametrize("section", ["account", "market", "signal"])
def test_d_whatif_missing_section_is_named(section):
    data = copy.deepcopy(BASE)
    data.pop(section)

    with pytest.raises(WhatIfError, match=f"^{section}: is required"):
        _parse(data)


def test_d_whatif_input_must_be_a_mapping():
    with pytest.raises(WhatIfError, match="^input: must be a mapping"):
        _parse(["not", "a", "mapping"])


def test_c1_whatif_non_positive_spacing_is_a_refusal_not_bad_input():
    d = evaluate_entry(_parse(_with("signal.grid_spacing_pct", "-0.01")))

    assert d.reason is ReasonCode.STOP_DISTANCE_INVALID
