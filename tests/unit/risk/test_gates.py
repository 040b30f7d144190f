"""The entry gate chain (SPEC D): worked examples for every gate, in SPEC's order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from fractions import Fraction

import pytest
from tests.unit.risk.factories import NOW, baseline_state, config_with, make_context

from accountbuilder.domain.enums import HaltKind, Liquidity, MainState, Side, Stage
from accountbuilder.domain.models import Instrument, Position
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.antiflap import AntiFlap
from accountbuilder.risk.gates import GATE_ORDER, evaluate_entry
from accountbuilder.risk.streak import Streak
from accountbuilder.risk.targets import Targets
from accountbuilder.risk.trades_per_day import DailyCounts, utc_day
from accountbuilder.risk.winrate import WinRate

DAY, HOUR, MIN = 86_400_000, 3_600_000, 60_000


def _refused(ctx, reason, gate):
    decision = evaluate_entry(ctx)
    assert not decision.accepted
    assert decision.reason is reason, str(decision.denial)
    assert decision.failed_gate == gate
    return decision


def _state(**holders):
    return replace(baseline_state(), **holders)


def _trades(wins: int, losses: int) -> WinRate:
    rate = WinRate(backtest_winrate=D("0.6"))
    for pnl in [D(1)] * wins + [D(-1)] * losses:
        rate = rate.on_trade_closed(pnl)
    return rate


def test_d_gate_order_is_spec_order():
    assert GATE_ORDER == (
        "halt",
        "stage",
        "trades_per_day",
        "volatility",
        "one_position",
        "winrate",
        "sizing",
        "margin",
        "liquidation",
        "ev",
        "maker_policy",
    )


def test_d_baseline_long_is_accepted_with_every_figure():
    # $100 (0.0025 BTC × 40,000) → S1: budget min(0.0003, 10/40,000) = 0.00025 BTC;
    # spacing 3% → stop 4.5% → 38,200; C2 = 222; exact cut 0.00025·40,000·38,200/1,800 → 212;
    # margin 212/40,000/3 = 0.0017667; liq 40,000/(1 + 1/3 − 0.005 − fee) ≈ 30,131 (24.7% ≥ 15%);
    # TP 41,200: profit 212·1,200/41,200 = 6.17 USD ≥ 0.0212 × 2
    d = evaluate_entry(make_context())

    assert d.accepted and d.denial is None and d.halt is None
    assert (d.stage, d.leverage, d.max_loss_btc) == (Stage.S1, D(3), D("0.00025"))
    assert (d.stop_distance_pct, d.stop_price, d.contracts) == (D("0.045"), D(38200), 212)
    assert d.take_profit_price == D(41200) and d.estimated_fee_usd == D("0.0212")
    assert d.k == D("2.0") and d.size_multiplier == D("1.0")
    assert d.required_margin_btc == D("0.0053") / 3 and d.fee_buffer_btc == D("0.00000106")
    assert D(30100) < d.liq_price < D(30140) and d.liq_distance_pct > D("0.15")
    assert abs(Fraction(d.expected_profit_usd) - Fraction(212 * 1200, 41200)) < Fraction(1, 10**20)
    assert [g.passed for g in d.gates] == [True] * len(GATE_ORDER)


# --- 1. halt / cooldown / blocks (D6, F3, H2, H3) -------------------------------------------
def test_d6_halt_state_refuses():
    d = _refused(make_context(main_state=MainState.HALT), ReasonCode.HALTED, "halt")

    assert d.halt is None  # already halted: no new demand


def test_d6_cooldown_refuses():
    _refused(make_context(main_state=MainState.COOLDOWN), ReasonCode.COOLDOWN, "halt")


def test_d6_running_block_timer_refuses():
    state = baseline_state().with_block(ReasonCode.BLOCK_RECONCILE, NOW + 5000)
    d = _refused(make_context(state=state), ReasonCode.BLOCKED, "halt")

    assert d.denial.figures["block"] == "BLOCK_RECONCILE"


def test_d6_expired_block_does_not_refuse():
    state = baseline_state().with_block(ReasonCode.BLOCK_RECONCILE, NOW)

    assert evaluate_entry(make_context(state=state)).accepted


def test_f3_degraded_mode_refuses():
    _refused(make_context(degraded=True), ReasonCode.DEGRADED_MODE, "halt")


def test_d6_stale_mark_price_refuses():
    # E2's 5 s: a mark 5.001 s old is stale, 5.000 s is not
    _refused(make_context(market_ts=NOW - 5001), ReasonCode.STALE_DATA, "halt")
    assert evaluate_entry(make_context(market_ts=NOW - 5000)).accepted


def test_h3_equity_below_80_refuses_and_demands_manual_halt():
    # 0.0019 BTC × 40,000 = $76
    d = _refused(make_context(wallet="0.0019"), ReasonCode.EQUITY_BELOW_HARD_STOP, "halt")

    assert d.halt is not None and d.halt.reason is ReasonCode.EQUITY_BELOW_80
    assert d.halt.kind is HaltKind.MANUAL


def test_h3_unrealized_loss_counts_toward_the_hard_stop():
    # 0.0025 − 0.0006 = 0.0019 BTC → $76
    _refused(make_context(upnl="-0.0006"), ReasonCode.EQUITY_BELOW_HARD_STOP, "halt")


def test_h2_eighteen_months_without_1000_halts():
    state = _state(targets=Targets(NOW - 548 * DAY, D(900)))
    d = _refused(make_context(state=state), ReasonCode.EIGHTEEN_MONTH_FAILURE, "halt")

    assert d.halt.reason is ReasonCode.EIGHTEEN_MONTH_FAILURE and d.halt.kind is HaltKind.MANUAL


def test_h2_success_at_1000_refuses_new_entries():
    # 0.025 BTC × 40,000 = $1,000
    _refused(make_context(wallet="0.025"), ReasonCode.TARGET_REACHED, "halt")


def test_h2_review_flag_is_a_warning_not_a_refusal():
    state = _state(targets=Targets(NOW - 400 * DAY, D(150)))
    d = evaluate_entry(make_context(state=state))

    assert d.accepted and ReasonCode.STRATEGY_REVIEW_REQUIRED in d.warnings


# --- 2. stage & anti-flap (B1-B5) -----------------------------------------------------------
def test_b5_third_stage_change_in_an_hour_refuses():
    # last evaluated S2, two changes in the last hour; now $100 → S1 is the third
    flap = AntiFlap(Stage.S2, (NOW - 40 * MIN, NOW - 20 * MIN))
    d = _refused(make_context(state=_state(antiflap=flap)), ReasonCode.ANTI_FLAP, "stage")

    assert d.denial.figures["stage_changes_last_hour"] == 3


def test_b5_same_stage_with_two_changes_passes():
    flap = AntiFlap(Stage.S1, (NOW - 40 * MIN, NOW - 20 * MIN))

    assert evaluate_entry(make_context(state=_state(antiflap=flap))).accepted


def test_b3_leverage_in_force_above_cap_refuses():
    _refused(make_context(leverage="5"), ReasonCode.LEVERAGE_ABOVE_CAP, "stage")


@pytest.mark.parametrize(
    ("wallet", "stage", "leverage", "k"),
    [
        ("0.0025", Stage.S1, D(3), D("2.0")),  # $100
        ("0.01", Stage.S2, D(3), D("2.5")),  # $400
        ("0.015", Stage.S2, D(2), D("2.5")),  # $600 > $500 → 2x
        ("0.02", Stage.S3, D(2), D("3.0")),  # $800
    ],
)
def test_b2_b3_stage_table_applies(wallet, stage, leverage, k):
    d = evaluate_entry(make_context(wallet=wallet, atr="0.06"))

    assert d.accepted, str(d.denial)
    assert (d.stage, d.leverage, d.k) == (stage, leverage, k)


def test_b3_entry_leverage_never_above_the_one_in_force():
    # $200 in S1 (3x) with 2x in force: 212 contracts, margin 0.0053 / 2 = 0.00265 ≤ 0.005
    d = evaluate_entry(make_context(wallet="0.005", leverage="2"))

    assert d.accepted and d.leverage == D(2)
    assert d.required_margin_btc == D("0.00265")


# --- 3. trades per day (B2, B6) -------------------------------------------------------------
def test_b6_s1_fifth_trade_of_the_day_refuses_the_sixth():
    state = _state(daily=DailyCounts(utc_day(NOW), 5))
    d = _refused(make_context(state=state), ReasonCode.TRADES_PER_DAY, "trades_per_day")

    assert d.denial.figures == {"trades_today": 5, "max": 5}


def test_b6_s2_allows_ten():
    state = _state(daily=DailyCounts(utc_day(NOW), 9))

    assert evaluate_entry(make_context(wallet="0.01", state=state)).accepted


def test_b6_yesterdays_trades_do_not_count():
    state = _state(daily=DailyCounts(utc_day(NOW) - 1, 5))

    assert evaluate_entry(make_context(state=state)).accepted


# --- 4. volatility (D2) ---------------------------------------------------------------------
def test_d2_atr_must_exceed_not_equal_the_threshold():
    _refused(make_context(atr="0.03"), ReasonCode.VOLATILITY_TOO_LOW, "volatility")
    assert evaluate_entry(make_context(atr="0.0301")).accepted


def test_d2_threshold_follows_the_stage():
    # S2 needs > 4%: 3.5% passes S1's 3% but not S2's
    _refused(make_context(wallet="0.01", atr="0.035"), ReasonCode.VOLATILITY_TOO_LOW, "volatility")


def test_d2_unknown_atr_refuses():
    _refused(make_context(atr=None), ReasonCode.VOLATILITY_UNKNOWN, "volatility")


# --- 5. one position (D7) -------------------------------------------------------------------
def test_d7_open_position_refuses_any_new_entry():
    pos = Position(Side.SHORT, 100, D(41000), Stage.S1, D(3))
    d = _refused(make_context(position=pos), ReasonCode.POSITION_OPEN, "one_position")

    assert d.denial.figures["open_side"] == "short" and d.denial.figures["wanted"] == "long"


@pytest.mark.parametrize(
    "state", [MainState.ENTRY_PENDING, MainState.IN_POSITION, MainState.EXIT_PENDING]
)
def test_d7_entry_or_exit_under_way_refuses(state):
    _refused(make_context(main_state=state), ReasonCode.POSITION_OPEN, "one_position")


# --- 6. win rate (D4) -----------------------------------------------------------------------
def test_d4_backtest_below_55_refuses():
    state = baseline_state(backtest="0.5")
    _refused(make_context(state=state), ReasonCode.WINRATE_BACKTEST_TOO_LOW, "winrate")


def test_d4_hard_gate_refuses_and_demands_manual_halt():
    d = _refused(
        make_context(state=_state(winrate=_trades(13, 17))), ReasonCode.WINRATE_HARD_GATE, "winrate"
    )

    assert d.halt.reason is ReasonCode.WINRATE_HARD_GATE and d.halt.kind is HaltKind.MANUAL


def test_d4_soft_gate_halves_the_size():
    # 3 wins of 10: multiplier 1.0 × 0.5 → C2 = floor(222.2 × 0.5) = 111 (< exact cut 212)
    d = evaluate_entry(make_context(state=_state(winrate=_trades(3, 7))))

    assert d.accepted and ReasonCode.WINRATE_SOFT_WARNING in d.warnings
    assert (d.size_multiplier, d.contracts) == (D("0.5"), 111)


# --- 7. sizing (C1-C3, D5) ------------------------------------------------------------------
def test_c1_non_positive_spacing_refuses():
    _refused(make_context(spacing="0"), ReasonCode.STOP_DISTANCE_INVALID, "sizing")


def test_c1_unknown_spacing_uses_3_pct_with_an_explicit_take_profit():
    # stop 3% → 38,800; exact cut 0.00025 × 40,000 × 38,800 / 1,200 = 323.3 → 323 (C2 333);
    # margin 323/40,000/3 = 0.0026917 > 0.0025 with leverage 3 → use an account of $150
    d = evaluate_entry(make_context(wallet="0.00375", spacing=None, tp="41200"))

    assert d.accepted, str(d.denial)
    assert (d.stop_distance_pct, d.stop_price) == (D("0.03"), D(38800))


def test_c2_contracts_below_min_qty_refuses():
    ctx = make_context(instrument=Instrument(min_qty=1000))
    _refused(ctx, ReasonCode.CONTRACTS_BELOW_MIN, "sizing")


def test_d5_streak_multiplier_scales_contracts():
    # floor(222.2 × 0.25) = 55
    d = evaluate_entry(make_context(state=_state(streak=Streak(D("0.25")))))

    assert d.accepted and d.contracts == 55


# --- 8. margin (C4) -------------------------------------------------------------------------
def test_c4_margin_over_equity_refuses():
    # spacing 2% → stop 3% → 38,800 → 323 contracts; 0.008075/3 + 0.0000016 > 0.0025
    d = _refused(make_context(spacing="0.02"), ReasonCode.MARGIN_INSUFFICIENT, "margin")

    assert d.contracts == 323


# --- 9. liquidation (C5, C6) ----------------------------------------------------------------
def test_c5_liquidation_too_close_refuses():
    # liq ≈ 24.7% away < a 50% floor
    ctx = make_context(config=config_with(liq_floor_pct=D("0.5")))
    d = _refused(ctx, ReasonCode.LIQ_DISTANCE_TOO_SMALL, "liquidation")

    assert d.denial.figures["need"] == D("0.5")


def test_c6_no_estimate_cuts_contracts_by_20_pct():
    # floor(222.2 × 0.8) = 177 (< exact cut 212)
    d = evaluate_entry(make_context(instrument=Instrument(risk_tiers=())))

    assert d.accepted and d.contracts == 177
    assert d.liq_estimated is False and d.liq_price is None


def test_c6_no_estimate_and_stop_above_5_pct_refuses():
    ctx = make_context(spacing="0.04", instrument=Instrument(risk_tiers=()))  # stop 6%
    _refused(ctx, ReasonCode.LIQ_FALLBACK_LIMITS, "liquidation")


# --- 10. EV (D1, D8) ------------------------------------------------------------------------
def test_d1_take_profit_one_tick_away_refuses():
    # 212 × 0.5 / 40,000.5 = 0.00265 < 0.0212 × 2
    _refused(make_context(tp="40000.5"), ReasonCode.EV_TOO_LOW, "ev")


def test_d1_take_profit_on_the_wrong_side_is_invalid():
    _refused(make_context(tp="39000"), ReasonCode.INVALID_INPUT, "ev")


def test_d8_fee_spike_raises_k_to_3():
    # TP 40,010: 212 × 10 / 40,010 = 0.05299 ≥ 0.0424 (K 2) but < 0.0636 (K 3)
    assert evaluate_entry(make_context(tp="40010")).accepted
    spiking = baseline_state().on_fill_fee(D(2), D(1), NOW - HOUR)
    d = _refused(make_context(tp="40010", state=spiking), ReasonCode.EV_TOO_LOW, "ev")

    assert d.k == D("3.0")


# --- 11. maker policy (D3, D8, G4) ----------------------------------------------------------
def _taker(wallet="0.01", timeouts=3, **kw):
    return make_context(wallet=wallet, liquidity=Liquidity.TAKER, maker_timeouts=timeouts, **kw)


def test_d3_s1_taker_entry_refused_maker_only():
    d = _refused(_taker(wallet="0.0025"), ReasonCode.MAKER_ONLY, "maker_policy")

    assert d.denial.figures["maker_policy"] == "enforced"


def test_g4_s2_taker_after_three_maker_timeouts_is_accepted():
    # $400, S2: 424 contracts; taker fee 424 × 0.0006 = 0.2544; profit 12.35 ≥ 0.2544 × 5
    d = evaluate_entry(_taker())

    assert d.accepted and d.liquidity is Liquidity.TAKER
    assert d.contracts == 424 and d.estimated_fee_usd == D("0.2544")


def test_g4_fewer_than_three_maker_timeouts_refuses_taker():
    _refused(_taker(timeouts=2), ReasonCode.TAKER_NOT_ALLOWED, "maker_policy")


def test_g4_one_taker_entry_per_day():
    state = _state(daily=DailyCounts(utc_day(NOW), 1, 1))
    _refused(_taker(state=state), ReasonCode.TAKER_NOT_ALLOWED, "maker_policy")


def test_g4_taker_profit_below_five_taker_fees_refuses():
    # TP 40,100: 424 × 100 / 40,100 = 1.057 ≥ 0.2544 × 2.5 (EV) but < 0.2544 × 5 = 1.272
    _refused(_taker(tp="40100"), ReasonCode.TAKER_NOT_ALLOWED, "maker_policy")


def test_d8_fee_spike_forces_maker_only():
    spiking = baseline_state().on_fill_fee(D(2), D(1), NOW)
    _refused(_taker(state=spiking), ReasonCode.MAKER_ONLY, "maker_policy")


# --- the chain as a whole -------------------------------------------------------------------
def test_d_earliest_failing_gate_wins():
    # HALT + low ATR + open position + bad backtest: the halt gate reports
    pos = Position(Side.LONG, 100, D(40000), Stage.S1, D(3))
    ctx = make_context(
        main_state=MainState.HALT, atr="0.01", position=pos, state=baseline_state("0.1")
    )
    d = _refused(ctx, ReasonCode.HALTED, "halt")

    assert [g.passed for g in d.gates] == [False] + [None] * (len(GATE_ORDER) - 1)


def test_d_gates_after_a_refusal_are_not_evaluated():
    d = _refused(make_context(atr="0.01", spacing="0"), ReasonCode.VOLATILITY_TOO_LOW, "volatility")

    assert [g.passed for g in d.gates][:4] == [True, True, True, False]
    assert d.stop_distance_pct is None and d.contracts is None
