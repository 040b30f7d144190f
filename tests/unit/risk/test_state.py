"""RiskState: events update the holders; save/restore round-trips exactly (I4)."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.risk.factories import NOW, make_context

from accountbuilder.domain.enums import Stage
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.gates import evaluate_entry
from accountbuilder.risk.state import RiskState

MIN, HOUR = 60_000, 3_600_000


def test_b5_third_stage_change_starts_a_one_hour_block():
    state = RiskState.start(NOW)
    for minute, stage in [(0, Stage.S1), (5, Stage.S2), (10, Stage.S1), (15, Stage.S2)]:
        state = state.observe_stage(stage, NOW + minute * MIN)

    assert state.blocks.until(ReasonCode.BLOCK_ANTI_FLAP) == NOW + 15 * MIN + HOUR


def test_b5_two_changes_start_no_block():
    state = RiskState.start(NOW)
    for minute, stage in [(0, Stage.S1), (5, Stage.S2), (10, Stage.S1)]:
        state = state.observe_stage(stage, NOW + minute * MIN)

    assert state.blocks.items == ()


def test_g4_failed_taker_entry_blocks_for_one_hour():
    state = RiskState.start(NOW).on_taker_failed(NOW)

    assert state.blocks.until(ReasonCode.BLOCK_TAKER_FAILURE) == NOW + HOUR


def test_h1_d4_d5_closed_trade_feeds_winrate_and_streak():
    state = RiskState.start(NOW)
    for _ in range(3):
        state = state.on_trade_closed(D("-0.00001"))

    assert state.winrate.closed == 3 and state.winrate.live_rate == 0
    assert state.streak.multiplier == D("0.5")


def test_b6_first_fill_counts_the_trade():
    state = RiskState.start(NOW).on_first_fill(NOW, taker=True)

    assert state.daily.trades_on(NOW) == 1 and state.daily.taker_entries_on(NOW) == 1


def test_g10_fill_fee_spike_opens_the_window():
    state = RiskState.start(NOW).on_fill_fee(D("0.000002"), D("0.000001"), NOW)

    assert state.fee_spike.active(NOW + 23 * HOUR)


def test_b1_h2_after_evaluation_records_stage_and_equity():
    ctx = make_context(wallet="0.01")  # $400 → S2
    decision = evaluate_entry(ctx)
    state = ctx.risk_state.after_evaluation(decision, NOW)

    assert state.antiflap.last_stage is Stage.S2
    assert state.targets.peak_equity_usd == D(400)


def test_i4_unknown_version_is_refused():
    data = RiskState.start(NOW).to_dict() | {"version": 99}

    with pytest.raises(ValueError, match="version"):
        RiskState.from_dict(data)


events = st.one_of(
    st.tuples(st.just("close"), st.decimals("-0.01", "0.01", places=8)),
    st.tuples(st.just("fill"), st.booleans()),
    st.tuples(st.just("fee"), st.decimals("0", "0.00001", places=10)),
    st.tuples(st.just("stage"), st.sampled_from(Stage)),
    st.tuples(st.just("equity"), st.decimals("0", "2000", places=2)),
    st.tuples(st.just("taker_failed"), st.none()),
)


def _apply(state: RiskState, event: tuple, now: int) -> RiskState:
    kind, value = event
    if kind == "close":
        return state.on_trade_closed(value)
    if kind == "fill":
        return state.on_first_fill(now, taker=value)
    if kind == "fee":
        return state.on_fill_fee(value, D("0.000001"), now)
    if kind == "stage":
        return state.observe_stage(value, now)
    if kind == "equity":
        return state.observe_equity(value, now)
    return state.on_taker_failed(now)


@given(st.lists(st.tuples(events, st.integers(0, 2 * HOUR)), max_size=40))
def test_i4_risk_state_save_restore_round_trips(steps):
    state, now = RiskState.start(NOW, D("0.6")), NOW
    for event, gap in steps:
        now += gap
        state = _apply(state, event, now)

    restored = RiskState.from_dict(json.loads(json.dumps(state.to_dict())))

    assert restored == state


def test_b5_anti_flap_refusal_then_block_for_an_hour():
    # last evaluated S2 with two changes this hour; a $100 (S1) evaluation is the third
    from accountbuilder.risk.antiflap import AntiFlap

    flapping = replace(
        RiskState.start(NOW, D("0.6")), antiflap=AntiFlap(Stage.S2, (NOW - 20 * MIN, NOW - MIN))
    )
    first = evaluate_entry(make_context(state=flapping))
    state = flapping.after_evaluation(first, NOW)
    later = evaluate_entry(make_context(state=state, now=NOW + 59 * MIN))
    after = evaluate_entry(make_context(state=state, now=NOW + HOUR))

    assert first.reason is ReasonCode.ANTI_FLAP
    assert later.reason is ReasonCode.BLOCKED
    assert later.denial.figures["block"] == "BLOCK_ANTI_FLAP"
    assert after.accepted
