"""The report's figures: outcome (SPEC H2/E5), equity, drawdown, targets, counts by reason.

Everything here is a pure function of what the collector gathered and the core's final state;
the writers (``tables``, ``plot``, ``html``) and ``report.json`` take the ``Summary``.
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
from accountbuilder_runner.reporting.collector import Collector, EquityPath

OPENING_EVENTS = (HaltLogEvent.RAISED, HaltLogEvent.ESCALATED)


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


def first_manual_halt_ms(collector: Collector) -> int | None:
    """When the account stopped trading for good: a manual HALT (nobody resets it in a replay)."""
    for h in collector.halts:
        if h.event in OPENING_EVENTS and h.kind is HaltKind.MANUAL:
            return h.ts_ms
    return None


def max_drawdown_pct(equity_usd: np.ndarray) -> float:
    """Largest fall from a running peak, in percent of that peak (candle closes)."""
    if equity_usd.size == 0:
        return 0.0
    peak = np.maximum.accumulate(equity_usd)
    return float(np.max(1.0 - equity_usd / peak) * 100.0)


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


@dataclass
class Summary:
    """The figures of one replay (``to_json`` gives ``report.json``)."""

    figures: dict[str, Any]
    path: EquityPath
    collector: Collector
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**self.figures, **self.extra}


def _round(x: float, digits: int) -> float:
    return float(round(x, digits))


def summarize(
    collector: Collector,
    path: EquityPath,
    halt: HaltState,
    start_ms: int,
    end_ms: int,
) -> Summary:
    """Build the report figures from the collector, the equity path and the final halt."""
    usd, btc = path.equity_usd, path.equity_btc
    closed = collector.closed
    wins = sum(1 for c in closed if c.exit.is_win)
    live_until = first_manual_halt_ms(collector)
    reached_200 = first_at_or_above(path, REVIEW_EQUITY_USD, live_until)
    reached_1000 = first_at_or_above(path, SUCCESS_EQUITY_USD, live_until)
    verdict = outcome(halt, reached_1000, start_ms, end_ms)
    start_usd = float(btc[0] * path.mark[0]) if btc.size else 0.0
    figures: dict[str, Any] = {
        "start_equity_usd": _round(start_usd, 2),
        "end_equity_usd": _round(float(usd[-1]), 2) if usd.size else None,
        "start_equity_btc": _round(float(btc[0]), 8) if btc.size else None,
        "end_equity_btc": _round(float(btc[-1]), 8) if btc.size else None,
        "trades": len(closed),
        "wins": wins,
        "winrate": _round(wins / len(closed), 4) if closed else None,
        "max_drawdown_pct": _round(max_drawdown_pct(usd), 2),
        "halts": halts_by_reason(collector),
        "rejects": dict(sorted(collector.decisions.rejects.items())),
        "reached_200_at": iso(reached_200),
        "reached_1000_at": iso(reached_1000),
        "outcome": verdict.outcome.value,
        "outcome_reason": verdict.why,
        "from": iso(start_ms),
        "to": iso(end_ms),
        "evaluations": collector.decisions.total,
        "accepts": collector.decisions.accepts,
        "pnl_btc": str(sum((c.exit.pnl_btc for c in closed), Decimal(0))),
        "fees_btc": str(sum((c.exit.actual_fee_btc for c in closed), Decimal(0))),
        "peak_equity_usd": _round(float(usd.max()), 2) if usd.size else None,
        "min_equity_usd": _round(float(usd.min()), 2) if usd.size else None,
    }
    return Summary(figures, path, collector)
