"""Invariants of the gate chain over wide random inputs (SPEC B, C, D)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.risk.factories import CONFIG, NOW, baseline_state, config_with, make_context

from accountbuilder.domain.enums import Liquidity, MainState, Side, Stage
from accountbuilder.domain.models import (
    DEFAULT_RISK_TIERS,
    FeeRates,
    Instrument,
    Position,
    RiskTier,
)
from accountbuilder.risk.account import stage_for
from accountbuilder.risk.antiflap import AntiFlap
from accountbuilder.risk.gates import GATE_ORDER, evaluate_entry
from accountbuilder.risk.sizing import exact_loss_fits
from accountbuilder.risk.streak import Streak
from accountbuilder.risk.trades_per_day import DailyCounts, utc_day

MIN = 60_000


def _dec(lo: str, hi: str, places: int):
    return st.decimals(min_value=D(lo), max_value=D(hi), places=places)


@st.composite
def contexts(draw):
    mark = draw(_dec("5000", "200000", 1))
    equity_usd = draw(_dec("70", "1100", 2))
    side = draw(st.sampled_from(Side))
    spacing = draw(st.none() | _dec("0.002", "0.08", 4))
    mmr = draw(st.none() | _dec("0.001", "0.05", 4))
    tiers = () if mmr is None else (RiskTier(1_000_000, mmr, mmr * 2, D(100)),)
    qty_step = draw(st.sampled_from([1, 1, 5, 10]))
    instrument = Instrument(
        tick_size=draw(st.sampled_from([D("0.1"), D("0.5"), D(1), D(5)])),
        qty_step=qty_step,
        min_qty=draw(st.integers(1, 20)),
        risk_tiers=tiers,
    )
    entry = mark * (1 + draw(_dec("-0.03", "0.03", 4)))
    tp = None
    if spacing is None or draw(st.booleans()):
        tp = str(entry * (1 + side.sign * draw(_dec("0.0001", "0.1", 4))))
    taker = draw(st.integers(0, 5)) == 0
    state = replace(
        baseline_state(str(draw(_dec("0.55", "0.9", 2)))),
        streak=Streak(draw(_dec("0.25", "1", 2))),
    )
    config = config_with(
        liq_multiple=draw(_dec("2", "5", 1)), liq_floor_pct=draw(_dec("0.10", "0.3", 2))
    )
    return make_context(
        wallet=str((equity_usd / mark).quantize(D("0.00000001"))),
        upnl=str(draw(_dec("-0.0001", "0.0001", 8))),
        mark=str(mark),
        atr=str(draw(_dec("0.04", "0.2", 3))),
        side=side,
        entry=str(entry),
        spacing=None if spacing is None else str(spacing),
        tp=tp,
        liquidity=Liquidity.TAKER if taker else Liquidity.MAKER,
        maker_timeouts=3 if taker else 0,
        state=state,
        leverage=draw(st.sampled_from(["1", "1.5", "2", "2.5", "3"])),
        instrument=instrument,
        fees=FeeRates(draw(_dec("-0.00025", "0.001", 5)), draw(_dec("0", "0.001", 5))),
        config=config,
    )


@given(contexts())
def test_c_d_accepted_decision_respects_every_sizing_invariant(ctx):
    d = evaluate_entry(ctx)
    if not d.accepted:
        return
    side, entry, stop, c = ctx.signal.side, d.entry_price, d.stop_price, d.contracts
    step = ctx.instrument.qty_step

    # A2/C2/C3: whole contracts, at least one and the minimum, multiples of qtyStep
    assert isinstance(c, int) and c >= max(1, ctx.instrument.min_qty) and c % step == 0
    # C3: the exact inverse loss at the rounded stop fits the budget; the distance never grew
    assert exact_loss_fits(side, c, entry, stop, d.max_loss_btc)
    assert Fraction(abs(entry - stop)) <= Fraction(entry) * Fraction(d.stop_distance_pct)
    # B4
    rules = CONFIG.stage.stages.for_stage(d.stage)
    assert d.max_loss_btc == min(
        d.equity_btc * rules.pct_cap, rules.usd_loss_cap / ctx.market.mark_price
    )
    assert d.stage is stage_for(d.equity_usd)
    # C4
    assert d.required_margin_btc + d.fee_buffer_btc <= d.equity_btc
    # (never below SPEC's own buffer, up to Decimal's 28-digit rounding)
    assert d.fee_buffer_btc >= spec_fee_buffer(c, entry, ctx.fees.maker) * (1 - D("1e-25"))
    # C5 / C6
    risk = ctx.config.risk
    if d.liq_estimated:
        assert (stop - d.liq_price) * side.sign > 0  # liquidation beyond the stop
        need = max(d.stop_distance_pct * risk.liq_multiple, risk.liq_floor_pct)
        assert d.liq_distance_pct >= need
    else:
        assert d.leverage <= 3 and d.stop_distance_pct <= D("0.05")
    # B3
    assert d.leverage <= 3 and d.leverage <= ctx.leverage_in_force
    # D1, D3
    assert d.expected_profit_usd >= d.estimated_fee_usd * d.k
    if d.stage is Stage.S1:
        assert d.liquidity is Liquidity.MAKER


def spec_fee_buffer(contracts: int, entry: D, maker: D) -> D:
    """SPEC C4's own buffer: ``(C / entry) × maker_fee × 2`` (rebates count as 0)."""
    return D(contracts) / entry * max(maker, D(0)) * 2


@given(contexts())
def test_d_refused_decision_names_exactly_the_first_failing_gate(ctx):
    d = evaluate_entry(ctx)
    passed = [g.passed for g in d.gates]

    assert [g.name for g in d.gates] == list(GATE_ORDER)
    if d.accepted:
        assert passed == [True] * len(GATE_ORDER) and d.denial is None
        return
    i = passed.index(False)
    assert passed == [True] * i + [False] + [None] * (len(GATE_ORDER) - i - 1)
    assert d.gates[i].denial == d.denial and d.failed_gate == GATE_ORDER[i]


# One change per gate that makes exactly that gate refuse the baseline context (see
# test_gates.py for each one alone); combined, the earliest in SPEC's order must report.
INJECTIONS = {
    "halt": {"main_state": MainState.HALT},
    "stage": {"antiflap": AntiFlap(Stage.S2, (NOW - 40 * MIN, NOW - 20 * MIN))},
    "trades_per_day": {"daily": DailyCounts(utc_day(NOW), 5)},
    "volatility": {"atr": "0.01"},
    "one_position": {"position": Position(Side.SHORT, 100, D(41000), Stage.S1, D(3))},
    "winrate": {"backtest": "0.5"},
    "sizing": {"instrument": Instrument(min_qty=1000)},
    "margin": {"leverage": "1"},
    "liquidation": {"config": config_with(liq_floor_pct=D("0.5"))},
    "ev": {"tp": "40000.5"},
    "maker_policy": {"liquidity": Liquidity.TAKER, "maker_timeouts": 3},
}


def _injected(names: set[str]):
    kw, holders, backtest = {}, {}, "0.6"
    for name in names:
        for key, value in INJECTIONS[name].items():
            if key in ("antiflap", "daily"):
                holders[key] = value
            elif key == "backtest":
                backtest = value
            else:
                kw[key] = value
    return make_context(state=replace(baseline_state(backtest), **holders), **kw)


@given(st.sets(st.sampled_from(GATE_ORDER), min_size=1))
def test_d_several_failing_gates_report_the_earliest_in_spec_order(names):
    d = evaluate_entry(_injected(names))
    first = min(names, key=GATE_ORDER.index)

    assert d.failed_gate == first, str(d.denial)


def test_d_every_injection_alone_fails_its_own_gate():
    for name in GATE_ORDER:
        assert evaluate_entry(_injected({name})).failed_gate == name
    assert evaluate_entry(_injected(set())).accepted
    assert DEFAULT_RISK_TIERS  # the baseline instrument has a liquidation estimate
