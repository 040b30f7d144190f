"""D4 win-rate gating and H1's win definition."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.winrate import WinRate, is_win

WIN, LOSS = D("0.00001"), D("-0.00001")


def _with(wins: int, losses: int, backtest: str | None = "0.6") -> WinRate:
    rate = WinRate(backtest_winrate=None if backtest is None else D(backtest))
    for pnl in [WIN] * wins + [LOSS] * losses:
        rate = rate.on_trade_closed(pnl)
    return rate


def test_h1_win_is_pnl_after_fees_above_zero():
    assert is_win(D("0.00000001"))
    assert not is_win(D(0))  # break-even after fees is not a win
    assert not is_win(D("-0.00000001"))


def test_d4_under_10_trades_backtest_55_pct_passes():
    assert _with(2, 7, backtest="0.55").assess().denial is None


def test_d4_under_10_trades_backtest_below_55_pct_refuses():
    denial = _with(0, 0, backtest="0.5499").assess().denial

    assert denial is not None and denial.reason is ReasonCode.WINRATE_BACKTEST_TOO_LOW


def test_d4_under_10_trades_without_backtest_refuses():
    denial = _with(3, 0, backtest=None).assess().denial

    assert denial is not None and denial.reason is ReasonCode.WINRATE_BACKTEST_MISSING


def test_d4_soft_gate_below_40_pct_warns_and_halves_size():
    # N = 10, 3 wins → 30% < 40%
    a = _with(3, 7).assess()

    assert (a.phase, a.live_rate) == ("soft", D("0.3"))
    assert a.denial is None and a.warning is ReasonCode.WINRATE_SOFT_WARNING
    assert a.size_factor == D("0.5") and not a.halt


def test_d4_soft_gate_at_40_pct_is_fine():
    # N = 20, 8 wins → exactly 40%
    a = _with(8, 12).assess()

    assert a.warning is None and a.size_factor == 1


def test_d4_soft_phase_ignores_the_backtest_rate():
    a = _with(5, 5, backtest="0.1").assess()

    assert a.phase == "soft" and a.denial is None


def test_d4_hard_gate_below_45_pct_halts():
    # N = 30, 13 wins → 43.3% < 45%
    a = _with(13, 17).assess()

    assert a.denial is not None and a.denial.reason is ReasonCode.WINRATE_HARD_GATE
    assert a.halt


def test_d4_hard_gate_at_45_pct_passes():
    # N = 40, 18 wins → exactly 45%
    a = _with(18, 22).assess()

    assert a.phase == "hard" and a.denial is None and not a.halt


def test_d4_live_rate_uses_only_the_last_50_trades():
    # 60 trades: 10 early losses, then 25 wins and 25 losses → last 50 = 50% (all 60: 41.7%)
    rate = _with(0, 10)
    for pnl in [WIN, LOSS] * 25:
        rate = rate.on_trade_closed(pnl)

    assert rate.closed == 60 and len(rate.recent) == 50
    assert rate.live_rate == D("0.5")
    assert rate.assess().denial is None


def test_d4_state_round_trips():
    rate = _with(13, 17, backtest="0.61")

    assert WinRate.from_dict(rate.to_dict()) == rate
