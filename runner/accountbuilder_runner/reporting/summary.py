"""The report's figures: outcome (SPEC H2/E5), the plan's targets, the two moments (end of
trading, end of data) with their attribution, trader statistics, months, why no trades.

Everything here is a pure function of what the collector gathered, the equity path and the
core's final halt; the writers (``tables``, ``plot``, ``html``, ``terminal``) and
``report.json`` take the ``Summary``. docs/backtest.md describes every key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from accountbuilder.constants import (
    FAILURE_AFTER_DAYS,
    REVIEW_EQUITY_USD,
    SUCCESS_EQUITY_USD,
)
from accountbuilder.domain.enums import HaltKind, Outcome
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halt_log import HaltLogEvent
from accountbuilder.emergency.halts import HaltPhase, HaltState
from accountbuilder.marketdata.candles import DAY_MS
from accountbuilder_runner.reporting.attribution import Attribution
from accountbuilder_runner.reporting.collector import Collector, EquityPath
from accountbuilder_runner.reporting.drawdown import Drawdown, max_drawdown
from accountbuilder_runner.reporting.facts import TradeFacts, facts_of
from accountbuilder_runner.reporting.moments import (
    END_OF_DATA,
    END_OF_TRADING,
    Moment,
    TradingEnd,
    trading_end,
)
from accountbuilder_runner.reporting.months import MonthRow, month_table, totals
from accountbuilder_runner.reporting.plan import PlanTargets, outcome_line, plan_targets
from accountbuilder_runner.reporting.stats import TraderStats, trader_stats
from accountbuilder_runner.reporting.why import WhyNoTrades, why_no_trades

OPENING_EVENTS = (HaltLogEvent.RAISED, HaltLogEvent.ESCALATED)
SATOSHI = Decimal("0.00000001")


def iso(ts_ms: int | None) -> str | None:
    """UTC ISO 8601 with a ``Z`` (``None`` stays ``None``)."""
    if ts_ms is None:
        return None
    moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def first_at_or_above(path: EquityPath, level: Decimal, until_ms: int | None = None) -> int | None:
    """The first candle close (up to ``until_ms``) at which USD equity is ``≥ level``."""
    hit = path.equity_usd >= float(level)
    if until_ms is not None:
        hit &= path.ts_ms <= until_ms
    at = np.flatnonzero(hit)
    return int(path.ts_ms[at[0]]) if at.size else None


def first_manual_halt(collector: Collector) -> tuple[int, str] | None:
    """When (and why) the account stopped trading for good: the first manual HALT (nobody
    resets it in a replay)."""
    for h in collector.halts:
        if h.event in OPENING_EVENTS and h.kind is HaltKind.MANUAL:
            return h.ts_ms, h.reason.value
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    why: str


def outcome(halt: HaltState, reached_1000_ms: int | None, start_ms: int, end_ms: int) -> Verdict:
    """SPEC H2/E5 at the end of the replay.

    SUCCESS: USD equity reached 1000 within 18 months, while the account could still trade
    (H2, sticky). FAILURE: the 18-month failure HALT, or 18 months passed without 1000.
    HALTED: the run ended in a manual HALT (E5). RUNNING: anything else, a temporary HALT or
    COOLDOWN included (they recover on their own, E4).
    """
    deadline = start_ms + FAILURE_AFTER_DAYS * DAY_MS
    if reached_1000_ms is not None and reached_1000_ms <= deadline:
        return Verdict(
            Outcome.SUCCESS, f"equity reached ${SUCCESS_EQUITY_USD} at {iso(reached_1000_ms)}"
        )
    reasons = ",".join(r.value for r in halt.reasons)
    if halt.phase is HaltPhase.HALT and ReasonCode.EIGHTEEN_MONTH_FAILURE in halt.reasons:
        return Verdict(Outcome.FAILURE, f"18-month failure HALT ({reasons})")
    if halt.phase is HaltPhase.HALT and halt.kind is HaltKind.MANUAL:
        return Verdict(Outcome.HALTED, f"manual HALT since {iso(halt.since_ms)}: {reasons}")
    if end_ms >= deadline:
        return Verdict(Outcome.FAILURE, f"{FAILURE_AFTER_DAYS} days without ${SUCCESS_EQUITY_USD}")
    if halt.phase is not HaltPhase.NORMAL:
        return Verdict(Outcome.RUNNING, f"{halt.phase.value} ({reasons}) at the end")
    return Verdict(Outcome.RUNNING, "the data ended first")


def halts_by_reason(collector: Collector) -> dict[str, int]:
    """HALT reasons raised (a reason added to a running HALT counts too)."""
    counts = Counter(h.reason.value for h in collector.halts if h.event in OPENING_EVENTS)
    return dict(sorted(counts.items()))


@dataclass(frozen=True, slots=True)
class RunReport:
    """The typed figures behind ``report.json`` (the writers read these)."""

    verdict: Verdict
    trading_end: TradingEnd
    end_of_trading: Moment
    end_of_data: Moment
    plan: PlanTargets
    outcome_line: str
    trades: tuple[TradeFacts, ...]
    stats: TraderStats
    drawdown: Drawdown
    months: tuple[MonthRow, ...]
    why: WhyNoTrades

    @property
    def trading_end_ms(self) -> int:
        return self.end_of_trading.ts_ms


@dataclass
class Summary:
    """The figures of one replay (``to_json`` gives ``report.json``)."""

    figures: dict[str, Any]
    path: EquityPath
    collector: Collector
    report: RunReport
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**self.figures, **self.extra}


def _round(x: float, digits: int) -> float:
    return float(round(x, digits))


def _moment(label, collector, path, ts_ms, start_ms, start_mark, trades) -> Moment:
    """Figures after the tick at ``ts_ms`` (at the last candle close at or before it)."""
    i = int(np.searchsorted(path.ts_ms, ts_ms, "right")) - 1
    b0 = collector.start_btc
    if i < 0:
        return Moment(label, start_ms, start_ms, 0, Attribution(b0, start_mark, b0, start_mark))
    at, price = int(path.ts_ms[i]), Decimal(repr(float(path.mark[i])))
    btc = collector.exact_equity_btc(at, price).quantize(SATOSHI)  # an open uPnL, to the sat
    closed = sum(1 for t in trades if t.exit_ms <= at)
    return Moment(label, at, start_ms, closed, Attribution(b0, start_mark, btc, price))


def _refusals_until(collector: Collector, end_ms: int) -> tuple[dict[str, int], int]:
    """Refusals by reason and evaluations before the end of trading (a run by its first)."""
    counts: Counter = Counter()
    evaluations = 0
    for row in collector.decisions.rows:
        if row.ts_ms < end_ms:  # the end tick itself refuses for the end's reason
            evaluations += row.count
            if not row.accepted:
                counts[row.reason] += row.count
    return dict(counts), evaluations


def build_report(
    collector: Collector,
    path: EquityPath,
    halt: HaltState,
    start_ms: int,
    end_ms: int,
    start_mark: Decimal,
) -> RunReport:
    """Every figure of the run, the two moments kept apart."""
    manual = first_manual_halt(collector)
    live_until = manual[0] if manual else None
    reached_200 = first_at_or_above(path, REVIEW_EQUITY_USD, live_until)
    reached_1000 = first_at_or_above(path, SUCCESS_EQUITY_USD, live_until)
    verdict = outcome(halt, reached_1000, start_ms, end_ms)
    ended = trading_end(verdict.outcome, start_ms, manual, reached_1000)
    trades = tuple(facts_of(collector.closed))
    data_end = int(path.ts_ms[-1]) if path.ts_ms.size else start_ms
    stop = data_end if ended.ts_ms is None else min(ended.ts_ms, data_end)
    args = (collector, path)
    at_trading = _moment(END_OF_TRADING, *args, stop, start_ms, start_mark, trades)
    at_data = _moment(END_OF_DATA, *args, data_end, start_ms, start_mark, trades)
    keep = path.ts_ms <= at_trading.ts_ms
    if reached_200 is not None and reached_200 > at_trading.ts_ms:
        reached_200 = None  # after the end of trading: the plan's target was not met
    success = reached_1000 if verdict.outcome is Outcome.SUCCESS else None
    plan = plan_targets(start_ms, at_trading.ts_ms, reached_200, success)
    open_entry = collector.open_entry
    start_usd = f"{at_trading.attribution.start_usd:,.0f}"
    return RunReport(
        verdict=verdict,
        trading_end=ended,
        end_of_trading=at_trading,
        end_of_data=at_data,
        plan=plan,
        outcome_line=outcome_line(plan, verdict.outcome, start_usd, manual, iso),
        trades=trades,
        stats=trader_stats(
            trades, start_ms, at_trading.ts_ms, open_entry.ts_ms if open_entry else None
        ),
        drawdown=max_drawdown(path.ts_ms[keep], path.equity_usd[keep]),
        months=tuple(month_table(trades, path, start_ms, at_trading.ts_ms)),
        why=why_no_trades(collector.refusals, *_refusals_until(collector, at_trading.ts_ms)),
    )


def summarize(
    collector: Collector,
    path: EquityPath,
    halt: HaltState,
    start_ms: int,
    end_ms: int,
    start_mark: Decimal,
) -> Summary:
    """Build the report figures from the collector, the equity path and the final halt."""
    r = build_report(collector, path, halt, start_ms, end_ms, start_mark)
    figures = {
        **_headline(r),
        **_figures(r, collector, path),
        "from": iso(start_ms),
        "to": iso(end_ms),
    }
    return Summary(figures, path, collector, r)


def _headline(r: RunReport) -> dict[str, Any]:
    """The outcome and the two moments (the first keys of ``report.json``)."""
    start = r.end_of_trading.attribution
    return {
        "outcome": r.verdict.outcome.value,
        "outcome_reason": r.verdict.why,
        "outcome_line": r.outcome_line,
        "start_equity_usd": _round(float(start.start_usd), 2),
        "start_equity_btc": _round(float(start.start_btc), 8),
        "end_of_trading": {"cause": r.trading_end.cause, **r.end_of_trading.to_json(iso)},
        "end_of_data": r.end_of_data.to_json(iso),
        "plan": r.plan.to_json(iso),
    }


def _figures(r: RunReport, collector: Collector, path: EquityPath) -> dict[str, Any]:
    """Trades, statistics, months, refusals and counts (the trading period's figures)."""
    usd = path.equity_usd[path.ts_ms <= r.trading_end_ms]
    wins = sum(1 for t in r.trades if t.is_win)
    return {
        "trades": len(r.trades),
        "wins": wins,
        "winrate": _round(wins / len(r.trades), 4) if r.trades else None,
        "stats": r.stats.to_json(),
        "drawdown": r.drawdown.to_json(iso),
        "months": [m.to_json() for m in r.months],
        "month_totals": totals(r.months).to_json(),
        "why_no_trades": r.why.to_json(),
        "halts": halts_by_reason(collector),
        "rejects": dict(sorted(collector.decisions.rejects.items())),
        "reached_200_at": iso(r.plan.reached_200_ms),
        "reached_1000_at": iso(r.plan.success_ms),
        "evaluations": collector.decisions.total,
        "accepts": collector.decisions.accepts,
        "pnl_btc": str(r.stats.pnl_btc),
        "fees_btc": str(r.stats.fees_btc),
        "peak_equity_usd": _round(float(usd.max()), 2) if usd.size else None,
        "min_equity_usd": _round(float(usd.min()), 2) if usd.size else None,
    }
