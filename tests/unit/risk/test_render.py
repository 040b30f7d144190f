"""Rendering a decision: the gate table and the JSON object."""

from __future__ import annotations

import json
from decimal import Decimal as D

from tests.unit.risk.factories import make_context

from accountbuilder.domain.enums import MainState
from accountbuilder.risk.gates import GATE_ORDER, evaluate_entry
from accountbuilder.risk.render import decision_to_json, display, render_table

REQUIRED = (
    "accepted", "reason", "stage", "equity_usd", "max_loss_btc", "stop_distance_pct",
    "stop_price", "contracts", "required_margin_btc", "liq_price", "liq_distance_pct",
    "expected_profit_usd", "estimated_fee_usd",
)  # fmt: skip


def test_d_json_carries_every_required_figure_with_decimals_as_strings():
    out = json.loads(json.dumps(decision_to_json(evaluate_entry(make_context()))))

    assert set(REQUIRED) <= set(out)
    assert out["accepted"] is True and out["reason"] is None
    assert out["stage"] == "s1" and out["contracts"] == 212
    assert out["max_loss_btc"] == "0.00025" and out["stop_price"] == "38200"
    assert D(out["equity_usd"]) == 100
    assert [g["gate"] for g in out["gates"]] == list(GATE_ORDER)


def test_d_json_refusal_names_the_reason_and_skips_later_gates():
    out = decision_to_json(evaluate_entry(make_context(spacing="0.02")))

    assert out["reason"] == "MARGIN_INSUFFICIENT" and out["failed_gate"] == "margin"
    assert [g["result"] for g in out["gates"]][-3:] == ["skipped"] * 3
    assert out["liq_price"] is None


def test_d_table_lists_every_gate_and_the_verdict():
    text = render_table(evaluate_entry(make_context(main_state=MainState.COOLDOWN)))

    assert text.startswith("REFUSED at gate 'halt': COOLDOWN")
    for name in GATE_ORDER:
        assert f" {name} " in text
    assert "FAIL" in text


def test_d_table_headline_of_an_accepted_entry():
    text = render_table(evaluate_entry(make_context()))

    assert text.startswith("ACCEPTED: long 212 contracts @ 40000 (maker), stop 38200")


def test_d_display_rounds_to_ten_significant_digits():
    assert display(D("0.000249738219895287958115183246")) == "0.0002497382199"
    assert display(D("30131.070160")) == "30131.07016"
    assert display(D("1E+3")) == "1000"
    assert display(D("Infinity")) == "inf"
    assert display(D(0)) == "0"
