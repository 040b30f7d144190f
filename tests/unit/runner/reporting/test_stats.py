"""Trader statistics (runner/reporting/stats.py) on small fixed trades, against hand figures."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from accountbuilder.domain.enums import ExitReason, Liquidity
from accountbuilder_runner.reporting.facts import TradeFacts
from accountbuilder_runner.reporting.stats import exposure, longest_losing_streak, trader_stats

H = 3_600_000
T0 = 1_609_459_200_000  # 2021-01-01T00:00:00Z


def trade(entry_h, exit_h, pnl, *, reason=ExitReason.TAKE_PROFIT, budget="0.0002", price="50000"):
    # 100 contracts at 50,000: maker fee 100 × 0.0001 / 50,000 = 0.0000002 BTC, taker
    # 100 × 0.0006 / 50,000 = 0.0000012 BTC (A3); the exit fee follows the exit's order type
    exit_fee = D("0.0000002") if reason is ExitReason.TAKE_PROFIT else D("0.0000012")
    return TradeFacts(
        entry_ms=T0 + entry_h * H,
        exit_ms=T0 + exit_h * H,
        contracts=100,
        entry_price=D("50000"),
        exit_price=D(price),
        pnl_btc=D(pnl),
        entry_fee_btc=D("0.0000002"),
        exit_fee_btc=exit_fee,
        max_loss_btc=D(budget),
        entry_liquidity=Liquidity.MAKER,
        exit_reason=reason,
    )


STOP = ExitReason.STOP
# three wins (+0.0001, +0.0003, +0.0002) and two losses (−0.0002, −0.00025), exit order
TRADES = [
    trade(0, 2, "0.0001"),
    trade(3, 4, "-0.0002", reason=STOP),
    trade(5, 11, "-0.00025", reason=STOP, budget="0.0002"),
    trade(12, 13, "0.0003"),
    trade(20, 24, "0.0002"),
]


def test_h1_profit_factor_is_gross_win_over_gross_loss():
    s = trader_stats(TRADES, T0, T0 + 24 * H)
    # (0.0001 + 0.0003 + 0.0002) / (0.0002 + 0.00025) = 0.0006 / 0.00045 = 4/3
    assert s.profit_factor == D("0.0006") / D("0.00045")
    assert (s.trades, s.wins) == (5, 3)


def test_expectancy_and_average_win_and_loss_in_btc_and_usd():
    s = trader_stats(TRADES, T0, T0 + 24 * H)
    # net 0.00015 over 5 trades = 0.00003 BTC; at the 50,000 exit price $1.50
    assert s.expectancy_btc == D("0.00003") and s.expectancy_usd == D("1.5")
    assert s.avg_win_btc == D("0.0002") and s.avg_win_usd == D("10")
    assert s.avg_loss_btc == D("-0.000225") and s.avg_loss_usd == D("-11.25")


def test_b4_largest_loss_is_measured_against_its_budget():
    s = trader_stats(TRADES, T0, T0 + 24 * H)
    # −0.00025 against a budget of 0.0002: 125 % of it
    assert s.largest_loss.pnl_btc == D("-0.00025") and s.largest_loss.of_budget == D("1.25")
    assert s.largest_loss.exit_ms == T0 + 11 * H


def test_durations_mean_median_max_in_hours():
    s = trader_stats(TRADES, T0, T0 + 24 * H)
    # 2, 1, 6, 1, 4 hours: mean 14 / 5 = 2.8, median 2, max 6
    assert (s.durations.mean_h, s.durations.median_h, s.durations.max_h) == (2.8, 2.0, 6.0)


def test_exposure_is_the_share_of_the_trading_period_in_a_position():
    # 14 hours held of 24
    assert exposure(TRADES, T0, T0 + 24 * H) == pytest.approx(14 / 24)
    # a period ending at hour 12 clips the third trade to 5 → 11 (6 h) and drops the rest:
    # 2 + 1 + 6 = 9 of 12; a position open since hour 11.5 adds 0.5 h
    assert exposure(TRADES, T0, T0 + 12 * H) == pytest.approx(9 / 12)
    assert exposure(TRADES[:3], T0, T0 + 12 * H, T0 + 23 * H // 2) == pytest.approx(9.5 / 12)


def test_h1_longest_losing_streak_counts_consecutive_losses():
    assert longest_losing_streak(TRADES) == 2
    assert longest_losing_streak([TRADES[0], TRADES[1], TRADES[3], TRADES[2]]) == 1
    assert longest_losing_streak([]) == 0


def test_a3_fees_in_usd_and_the_maker_taker_split():
    s = trader_stats(TRADES, T0, T0 + 24 * H)
    # each leg's fee at its fill price = contracts × rate: maker 100 × 0.0001 = $0.01,
    # taker 100 × 0.0006 = $0.06. Five maker entries, three maker take-profits, two taker stops.
    assert (s.split.maker_fills, s.split.taker_fills) == (8, 2)
    assert s.split.maker_fee_usd == D("0.08") and s.split.taker_fee_usd == D("0.12")
    assert s.fees_usd == D("0.20") and s.fees_btc == D("0.0000004") * 3 + D("0.0000014") * 2


def test_no_trades_and_no_losses_leave_the_ratios_undefined():
    empty = trader_stats([], T0, T0 + H)
    assert empty.profit_factor is None and empty.expectancy_btc is None and empty.exposure == 0
    wins_only = trader_stats([TRADES[0]], T0, T0 + H)
    assert wins_only.profit_factor is None and wins_only.largest_loss is None
