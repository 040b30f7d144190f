"""Why no trades (runner/reporting/why.py): refusals by gate in SPEC D's order, the binding
constraint in words with its figures."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.domain.enums import Side, Stage
from accountbuilder.domain.reasons import ReasonCode as R
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder_runner.reporting.why import (
    GATE_CHAIN,
    RefusalLog,
    refusals_by_gate,
    why_no_trades,
)


def refused(ts: int, reason: R, **figures) -> DecisionRecord:
    return DecisionRecord(ts, False, reason, Stage.S1, 0, Side.LONG, "sig", figures)


def test_d_every_entry_gate_reason_has_its_gate_in_chain_order():
    chain = [r for _, _, reasons in GATE_CHAIN for r in reasons]
    entry_gates = list(R)[: list(R).index(R.INVALID_INPUT)]  # the enum lists them in D order
    assert set(entry_gates) - {R.INVALID_INPUT} <= set(chain) | {R.EQUITY_BELOW_HARD_STOP}
    assert [g for g, _, _ in GATE_CHAIN][:4] == [
        "halt, cooldown, blocks",
        "stage, anti-flap, leverage",
        "trades per day",
        "volatility",
    ]


def test_d_refusals_are_grouped_by_gate_in_chain_order():
    counts = {"MARGIN_INSUFFICIENT": 7, "VOLATILITY_TOO_LOW": 3, "STALE_DATA": 2, "HALTED": 1}
    groups = refusals_by_gate(counts)
    assert [(g.gate, g.count) for g in groups] == [
        ("halt, cooldown, blocks", 3),
        ("volatility", 3),
        ("margin", 7),
    ]
    assert groups[0].reasons == (("HALTED", 1), ("STALE_DATA", 2))


def test_d2_volatility_never_above_the_threshold_names_the_peak():
    log = RefusalLog()
    for ts, atr in ((1, "0.012"), (2, "0.018"), (3, "0.015")):
        log.add(refused(ts, R.VOLATILITY_TOO_LOW), (D(atr), D("0.03")))

    why = why_no_trades(log, {"VOLATILITY_TOO_LOW": 3}, 3)

    assert why.reason == "VOLATILITY_TOO_LOW" and why.dominates
    assert why.text == (
        "ATR_pct_24h 1.8 % never above S1's 3.0 % (D2) — 3 of 3 evaluations refused by "
        "VOLATILITY_TOO_LOW"
    )


def test_c4_margin_text_gives_the_stop_that_would_fit():
    # $100 at 3x (equity 0.002 BTC at 50,000): B4 budget $10 = 0.0002 BTC, the grid's stop 2.1 %,
    # so C2 buys 0.0002 / 0.021 = 0.0095238 BTC of contracts: margin ÷ 3 = 0.0031746, fee
    # buffer × 0.0002 = 0.0000019; together 0.0031765 > 0.002. Margin ∝ 1 / stop, so it fits from
    # 2.1 % × 0.0031765 / 0.002 = 3.335 %: "needs a stop ≥ 3.3 %".
    value = D("0.0002") / D("0.021")
    figures = {
        "stop_distance_pct": "0.021",
        "equity_btc": "0.002",
        "equity_usd": "100",
        "leverage": "3",
        "required_margin_btc": str(value / 3),
        "fee_buffer_btc": str(value * D("0.0002")),
    }
    log = RefusalLog()
    log.add(refused(1, R.MARGIN_INSUFFICIENT, **(figures | {"stop_distance_pct": "0.02"})))
    log.add(refused(2, R.MARGIN_INSUFFICIENT, **figures))  # the nearest to passing

    why = why_no_trades(log, {"MARGIN_INSUFFICIENT": 2, "TRADES_PER_DAY": 1}, 10)

    assert why.text.startswith(
        "$100 at 3x needs a stop ≥ 3.3 %; the grid gave 2.1 % (C4: margin + fee buffer ≤ equity)"
    )
    assert not why.dominates  # 3 refusals of 10 evaluations: "most frequent refusal"
    assert why.label == "most frequent refusal"


def test_d1_ev_text_and_a_tie_goes_to_the_earlier_gate():
    log = RefusalLog()
    log.add(refused(1, R.EV_TOO_LOW, expected_profit_usd="0.05", estimated_fee_usd="0.04", k="2"))
    why = why_no_trades(log, {"EV_TOO_LOW": 4, "TRADES_PER_DAY": 4}, 8)
    assert why.reason == "TRADES_PER_DAY"  # B2 comes before D1 in the chain
    assert why_no_trades(log, {"EV_TOO_LOW": 5}, 8).text.startswith(
        "expected profit $0.05 below the fee $0.04 × K 2 (D1)"
    )


def test_no_refusal_says_so():
    why = why_no_trades(RefusalLog(), {}, 0)
    assert why.reason is None and why.text == "no entry was refused" and why.by_gate == ()
