"""How long a refusal of the entry gate chain provably stands (SPEC D, B, H2/H3): its ``Standing``.

A refusal stands when every gate before the refusing one would pass again with the same
record figures (stage, side, contracts) and the refusing gate would refuse again for the same
reason. Each gate says while what and until when its answer holds:

- **halt** (D6, H2, H3): FLAT, no block running, equity between the H3 stop ($80), the peak
  seen so far (so the persisted peak cannot move) and SUCCESS ($1,000); H2's review and
  18-month times; ``TARGET_REACHED`` then stands for good; ``BLOCKED`` until the first
  running block ends;
- **stage** (B1, B3, B5): equity inside the stage's band and on the same side of the 2x
  leverage threshold; the anti-flap count can only fall while the stage does not change;
- **trades_per_day** (B2, B6): ``TRADES_PER_DAY`` until UTC midnight (a count rises only with a
  fill, which is an exchange event and wakes the core anyway);
- **volatility** (D2): ``ATR ÷ mark ≤ threshold`` while ``mark > ATR / threshold``, until the
  next daily candle changes the ATR (UTC midnight); ``VOLATILITY_UNKNOWN`` until then too.

Any other refusal (sizing and later gates read the mark through B4, so their contracts change
with it), an acceptance or a demanded HALT gives None: the next tick runs.
"""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.constants import (
    FAILURE_AFTER_DAYS,
    HARD_STOP_EQUITY_USD,
    REVIEW_AFTER_DAYS,
    REVIEW_EQUITY_USD,
    STAGE2_FROM_USD,
    STAGE3_FROM_USD,
    SUCCESS_EQUITY_USD,
)
from accountbuilder.domain.enums import MainState, Stage
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.domain.standing import (
    ALWAYS,
    Standing,
    above,
    below,
    next_utc_midnight,
    until,
)
from accountbuilder.risk.context import EntryContext, EntryDecision

DAY_MS = 86_400_000
_STANDS = frozenset(
    {
        ReasonCode.TARGET_REACHED,
        ReasonCode.BLOCKED,
        ReasonCode.TRADES_PER_DAY,
        ReasonCode.VOLATILITY_TOO_LOW,
        ReasonCode.VOLATILITY_UNKNOWN,
    }
)
_AFTER_STAGE = frozenset(
    {ReasonCode.TRADES_PER_DAY, ReasonCode.VOLATILITY_TOO_LOW, ReasonCode.VOLATILITY_UNKNOWN}
)


def refusal_standing(
    ctx: EntryContext, decision: EntryDecision, atr: float | None
) -> Standing | None:
    """The standing of ``decision`` (a refusal evaluated from ``ctx``); None if it may not stand.

    ``atr`` is the daily ATR in price units that ``ctx.market.atr_pct_24h`` was computed from.
    """
    reason = decision.reason
    if reason not in _STANDS or decision.halt is not None or ctx.degraded:
        return None
    if ctx.main_state is not MainState.FLAT or decision.equity_btc is None:
        return None
    equity = decision.equity_btc
    if equity <= 0:
        return None
    parts = [_halt_gate(ctx, decision, equity)]
    if reason is ReasonCode.BLOCKED:
        running = ctx.risk_state.blocks.active(ctx.now_ms)
        parts.append(until(min(b.until_ms for b in running)))
    if reason in _AFTER_STAGE:
        if decision.stage is None:
            return None
        parts.append(_stage_gate(ctx, decision.stage, equity))
    if reason is ReasonCode.TRADES_PER_DAY:
        parts.append(until(next_utc_midnight(ctx.now_ms)))
    elif reason is ReasonCode.VOLATILITY_TOO_LOW:
        parts.append(_volatility_gate(ctx, decision.stage, atr))
    elif reason is ReasonCode.VOLATILITY_UNKNOWN:
        parts.append(until(next_utc_midnight(ctx.now_ms)))
    return ALWAYS.meet(*parts)


def _usd(level: Decimal, equity_btc: Decimal) -> Decimal:
    """The mark at which ``equity_btc`` is worth ``level`` USD."""
    return level / equity_btc


def _halt_gate(ctx: EntryContext, d: EntryDecision, equity: Decimal) -> Standing:
    targets = ctx.risk_state.targets
    peak = max(targets.peak_equity_usd, d.equity_usd)
    band = above(_usd(HARD_STOP_EQUITY_USD, equity)).meet(below(_usd(peak, equity)))
    start = targets.start_ms if targets.start_ms is not None else ctx.now_ms
    if targets.success_ms is None and d.reason is not ReasonCode.TARGET_REACHED:
        band = band.meet(below(_usd(SUCCESS_EQUITY_USD, equity)))
        band = band.meet(until(start + FAILURE_AFTER_DAYS * DAY_MS))
    if peak < REVIEW_EQUITY_USD:
        band = band.meet(until(start + REVIEW_AFTER_DAYS * DAY_MS))
    return band


def _stage_gate(ctx: EntryContext, stage: Stage, equity: Decimal) -> Standing:
    bands = {
        Stage.S1: below(_usd(STAGE2_FROM_USD, equity)),
        Stage.S2: above(_usd(STAGE2_FROM_USD, equity)).meet(below(_usd(STAGE3_FROM_USD, equity))),
        Stage.S3: above(_usd(STAGE3_FROM_USD, equity)),
    }
    two_x = _usd(ctx.config.stage.leverage_2x_above_usd, equity)
    lever = above(two_x) if ctx.market.mark_price > two_x else below(two_x)
    return bands[stage].meet(lever)


def _volatility_gate(ctx: EntryContext, stage: Stage | None, atr: float | None) -> Standing:
    midnight = until(next_utc_midnight(ctx.now_ms))
    if atr is None or stage is None:
        return Standing(until_ms=0)
    need = ctx.config.stage.stages.for_stage(stage).atr_min_pct
    return midnight.meet(above(atr / float(need)))
