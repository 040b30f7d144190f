"""Why no trades: refusal counts by gate in SPEC D's chain order, and the binding constraint.

``RefusalLog`` is fed every gate evaluation of a replay (with the ATR the volatility gate
read) and keeps, per refusal reason, the figures of the refusal that came closest to passing.
``why_no_trades`` names the most frequent refusal with those figures, e.g.
"ATR_pct_24h 1.8 % never above S1's 3.0 %" or "$100 at 3x needs a stop ≥ 3.3 %; the grid
gave 2.1 %".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accountbuilder.domain.reasons import ReasonCode as R
from accountbuilder.records.decision_log import DecisionRecord

# SPEC D: halt/cooldown/blocks → stage & anti-flap → trades per day → volatility → one position
# → win-rate → sizing → margin → liquidation → EV → maker policy. (gate, rules, reasons)
GATE_CHAIN: tuple[tuple[str, str, tuple[R, ...]], ...] = (
    (
        "halt, cooldown, blocks",
        "D6 H2 H3 F3",
        (
            R.HALTED,
            R.COOLDOWN,
            R.BLOCKED,
            R.DEGRADED_MODE,
            R.STALE_DATA,
            R.TARGET_REACHED,
            R.EQUITY_BELOW_HARD_STOP,
            R.EIGHTEEN_MONTH_FAILURE,
        ),
    ),
    (
        "stage, anti-flap, leverage",
        "B1 B3 B5",
        (R.ANTI_FLAP, R.LEVERAGE_ABOVE_CAP, R.LEVERAGE_INCREASE),
    ),
    ("trades per day", "B2 B6", (R.TRADES_PER_DAY,)),
    ("volatility", "D2", (R.VOLATILITY_TOO_LOW, R.VOLATILITY_UNKNOWN)),
    ("one position", "D7", (R.POSITION_OPEN,)),
    (
        "win rate",
        "D4",
        (R.WINRATE_BACKTEST_TOO_LOW, R.WINRATE_BACKTEST_MISSING, R.WINRATE_HARD_GATE),
    ),
    (
        "sizing",
        "C1-C3",
        (R.STOP_DISTANCE_INVALID, R.CONTRACTS_BELOW_MIN, R.LOSS_AT_STOP_OVER_BUDGET),
    ),
    ("margin", "C4", (R.MARGIN_INSUFFICIENT,)),
    ("liquidation", "C5 C6", (R.LIQ_DISTANCE_TOO_SMALL, R.LIQ_FALLBACK_LIMITS)),
    ("EV", "D1 G4", (R.EV_TOO_LOW, R.TAKE_PROFIT_NOT_BEYOND_TAKER_PRICE)),
    ("maker policy", "D3 D8 G4", (R.MAKER_ONLY, R.TAKER_NOT_ALLOWED)),
)
OTHER = ("other", "-")
# refusals made before the volatility gate read the ATR
BEFORE_VOLATILITY = frozenset(r for _, _, rs in GATE_CHAIN[:3] for r in rs) | {R.INVALID_INPUT}


def _dec(figures: Mapping[str, Any], key: str) -> Decimal | None:
    value = figures.get(key)
    return None if value is None else Decimal(str(value))


def _closeness(d: DecisionRecord) -> Decimal:
    """How near a refusal came to passing (higher is nearer); ties: the latest wins."""
    f = d.figures
    if d.reason is R.MARGIN_INSUFFICIENT:
        return _dec(f, "stop_distance_pct") or Decimal(0)  # a wider stop needs less margin
    if d.reason is R.EV_TOO_LOW:
        profit, fee, k = (_dec(f, n) for n in ("expected_profit_usd", "estimated_fee_usd", "k"))
        if profit is not None and fee and k:
            return profit / (fee * k)
    return Decimal(d.ts_ms)


@dataclass(frozen=True, slots=True)
class AtrSeen:
    """The highest ATR_pct_24h the volatility gate read, with the stage's threshold then."""

    pct: Decimal
    need: Decimal
    stage: str
    ts_ms: int


@dataclass
class RefusalLog:
    """Per refusal reason: count, and the nearest-to-passing refusal; the highest ATR seen."""

    counts: Counter = field(default_factory=Counter)
    nearest: dict[R, tuple[Decimal, DecisionRecord]] = field(default_factory=dict)
    atr_max: AtrSeen | None = None

    def add(self, d: DecisionRecord, atr: tuple[Decimal, Decimal] | None = None) -> None:
        """One evaluation; ``atr`` is ``(ATR_pct_24h, the stage's threshold)`` when known."""
        read = d.accepted or d.reason not in BEFORE_VOLATILITY
        if read and atr is not None and (self.atr_max is None or atr[0] > self.atr_max.pct):
            stage = d.stage.value.upper() if d.stage is not None else "?"
            self.atr_max = AtrSeen(atr[0], atr[1], stage, d.ts_ms)
        if d.accepted:
            return
        self.counts[d.reason] += 1
        score = _closeness(d)
        best = self.nearest.get(d.reason)
        if best is None or score >= best[0]:
            self.nearest[d.reason] = (score, d)


@dataclass(frozen=True, slots=True)
class GateCount:
    gate: str
    rules: str
    count: int
    reasons: tuple[tuple[str, int], ...]


def refusals_by_gate(counts: Mapping[str, int]) -> list[GateCount]:
    """Refusals grouped by gate, in the chain's order (gates that refused nothing omitted)."""
    seen: set[str] = set()
    out = []
    for gate, rules, reasons in GATE_CHAIN:
        found = tuple((r.value, counts[r.value]) for r in reasons if counts.get(r.value))
        seen.update(r.value for r in reasons)
        if found:
            out.append(GateCount(gate, rules, sum(n for _, n in found), found))
    rest = tuple(sorted((r, n) for r, n in counts.items() if r not in seen and n))
    if rest:
        out.append(GateCount(*OTHER, sum(n for _, n in rest), rest))
    return out


def _pct(x: Decimal) -> str:
    return f"{x * 100:.1f} %"


def _volatility_text(atr: AtrSeen | None) -> str:
    if atr is None:
        return "ATR_pct_24h unknown (D2)"
    if atr.pct <= atr.need:
        return f"ATR_pct_24h {_pct(atr.pct)} never above {atr.stage}'s {_pct(atr.need)} (D2)"
    return (
        f"ATR_pct_24h at or below the stage's threshold (D2); it peaked at {_pct(atr.pct)} "
        f"with {atr.stage} needing more than {_pct(atr.need)}"
    )


def _margin_text(f: Mapping[str, Any]) -> str:
    stop, eq_btc = _dec(f, "stop_distance_pct"), _dec(f, "equity_btc")
    margin, buffer = _dec(f, "required_margin_btc"), _dec(f, "fee_buffer_btc")
    if None in (stop, eq_btc, margin, buffer) or not eq_btc:
        return "margin plus fee buffer above equity (C4)"
    # contracts ∝ 1 / stop (C2), so margin + buffer ∝ 1 / stop: the stop at which they fit
    need = stop * (margin + buffer) / eq_btc
    usd, lev = _dec(f, "equity_usd") or Decimal(0), _dec(f, "leverage")
    return (
        f"${usd:.0f} at {lev:g}x needs a stop ≥ {_pct(need)}; the grid gave {_pct(stop)} "
        f"(C4: margin + fee buffer ≤ equity)"
    )


def _ev_text(f: Mapping[str, Any]) -> str:
    profit, fee, k = (_dec(f, n) for n in ("expected_profit_usd", "estimated_fee_usd", "k"))
    if None in (profit, fee, k):
        return "expected profit below the fee × K (D1)"
    return f"expected profit ${profit:.2f} below the fee ${fee:.2f} × K {k:g} (D1)"


PLAIN = {
    R.TRADES_PER_DAY: "the stage's trades per UTC day were used up (B2)",
    R.STALE_DATA: "the mark was stale: a gap in the data",
    R.HALTED: "the account was in HALT",
    R.COOLDOWN: "the account was in COOLDOWN after a HALT (E4)",
    R.BLOCKED: "a block timer ran (D6)",
    R.WINRATE_BACKTEST_TOO_LOW: "the stored backtest win rate is below 55 % (D4)",
    R.WINRATE_BACKTEST_MISSING: "no stored backtest win rate (D4)",
    R.MAKER_ONLY: "the stage is maker-only: no taker fallback (D3)",
    R.TAKER_NOT_ALLOWED: "the G4 taker fallback's conditions were not met",
    R.LOSS_AT_STOP_OVER_BUDGET: "one contract loses more than the budget at the stop (C3)",
    R.CONTRACTS_BELOW_MIN: "the loss budget buys less than one contract (C2)",
    R.LIQ_DISTANCE_TOO_SMALL: "the liquidation price is too near the entry (C5)",
    R.TAKE_PROFIT_NOT_BEYOND_TAKER_PRICE: "the taker's worst price is already past the next grid level (G4)",
}


def constraint_text(reason: R, nearest: DecisionRecord | None, atr: AtrSeen | None) -> str:
    """The binding constraint in words, with its figures."""
    figures = nearest.figures if nearest is not None else {}
    if reason in (R.VOLATILITY_TOO_LOW, R.VOLATILITY_UNKNOWN):
        return _volatility_text(atr)
    if reason is R.MARGIN_INSUFFICIENT:
        return _margin_text(figures)
    if reason is R.EV_TOO_LOW:
        return _ev_text(figures)
    return PLAIN.get(reason, reason.value)


@dataclass(frozen=True, slots=True)
class WhyNoTrades:
    reason: str | None
    count: int
    refusals: int
    evaluations: int
    text: str
    by_gate: tuple[GateCount, ...]

    @property
    def dominates(self) -> bool:
        """Refusals are most evaluations: the top one is the binding constraint."""
        return self.refusals * 2 > self.evaluations

    @property
    def label(self) -> str:
        if self.reason is None:
            return "refusals"
        return "binding constraint" if self.dominates else "most frequent refusal"

    def to_json(self) -> dict[str, Any]:
        return {
            "binding_reason": self.reason,
            "dominates": self.dominates,
            "binding_count": self.count,
            "refusals": self.refusals,
            "evaluations": self.evaluations,
            "text": self.text,
            "by_gate": [
                {"gate": g.gate, "rules": g.rules, "count": g.count, "reasons": dict(g.reasons)}
                for g in self.by_gate
            ],
        }


def why_no_trades(log: RefusalLog, counts: Mapping[str, int], evaluations: int) -> WhyNoTrades:
    """The most frequent refusal, in words with its figures, and the counts by gate.

    ``counts`` (refusals by reason) and ``evaluations`` cover the trading period only: after
    SUCCESS every evaluation is a ``TARGET_REACHED`` refusal, which explains nothing.
    """
    by_gate = tuple(refusals_by_gate(counts))
    refusals = sum(counts.values())
    if not refusals:
        return WhyNoTrades(None, 0, 0, evaluations, "no entry was refused", by_gate)
    order = [r.value for _, _, rs in GATE_CHAIN for r in rs]
    rank = {r: -i for i, r in enumerate(order)}  # equal counts: the earlier gate binds
    name, count = max(counts.items(), key=lambda kv: (kv[1], rank.get(kv[0], -len(order))))
    reason = R(name)
    nearest = log.nearest.get(reason)
    text = constraint_text(reason, nearest[1] if nearest else None, log.atr_max)
    share = f"{count:,} of {evaluations:,} evaluations refused by {name}"
    return WhyNoTrades(name, count, refusals, evaluations, f"{text} — {share}", by_gate)
