"""The entry gate chain (SPEC D): one fixed order, the first refusal wins.

halt/cooldown/blocks → stage & anti-flap → trades per day → volatility → one position (D7) →
win-rate (D4) → sizing (C1-C3) → margin (C4) → liquidation (C5/C6) → EV (D1) → maker policy (D3).

Every gate reads the ``EntryContext`` and what earlier gates computed, records its figures,
and returns a ``Denial`` or None. Nothing outside the returned ``EntryDecision`` changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from accountbuilder.config.models import StageRules
from accountbuilder.domain.enums import HaltKind, Liquidity, MainState, MakerPolicy, Outcome
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.risk import account, ev, liquidation, margin, sizing
from accountbuilder.risk.antiflap import MAX_CHANGES
from accountbuilder.risk.context import (
    FIGURE_FIELDS,
    EntryContext,
    EntryDecision,
    GateResult,
    HaltDemand,
)
from accountbuilder.risk.winrate import WinRateAssessment

# G4: the taker fallback needs this many consecutive maker timeouts; at most one per UTC day.
TAKER_AFTER_MAKER_TIMEOUTS = 3
TAKER_ENTRIES_PER_DAY = 1

_ENTRY_STATES = (MainState.ENTRY_PENDING, MainState.IN_POSITION, MainState.EXIT_PENDING)


@dataclass(slots=True)
class _Work:
    """Values computed so far in one evaluation (local to ``evaluate_entry``)."""

    values: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    warnings: list[ReasonCode] = field(default_factory=list)
    halt: HaltDemand | None = None
    rules: StageRules | None = None
    winrate: WinRateAssessment | None = None

    def put(self, **values: Any) -> None:
        """Record decision figures, also shown in the current gate's figures."""
        self.values.update(values)
        self.figures.update(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


Gate = Callable[[EntryContext, _Work], Denial | None]


def _gate_halt(ctx: EntryContext, w: _Work) -> Denial | None:
    """D6 (+ H2, H3, F3, stale data): the account may trade at all."""
    mark = ctx.market.mark_price
    if not mark.is_finite() or mark <= 0:
        return Denial(ReasonCode.INVALID_INPUT, {"mark_price": mark})
    eq_btc = account.equity_btc(ctx.account)
    w.put(equity_btc=eq_btc, equity_usd=account.equity_usd(eq_btc, mark))
    if ctx.main_state is MainState.HALT:
        return Denial(ReasonCode.HALTED, {"state": ctx.main_state.value})
    targets = ctx.risk_state.targets.assess(w.equity_usd, ctx.now_ms)
    w.figures.update(targets.figures())
    if targets.review_required:
        w.warnings.append(ReasonCode.STRATEGY_REVIEW_REQUIRED)
    if targets.halt is not None:
        w.halt = HaltDemand(targets.halt, HaltKind.MANUAL)
        code = ReasonCode.EQUITY_BELOW_HARD_STOP
        if targets.halt is ReasonCode.EIGHTEEN_MONTH_FAILURE:
            code = ReasonCode.EIGHTEEN_MONTH_FAILURE
        return Denial(code, {"equity_usd": w.equity_usd, **targets.figures()})
    if ctx.main_state is MainState.COOLDOWN:
        return Denial(ReasonCode.COOLDOWN, {"state": ctx.main_state.value})
    return _gate_halt_timers(ctx, w, targets.outcome)


def _gate_halt_timers(ctx: EntryContext, w: _Work, outcome: Outcome) -> Denial | None:
    running = ctx.risk_state.blocks.active(ctx.now_ms)
    if running:
        block = running[0]
        return Denial(
            ReasonCode.BLOCKED,
            {"block": block.reason.value, "until_ms": block.until_ms, "count": len(running)},
        )
    if ctx.degraded:
        return Denial(ReasonCode.DEGRADED_MODE, {"degraded": True})
    age_ms = ctx.now_ms - ctx.market.ts_ms
    max_age_ms = int(ctx.config.emergency.latency_block_s * 1000)
    w.figures.update(mark_age_ms=age_ms)
    if age_ms > max_age_ms:
        return Denial(ReasonCode.STALE_DATA, {"mark_age_ms": age_ms, "max_ms": max_age_ms})
    if outcome is Outcome.SUCCESS:
        return Denial(ReasonCode.TARGET_REACHED, {"equity_usd": w.equity_usd})
    return None


def _gate_stage(ctx: EntryContext, w: _Work) -> Denial | None:
    """B1 stage, B4 loss budget, B5 anti-flap, B3 leverage."""
    stage = account.stage_for(w.equity_usd)
    w.rules = ctx.config.stage.stages.for_stage(stage)
    w.put(
        stage=stage, max_loss_btc=account.max_loss_btc(w.equity_btc, ctx.market.mark_price, w.rules)
    )
    flap = ctx.risk_state.antiflap.observe(stage, ctx.now_ms)
    changes = flap.changes_within_hour(ctx.now_ms)
    w.figures.update(stage_changes_last_hour=changes)
    if flap.tripped(ctx.now_ms):
        return Denial(
            ReasonCode.ANTI_FLAP, {"stage_changes_last_hour": changes, "max": MAX_CHANGES}
        )
    two_x_above = ctx.config.stage.leverage_2x_above_usd
    lev = account.entry_leverage(w.rules, w.equity_usd, ctx.leverage_in_force, two_x_above)
    if isinstance(lev, Denial):
        return lev
    w.put(leverage=lev)
    return None


def _gate_trades_per_day(ctx: EntryContext, w: _Work) -> Denial | None:
    """B2/B6: entries counted at first fill per UTC day."""
    today = ctx.risk_state.daily.trades_on(ctx.now_ms)
    limit = w.rules.max_trades_per_day
    w.figures.update(trades_today=today, max_trades_per_day=limit)
    if today >= limit:
        return Denial(ReasonCode.TRADES_PER_DAY, {"trades_today": today, "max": limit})
    return None


def _gate_volatility(ctx: EntryContext, w: _Work) -> Denial | None:
    """D2: ATR_pct_24h must exceed the stage threshold."""
    atr, need = ctx.market.atr_pct_24h, w.rules.atr_min_pct
    w.figures.update(atr_pct_24h=atr, must_exceed=need)
    if atr is None:
        return Denial(ReasonCode.VOLATILITY_UNKNOWN, {"must_exceed": need})
    if atr <= need:
        return Denial(ReasonCode.VOLATILITY_TOO_LOW, {"atr_pct_24h": atr, "must_exceed": need})
    return None


def _gate_one_position(ctx: EntryContext, w: _Work) -> Denial | None:
    """D7: one position at a time, one-way; an entry or exit under way counts as open."""
    pos = ctx.position
    w.figures.update(state=ctx.main_state.value, position=pos.side.value if pos else "none")
    if pos is None and ctx.main_state not in _ENTRY_STATES:
        return None
    figures: dict[str, Any] = {"state": ctx.main_state.value, "wanted": ctx.signal.side.value}
    if pos is not None:
        figures.update(open_side=pos.side.value, open_contracts=pos.contracts)
    return Denial(ReasonCode.POSITION_OPEN, figures)


def _gate_winrate(ctx: EntryContext, w: _Work) -> Denial | None:
    """D4: backtest, soft and hard phases."""
    w.winrate = ctx.risk_state.winrate.assess()
    w.figures.update(w.winrate.figures())
    if w.winrate.warning is not None:
        w.warnings.append(w.winrate.warning)
    if w.winrate.halt:
        w.halt = HaltDemand(ReasonCode.WINRATE_HARD_GATE, HaltKind.MANUAL)
    return w.winrate.denial


def _gate_sizing(ctx: EntryContext, w: _Work) -> Denial | None:
    """C1-C3 (with C6's haircut when no liquidation estimate is obtainable)."""
    multiplier = ctx.risk_state.streak.multiplier * w.winrate.size_factor
    available = liquidation.estimate_available(ctx.instrument)
    haircut = Decimal(1) if available else liquidation.FALLBACK_HAIRCUT
    w.put(size_multiplier=multiplier, liq_estimated=available)
    w.figures.update(haircut=haircut)
    sig = ctx.signal
    result = sizing.size_entry(
        sig.side,
        sig.entry_price,
        sig.grid_spacing_pct,
        w.max_loss_btc,
        multiplier,
        haircut,
        ctx.instrument,
    )
    if isinstance(result, Denial):
        return result
    w.put(**{k: v for k, v in result.figures().items() if k in FIGURE_FIELDS})
    w.figures.update(contracts_c2=result.contracts_c2, contracts_budget=result.contracts_budget)
    return None


def _gate_margin(ctx: EntryContext, w: _Work) -> Denial | None:
    """C4: margin plus fee buffer within equity."""
    taker = ctx.signal.liquidity is Liquidity.TAKER
    check = margin.margin_check(
        w.contracts,
        w.entry_price,
        w.leverage,
        ctx.fees.maker,
        w.equity_btc,
        entry_fee=ctx.fees.taker if taker else None,
    )
    w.put(required_margin_btc=check.required_margin_btc, fee_buffer_btc=check.fee_buffer_btc)
    return margin.check_margin(check)


def _gate_liquidation(ctx: EntryContext, w: _Work) -> Denial | None:
    """C5 estimate and distance gate, or C6's fallback limits."""
    est = liquidation.estimate_liquidation(
        ctx.signal.side,
        w.contracts,
        w.entry_price,
        w.leverage,
        ctx.instrument,
        ctx.config.risk.margin_mode,
        w.equity_btc,
        ctx.fees.taker,
    )
    if est is None:
        return liquidation.check_fallback(w.leverage, w.stop_distance_pct)
    w.put(liq_price=est.liq_price, liq_distance_pct=est.liq_distance_pct)
    risk = ctx.config.risk
    need = liquidation.required_liq_distance(
        w.stop_distance_pct, risk.liq_multiple, risk.liq_floor_pct
    )
    w.figures.update(mmr=est.mmr, margin_mode=est.margin_mode.value, need=need)
    return liquidation.check_liq_distance(
        est.liq_distance_pct, w.stop_distance_pct, risk.liq_multiple, risk.liq_floor_pct
    )


def _take_profit(ctx: EntryContext, w: _Work) -> Decimal | Denial:
    sig, tick = ctx.signal, ctx.instrument.tick_size
    if sig.take_profit_price is not None:
        tp = sizing.round_to_tick(sig.take_profit_price, tick, up=sig.side.sign > 0)
    elif sig.grid_spacing_pct is not None:
        tp = sizing.take_profit_price(sig.side, w.entry_price, sig.grid_spacing_pct, tick)
    else:
        return Denial(ReasonCode.INVALID_INPUT, {"take_profit_price": "unknown"})
    if (tp - w.entry_price) * sig.side.sign <= 0:
        # G4: the taker's worst acceptable price is already at or past the next level
        code = (
            ReasonCode.TAKE_PROFIT_NOT_BEYOND_TAKER_PRICE
            if sig.liquidity is Liquidity.TAKER
            else ReasonCode.INVALID_INPUT
        )
        return Denial(code, {"take_profit_price": tp, "entry_price": w.entry_price})
    return tp


def _gate_ev(ctx: EntryContext, w: _Work) -> Denial | None:
    """D1 with D8's K × 1.5 during a fee spike."""
    tp = _take_profit(ctx, w)
    if isinstance(tp, Denial):
        return tp
    taker = ctx.signal.liquidity is Liquidity.TAKER
    rate = ctx.fees.taker if taker else ctx.fees.maker
    spike = ctx.risk_state.fee_spike.active(ctx.now_ms)
    k = ev.ev_factor(w.rules.ev_k, spike, ctx.config.risk.fee_spike_k_multiplier)
    check = ev.EvCheck(
        ev.expected_profit_usd(ctx.signal.side, w.contracts, w.entry_price, tp),
        ev.estimated_fee_usd(w.contracts, rate),
        k,
    )
    w.put(
        take_profit_price=tp,
        expected_profit_usd=check.expected_profit_usd,
        estimated_fee_usd=check.estimated_fee_usd,
        k=k,
    )
    w.figures.update(fee_rate=rate, fee_spike=spike, need_usd=check.need_usd)
    return ev.check_ev(check)


def _gate_maker_policy(ctx: EntryContext, w: _Work) -> Denial | None:
    """D3 (PostOnly; taker only through G4) and D8 (maker-only during a fee spike)."""
    policy = w.rules.maker_policy
    spike = ctx.risk_state.fee_spike.active(ctx.now_ms)
    w.figures.update(liquidity=ctx.signal.liquidity.value, maker_policy=policy, fee_spike=spike)
    if ctx.signal.liquidity is Liquidity.MAKER:
        return None
    if policy == MakerPolicy.ENFORCED:
        return Denial(ReasonCode.MAKER_ONLY, {"stage": w.stage.value, "maker_policy": "enforced"})
    if spike:
        until = ctx.risk_state.fee_spike.until_ms
        return Denial(ReasonCode.MAKER_ONLY, {"fee_spike_until_ms": until})
    return _check_taker_fallback(ctx, w)


def _check_taker_fallback(ctx: EntryContext, w: _Work) -> Denial | None:
    """G4: 3 maker timeouts, none used today, expected profit ≥ taker fee × 5."""
    timeouts = ctx.signal.maker_timeouts
    used = ctx.risk_state.daily.taker_entries_on(ctx.now_ms)
    taker_fee_usd = ev.estimated_fee_usd(w.contracts, ctx.fees.taker)
    figures = {
        "maker_timeouts": timeouts,
        "taker_entries_today": used,
        "expected_profit_usd": w.expected_profit_usd,
        "taker_fee_usd_x5": taker_fee_usd * ev.TAKER_EV_MULTIPLE,
    }
    w.figures.update(figures)
    ok = (
        timeouts >= TAKER_AFTER_MAKER_TIMEOUTS
        and used < TAKER_ENTRIES_PER_DAY
        and ev.taker_ev_ok(w.expected_profit_usd, w.contracts, ctx.fees.taker)
    )
    return None if ok else Denial(ReasonCode.TAKER_NOT_ALLOWED, figures)


GATES: tuple[tuple[str, Gate], ...] = (
    ("halt", _gate_halt),
    ("stage", _gate_stage),
    ("trades_per_day", _gate_trades_per_day),
    ("volatility", _gate_volatility),
    ("one_position", _gate_one_position),
    ("winrate", _gate_winrate),
    ("sizing", _gate_sizing),
    ("margin", _gate_margin),
    ("liquidation", _gate_liquidation),
    ("ev", _gate_ev),
    ("maker_policy", _gate_maker_policy),
)
GATE_ORDER: tuple[str, ...] = tuple(name for name, _ in GATES)


def evaluate_entry(ctx: EntryContext) -> EntryDecision:
    """Run the gate chain in SPEC D's order; the first refusal stops it.

    The decision lists every gate (those after a refusal with ``passed=None``), the first
    ``Denial``, a ``HaltDemand`` when a gate requires a HALT, warnings, and every figure.
    """
    w = _Work()
    results: list[GateResult] = []
    denial: Denial | None = None
    for name, gate in GATES:
        if denial is not None:
            results.append(GateResult(name, None))
            continue
        w.figures = {}
        denial = gate(ctx, w)
        results.append(GateResult(name, denial is None, MappingProxyType(w.figures), denial))
    return EntryDecision(
        accepted=denial is None,
        denial=denial,
        gates=tuple(results),
        side=ctx.signal.side,
        liquidity=ctx.signal.liquidity,
        halt=w.halt,
        warnings=tuple(w.warnings),
        **{name: w.values.get(name) for name in FIGURE_FIELDS},
    )
