"""Reason codes for every denial, halt and block in SPEC, and the Denial value that carries one.

A guard or gate that refuses returns a ``Denial`` (reason code plus the figures it looked at);
it never raises. *Rejected* is reserved for the exchange's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class ReasonCode(StrEnum):
    # --- entry gates, in SPEC D order -------------------------------------------------------
    HALTED = "HALTED"  # D6: main machine in HALT
    COOLDOWN = "COOLDOWN"  # D6: main machine in COOLDOWN
    BLOCKED = "BLOCKED"  # D6: a block timer runs (figures name the block)
    DEGRADED_MODE = "DEGRADED_MODE"  # F3: WS unhealthy, no new entries
    TARGET_REACHED = "TARGET_REACHED"  # H2: SUCCESS, no new entries
    STALE_DATA = "STALE_DATA"  # a datum the decision needs is too old or missing
    ANTI_FLAP = "ANTI_FLAP"  # B5
    TRADES_PER_DAY = "TRADES_PER_DAY"  # B2/B6
    VOLATILITY_TOO_LOW = "VOLATILITY_TOO_LOW"  # D2
    VOLATILITY_UNKNOWN = "VOLATILITY_UNKNOWN"  # D2: no ATR yet
    POSITION_OPEN = "POSITION_OPEN"  # D7
    WINRATE_BACKTEST_TOO_LOW = "WINRATE_BACKTEST_TOO_LOW"  # D4, N < 10
    WINRATE_BACKTEST_MISSING = "WINRATE_BACKTEST_MISSING"  # D4, N < 10 and none stored
    WINRATE_HARD_GATE = "WINRATE_HARD_GATE"  # D4, N >= 30 -> HALT (manual)
    STOP_DISTANCE_INVALID = "STOP_DISTANCE_INVALID"  # C1
    CONTRACTS_BELOW_MIN = "CONTRACTS_BELOW_MIN"  # C2/C3
    LOSS_AT_STOP_OVER_BUDGET = "LOSS_AT_STOP_OVER_BUDGET"  # C3 re-check
    MARGIN_INSUFFICIENT = "MARGIN_INSUFFICIENT"  # C4
    LIQ_DISTANCE_TOO_SMALL = "LIQ_DISTANCE_TOO_SMALL"  # C5
    LIQ_FALLBACK_LIMITS = "LIQ_FALLBACK_LIMITS"  # C6: no estimate and leverage/stop too large
    EV_TOO_LOW = "EV_TOO_LOW"  # D1
    MAKER_ONLY = "MAKER_ONLY"  # D3/D8: a taker entry while maker-only is enforced
    TAKER_NOT_ALLOWED = "TAKER_NOT_ALLOWED"  # G4 conditions not met
    TAKE_PROFIT_NOT_BEYOND_TAKER_PRICE = "TAKE_PROFIT_NOT_BEYOND_TAKER_PRICE"  # G4
    LEVERAGE_ABOVE_CAP = "LEVERAGE_ABOVE_CAP"  # B3
    LEVERAGE_INCREASE = "LEVERAGE_INCREASE"  # B3: asking for more than the one in force
    EQUITY_BELOW_HARD_STOP = "EQUITY_BELOW_HARD_STOP"  # H3
    INVALID_INPUT = "INVALID_INPUT"  # a snapshot value the gate cannot use

    # --- emergency and halts (E, F, G8, H) -------------------------------------------------
    DROP_1M = "DROP_1M"  # E1
    DROP_5M = "DROP_5M"  # E1
    RISE_1M = "RISE_1M"  # E1 mirror, short open
    RISE_5M = "RISE_5M"  # E1 mirror, short open
    LATENCY_HIGH = "LATENCY_HIGH"  # E2
    BALANCE_ANOMALY = "BALANCE_ANOMALY"  # E3
    LIQUIDATION_WARNING = "LIQUIDATION_WARNING"  # E6
    LIQUIDATION_EVENT = "LIQUIDATION_EVENT"  # E6
    EQUITY_BELOW_80 = "EQUITY_BELOW_80"  # H3 / E5
    EIGHTEEN_MONTH_FAILURE = "EIGHTEEN_MONTH_FAILURE"  # H2
    STOP_UNRECOVERABLE = "STOP_UNRECOVERABLE"  # G8 10-second rule
    WS_DEGRADED_TIMEOUT = "WS_DEGRADED_TIMEOUT"  # F3
    STRATEGY_REVIEW_REQUIRED = "STRATEGY_REVIEW_REQUIRED"  # H2 flag (no halt)
    WINRATE_SOFT_WARNING = "WINRATE_SOFT_WARNING"  # D4, 10 <= N < 30 and live < 40% (no halt)

    # --- block timers (D6) ----------------------------------------------------------------
    BLOCK_ANTI_FLAP = "BLOCK_ANTI_FLAP"
    BLOCK_TAKER_FAILURE = "BLOCK_TAKER_FAILURE"
    BLOCK_RECOVERY = "BLOCK_RECOVERY"
    BLOCK_LATENCY = "BLOCK_LATENCY"
    BLOCK_RECONCILE = "BLOCK_RECONCILE"
    BLOCK_STORE = "BLOCK_STORE"  # I4: the store cannot commit: no entries until it can
    BLOCK_ENTRY_REFUSED = "BLOCK_ENTRY_REFUSED"  # the exchange refused an entry: wait 5 min
    BLOCK_CLOCK = "BLOCK_CLOCK"  # issue 16 §7: the clock is off Bybit's by more than 1 s
    FEE_SPIKE = "FEE_SPIKE"  # G10/D8 tightening window

    # --- machine guard refusals -----------------------------------------------------------
    ENTRY_NOT_ACCEPTED = "ENTRY_NOT_ACCEPTED"
    POSITION_STILL_OPEN = "POSITION_STILL_OPEN"
    NO_POSITION = "NO_POSITION"
    HALT_IS_MANUAL = "HALT_IS_MANUAL"
    HALT_IS_TEMPORARY = "HALT_IS_TEMPORARY"
    NOT_CALM_LONG_ENOUGH = "NOT_CALM_LONG_ENOUGH"
    COOLDOWN_NOT_ELAPSED = "COOLDOWN_NOT_ELAPSED"
    RESET_REASON_MISSING = "RESET_REASON_MISSING"
    STOP_NOT_FAILED = "STOP_NOT_FAILED"
    BACKOFF_NOT_ELAPSED = "BACKOFF_NOT_ELAPSED"
    PROTECTED_LONG_ENOUGH = "PROTECTED_LONG_ENOUGH"  # G8: unprotected for less than 10 s
    CONFIRM_NOT_DUE = "CONFIRM_NOT_DUE"  # G8/F4: the next 5 s check has not come
    MARK_NOT_BEYOND_TRIGGER = "MARK_NOT_BEYOND_TRIGGER"  # G6: the stop can be placed
    CLOSE_RETRY_NOT_DUE = "CLOSE_RETRY_NOT_DUE"  # G8: the refused close waits its backoff
    ALREADY_HALTED = "ALREADY_HALTED"  # G8: the 10-second rule has raised its HALT
    STOP_WORKED = "STOP_WORKED"  # G8: the stop was working: its loss is MISSING, not ERROR
    NO_AMEND_IN_FLIGHT = "NO_AMEND_IN_FLIGHT"  # G7: no amend waits for an answer

    # --- health (F1) and halt reset (E5) ----------------------------------------------------
    REST_BUDGET_EXHAUSTED = "REST_BUDGET_EXHAUSTED"  # F1: the call would exceed the budget
    NOT_HALTED = "NOT_HALTED"  # E5: a reset asked for while no HALT is in force


def _fmt(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True, slots=True)
class Denial:
    """A refusal: the reason code and the figures that led to it.

    ``str(denial)`` reads like ``LIQ_DISTANCE_TOO_SMALL liq_distance_pct=0.241 need=0.3``.
    """

    reason: ReasonCode
    figures: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "figures", MappingProxyType(dict(self.figures)))

    def __str__(self) -> str:
        parts = " ".join(f"{k}={_fmt(v)}" for k, v in self.figures.items())
        return f"{self.reason.value} {parts}".strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason.value,
            "figures": {k: _fmt(v) for k, v in self.figures.items()},
        }
