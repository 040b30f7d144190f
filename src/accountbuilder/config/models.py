"""Frozen pydantic models, one per component, for the shipped YAML files.

SPEC values that are rules live in ``accountbuilder.constants`` or in the module that applies
them. What is here is either SPEC's stage table (B2) or a value SPEC marks **(default)**; each
may be tightened within the bounds given, never loosened.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from accountbuilder.config.bounds import Dec, Int
from accountbuilder.constants import (
    E1_DROP_1M_LIMIT,
    E1_DROP_5M_LIMIT,
    LEVERAGE_CAP,
    LIQ_FLOOR_MIN,
    LIQ_MULTIPLE_MIN,
)
from accountbuilder.domain.enums import MakerPolicy, MarginMode, Side, Stage, TriggerBy


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


# ---------------------------------------------------------------------------- stage (B1-B3)
class StageRules(Frozen):
    """One column of SPEC B2. Bounds are set per stage by ``_stage_model``."""

    usd_loss_cap: Decimal
    pct_cap: Decimal
    ev_k: Decimal
    atr_min_pct: Decimal
    maker_policy: MakerPolicy
    max_trades_per_day: int
    leverage: Decimal


def _stage_model(
    stage: str,
    usd_cap: int,
    pct_cap: str,
    k: str,
    atr: str,
    trades: int,
    leverage: int,
    policies: tuple[str, ...],
) -> type[StageRules]:
    tighten = "SPEC B2 allows tightening only"
    policy = Literal[policies]  # type: ignore[valid-type]
    return type(
        f"{stage.upper()}Rules",
        (StageRules,),
        {
            "__annotations__": {
                "usd_loss_cap": Dec(0, usd_cap, lo_open=True, why=tighten),
                "pct_cap": Dec(0, pct_cap, lo_open=True, why=tighten),
                "ev_k": Dec(k, 20, why=tighten),
                "atr_min_pct": Dec(atr, "0.5", why=tighten),
                "maker_policy": policy,
                "max_trades_per_day": Int(1, trades, why=tighten),
                "leverage": Dec(1, min(leverage, int(LEVERAGE_CAP)), hi_word="cap"),
            },
            "__module__": __name__,
        },
    )


S1Rules = _stage_model("s1", 10, "0.12", "2.0", "0.03", 5, 3, ("enforced",))
S2Rules = _stage_model("s2", 20, "0.08", "2.5", "0.04", 10, 3, ("enforced", "preferred"))
S3Rules = _stage_model("s3", 30, "0.06", "3.0", "0.05", 10, 2, ("enforced", "preferred"))


class Stages(Frozen):
    s1: S1Rules  # type: ignore[valid-type]
    s2: S2Rules  # type: ignore[valid-type]
    s3: S3Rules  # type: ignore[valid-type]

    def for_stage(self, stage: Stage) -> StageRules:
        return getattr(self, stage.value)


class StageConfig(Frozen):
    """``stage_config.yaml``: SPEC B1-B3."""

    stages: Stages
    # B3 (default): above this USD equity, leverage 2x.
    leverage_2x_above_usd: Dec(100, 500, why="SPEC B3 default 500; lower is stricter") = Decimal(
        500
    )


# ---------------------------------------------------------------------------- risk (C, D, H)
class RiskConfig(Frozen):
    """``risk_config.yaml``: sizing/liquidation defaults (C5), fees (A3), D8 tightening."""

    margin_mode: MarginMode = MarginMode.ISOLATED
    liq_multiple: Dec(LIQ_MULTIPLE_MIN, 10, why="SPEC C5: multiple >= 2") = Decimal(3)
    liq_floor_pct: Dec(LIQ_FLOOR_MIN, "0.9", why="SPEC C5: floor >= 10%") = Decimal("0.15")
    maker_fee: Dec("-0.001", "0.01") = Decimal("0.0001")
    taker_fee: Dec(0, "0.01") = Decimal("0.0006")
    fee_spike_hours: Int(24, 168, why="SPEC D8 default 24 h") = 24
    fee_spike_k_multiplier: Dec("1.5", 5, why="SPEC D8 default x1.5") = Decimal("1.5")


# ---------------------------------------------------------------------------- emergency (E, F)
class EmergencyConfig(Frozen):
    """``emergency_config.yaml``: SPEC E1-E7 and F1-F3, F5 thresholds."""

    drop_1m_halt: Dec(E1_DROP_1M_LIMIT, "-0.02", why="SPEC E1: -10% or tighter") = Decimal("-0.10")
    drop_5m_halt: Dec(E1_DROP_5M_LIMIT, "-0.03", why="SPEC E1: -20% or tighter") = Decimal("-0.20")
    mirror_for_short: bool = True
    latency_block_s: Dec("0.5", 5, why="SPEC E2: 5.0 s or less") = Decimal(5)
    latency_recovery_s: Int(60, 3600, why="SPEC E2 default 60 s") = 60
    liq_warning_pct: Dec("0.10", "0.5", why="SPEC E6 default 10%; larger is stricter") = Decimal(
        "0.10"
    )
    ws_ping_s: Int(5, 20, why="SPEC F2 default 20 s") = 20
    ws_timeout_s: Int(10, 30, why="SPEC F2 default 30 s") = 30
    ws_drops_max: Int(1, 3, why="SPEC F2 default 3") = 3
    ws_drops_window_s: Int(300, 3600, why="SPEC F2 default 5 min") = 300


# ---------------------------------------------------------------------------- execution (G)
class GridConfig(Frozen):
    """The grid signal: where entries and take-profits sit."""

    direction: Literal["long", "short", "both"] = "long"
    spacing_mode: Literal["fixed", "atr"] = "atr"
    spacing_pct: Dec("0.002", "0.2") = Decimal("0.02")
    atr_factor: Dec("0.05", 5) = Decimal("0.5")
    spacing_min_pct: Dec("0.002", "0.2") = Decimal("0.01")
    spacing_max_pct: Dec("0.002", "0.2") = Decimal("0.04")
    signal_bucket_s: Int(60, 86_400) = 3600

    def side_choices(self) -> tuple[Side, ...]:
        if self.direction == "both":
            return (Side.LONG, Side.SHORT)
        return (Side(self.direction),)


class ExecutionConfig(Frozen):
    """``execution_config.yaml``: SPEC G3 (maker timeout), G4 (taker cap), G6 (trigger by)."""

    maker_timeout_s: Int(5, 600, why="SPEC G3 default 60 s") = 60
    taker_slippage_cap: Dec("0.0005", "0.01", why="SPEC G4: 0.05%-1%, default 0.2%") = Decimal(
        "0.002"
    )
    stop_trigger_by: TriggerBy = TriggerBy.MARK_PRICE
    take_profit: bool = True
    grid: GridConfig = Field(default_factory=GridConfig)


# ---------------------------------------------------------------------------- runner
class RunnerConfig(Frozen):
    """``runner_config.yaml``: where the runner keeps state and logs, paper defaults."""

    store_path: str = "state/accountbuilder.sqlite"
    log_dir: str = "logs"
    start_equity_usd: Dec(1, 1_000_000) = Decimal(100)
    backtest_winrate: Dec(0, 1) | None = None
    tick_s: Int(1, 60) = 1


# ---------------------------------------------------------------------------- notify
class NotifyEvent(StrEnum):
    """The kinds of message the runner can send (docs/notifications.md)."""

    HALT = "halt"  # HALT raised or escalated (E1-E7, H2, H3, G8)
    RECOVERY = "recovery"  # COOLDOWN started, HALT lifted (E4) or reset (E5)
    STOP = "stop"  # stop MISSING / ERROR / restored, and the G8 10-second close
    TRADE = "trade"  # every entry and exit (I1); off by default
    DAILY = "daily"  # the UTC day's roll-up (I3)
    TARGET = "target"  # SUCCESS, FAILURE, review flag (H2)
    LIFECYCLE = "lifecycle"  # run started, stopped cleanly


class NotifyLevel(StrEnum):
    """How much a message matters; ``min_level`` drops the ones below it."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(NotifyLevel).index(self)


DEFAULT_NOTIFY_EVENTS = tuple(e for e in NotifyEvent if e is not NotifyEvent.TRADE)


class NotifyConfig(Frozen):
    """``notify_config.yaml``: which messages the runner sends (paper and live, never backtests).

    The URLs are secrets and never come from here: ``ACCOUNTBUILDER_NOTIFY_URLS`` or the 0600
    file named by ``urls_file``.
    """

    events: tuple[NotifyEvent, ...] = DEFAULT_NOTIFY_EVENTS
    min_level: NotifyLevel = NotifyLevel.INFO
    urls_file: str | None = None
    queue_size: Int(1, 10_000) = 100
    retries: Int(0, 10) = 2
    retry_delay_s: Dec(0, 300) = Decimal(2)
    flush_timeout_s: Dec(0, 300) = Decimal(10)

    @field_validator("urls_file")
    @classmethod
    def _a_path_not_a_url(cls, value: str | None) -> str | None:
        # A URL here would be a token in a config file; the error must not echo it (I4).
        if value is not None and "://" in value:
            raise PydanticCustomError(
                "secret_value",
                "must be the path of a 0600 file of URLs, not a URL (URLs hold tokens: put them "
                "in that file or in ACCOUNTBUILDER_NOTIFY_URLS)",
            )
        return value


class AppConfig(Frozen):
    """Every config file together; the one object the runner passes to the core."""

    stage: StageConfig
    risk: RiskConfig = Field(default_factory=RiskConfig)
    emergency: EmergencyConfig = Field(default_factory=EmergencyConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)


class ConfigFile(StrEnum):
    """The shipped files and the model each one fills."""

    STAGE = "stage_config.yaml"
    RISK = "risk_config.yaml"
    EMERGENCY = "emergency_config.yaml"
    EXECUTION = "execution_config.yaml"
    RUNNER = "runner_config.yaml"
    NOTIFY = "notify_config.yaml"


FILE_MODELS: dict[ConfigFile, tuple[str, type[Frozen]]] = {
    ConfigFile.STAGE: ("stage", StageConfig),
    ConfigFile.RISK: ("risk", RiskConfig),
    ConfigFile.EMERGENCY: ("emergency", EmergencyConfig),
    ConfigFile.EXECUTION: ("execution", ExecutionConfig),
    ConfigFile.RUNNER: ("runner", RunnerConfig),
    ConfigFile.NOTIFY: ("notify", NotifyConfig),
}
