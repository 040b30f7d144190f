"""Trader statistics over closed trades (the figures freqtrade's and nautilus's reports give).

Pure functions of ``TradeFacts`` and the trading period; docs/backtest.md defines each one.
A win is PnL after fees and funding > 0 (SPEC H1); everything else is a loss.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accountbuilder.domain.enums import Liquidity
from accountbuilder_runner.reporting.facts import TradeFacts

ZERO = Decimal(0)
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class LargestLoss:
    """The worst trade against its SPEC B4 loss budget (``max_loss_btc``)."""

    exit_ms: int
    pnl_btc: Decimal
    pnl_usd: Decimal
    budget_btc: Decimal

    @property
    def of_budget(self) -> Decimal:
        """The loss as a share of the budget (1 = exactly the budget)."""
        return -self.pnl_btc / self.budget_btc if self.budget_btc > 0 else Decimal(0)


@dataclass(frozen=True, slots=True)
class Durations:
    """Trade durations (first entry fill → exit), hours."""

    mean_h: float
    median_h: float
    max_h: float


@dataclass(frozen=True, slots=True)
class LiquiditySplit:
    """Fills and fees by maker/taker (an entry and an exit per trade)."""

    maker_fills: int
    taker_fills: int
    maker_fee_usd: Decimal
    taker_fee_usd: Decimal


@dataclass(frozen=True, slots=True)
class TraderStats:
    trades: int
    wins: int
    pnl_btc: Decimal
    pnl_usd: Decimal
    gross_win_btc: Decimal
    gross_loss_btc: Decimal  # ≤ 0
    profit_factor: Decimal | None  # None: no losing trade (or no trade)
    expectancy_btc: Decimal | None
    expectancy_usd: Decimal | None
    avg_win_btc: Decimal | None
    avg_win_usd: Decimal | None
    avg_loss_btc: Decimal | None
    avg_loss_usd: Decimal | None
    largest_loss: LargestLoss | None
    durations: Durations | None
    exposure: float  # share of the trading period spent in a position
    longest_losing_streak: int
    fees_btc: Decimal
    fees_usd: Decimal
    split: LiquiditySplit

    def to_json(self) -> dict[str, Any]:
        big = self.largest_loss
        return {
            "trades": self.trades,
            "wins": self.wins,
            "losses": self.trades - self.wins,
            "pnl_btc": _btc(self.pnl_btc),
            "pnl_usd": _usd(self.pnl_usd),
            "profit_factor": None if self.profit_factor is None else _r(self.profit_factor, 4),
            "expectancy_btc": _btc(self.expectancy_btc),
            "expectancy_usd": _usd(self.expectancy_usd),
            "avg_win_btc": _btc(self.avg_win_btc),
            "avg_win_usd": _usd(self.avg_win_usd),
            "avg_loss_btc": _btc(self.avg_loss_btc),
            "avg_loss_usd": _usd(self.avg_loss_usd),
            "largest_loss": None
            if big is None
            else {
                "exit_ts_ms": big.exit_ms,
                "pnl_btc": _btc(big.pnl_btc),
                "pnl_usd": _usd(big.pnl_usd),
                "budget_btc": _btc(big.budget_btc),
                "of_budget": _r(big.of_budget, 4),
            },
            "duration_hours": None
            if self.durations is None
            else {
                "mean": round(self.durations.mean_h, 2),
                "median": round(self.durations.median_h, 2),
                "max": round(self.durations.max_h, 2),
            },
            "exposure": round(self.exposure, 4),
            "longest_losing_streak": self.longest_losing_streak,
            "fees_btc": _btc(self.fees_btc),
            "fees_usd": _usd(self.fees_usd),
            "maker_fills": self.split.maker_fills,
            "taker_fills": self.split.taker_fills,
            "maker_fees_usd": _usd(self.split.maker_fee_usd),
            "taker_fees_usd": _usd(self.split.taker_fee_usd),
        }


def _r(x: Decimal, digits: int) -> float:
    return float(round(x, digits))


def _btc(x: Decimal | None) -> float | None:
    return None if x is None else _r(x, 8)


def _usd(x: Decimal | None) -> float | None:
    return None if x is None else _r(x, 2)


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def longest_losing_streak(trades: Sequence[TradeFacts]) -> int:
    """The most consecutive losses (exit order)."""
    best = run = 0
    for t in trades:
        run = 0 if t.is_win else run + 1
        best = max(best, run)
    return best


def exposure(
    trades: Sequence[TradeFacts], start_ms: int, end_ms: int, open_since_ms: int | None = None
) -> float:
    """Share of ``[start_ms, end_ms]`` with a position open (a position still open at the end
    counts from ``open_since_ms``)."""
    if end_ms <= start_ms:
        return 0.0
    spans = [(t.entry_ms, t.exit_ms) for t in trades]
    if open_since_ms is not None:
        spans.append((open_since_ms, end_ms))
    held = sum(max(0, min(b, end_ms) - max(a, start_ms)) for a, b in spans)
    return held / (end_ms - start_ms)


def durations(trades: Sequence[TradeFacts]) -> Durations | None:
    hours = [t.duration_ms / HOUR_MS for t in trades]
    if not hours:
        return None
    return Durations(statistics.fmean(hours), statistics.median(hours), max(hours))


def largest_loss(trades: Sequence[TradeFacts]) -> LargestLoss | None:
    losses = [t for t in trades if not t.is_win]
    if not losses:
        return None
    worst = min(losses, key=lambda t: t.pnl_btc)
    return LargestLoss(worst.exit_ms, worst.pnl_btc, worst.pnl_usd, worst.max_loss_btc)


def liquidity_split(trades: Sequence[TradeFacts]) -> LiquiditySplit:
    fills = {Liquidity.MAKER: 0, Liquidity.TAKER: 0}
    fees = {Liquidity.MAKER: ZERO, Liquidity.TAKER: ZERO}
    for t in trades:
        fills[t.entry_liquidity] += 1
        fees[t.entry_liquidity] += t.entry_fee_btc * t.entry_price
        fills[t.exit_liquidity] += 1
        fees[t.exit_liquidity] += t.exit_fee_btc * t.exit_price
    m, k = Liquidity.MAKER, Liquidity.TAKER
    return LiquiditySplit(fills[m], fills[k], fees[m], fees[k])


def trader_stats(
    trades: Sequence[TradeFacts], start_ms: int, end_ms: int, open_since_ms: int | None = None
) -> TraderStats:
    """Every statistic of ``trades`` (exit order) over the trading period ``[start, end]``."""
    wins = [t for t in trades if t.is_win]
    losses = [t for t in trades if not t.is_win]
    gross_win = sum((t.pnl_btc for t in wins), ZERO)
    gross_loss = sum((t.pnl_btc for t in losses), ZERO)
    return TraderStats(
        trades=len(trades),
        wins=len(wins),
        pnl_btc=gross_win + gross_loss,
        pnl_usd=sum((t.pnl_usd for t in trades), ZERO),
        gross_win_btc=gross_win,
        gross_loss_btc=gross_loss,
        profit_factor=gross_win / -gross_loss if gross_loss < 0 else None,
        expectancy_btc=_mean([t.pnl_btc for t in trades]),
        expectancy_usd=_mean([t.pnl_usd for t in trades]),
        avg_win_btc=_mean([t.pnl_btc for t in wins]),
        avg_win_usd=_mean([t.pnl_usd for t in wins]),
        avg_loss_btc=_mean([t.pnl_btc for t in losses]),
        avg_loss_usd=_mean([t.pnl_usd for t in losses]),
        largest_loss=largest_loss(trades),
        durations=durations(trades),
        exposure=exposure(trades, start_ms, end_ms, open_since_ms),
        longest_losing_streak=longest_losing_streak(trades),
        fees_btc=sum((t.fee_btc for t in trades), ZERO),
        fees_usd=sum((t.fee_usd for t in trades), ZERO),
        split=liquidity_split(trades),
    )
