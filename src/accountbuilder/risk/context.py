"""The entry gate chain's input (``EntryContext``) and output (``EntryDecision``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from accountbuilder.config.models import AppConfig
from accountbuilder.domain.enums import HaltKind, Liquidity, MainState, Side, Stage
from accountbuilder.domain.models import (
    AccountSnapshot,
    FeeRates,
    Instrument,
    MarketSnapshot,
    Position,
)
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.risk.state import RiskState


@dataclass(frozen=True, slots=True)
class EntrySignal:
    """What the strategy wants: a side at a grid level.

    ``grid_spacing_pct`` None means unknown (C1 falls back to a 3% stop). ``take_profit_price``
    None means the next grid level ``entry × (1 ± spacing)``. ``liquidity`` TAKER asks for
    the G4 fallback; ``maker_timeouts`` counts this signal's consecutive maker timeouts.
    """

    side: Side
    entry_price: Decimal
    grid_spacing_pct: Decimal | None = None
    take_profit_price: Decimal | None = None
    liquidity: Liquidity = Liquidity.MAKER
    maker_timeouts: int = 0


@dataclass(frozen=True, slots=True)
class EntryContext:
    """Everything one entry evaluation reads; nothing else is consulted."""

    now_ms: int
    account: AccountSnapshot
    market: MarketSnapshot
    instrument: Instrument
    fees: FeeRates
    signal: EntrySignal
    risk_state: RiskState
    config: AppConfig
    main_state: MainState = MainState.FLAT
    position: Position | None = None
    leverage_in_force: Decimal = Decimal(3)
    degraded: bool = False


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate of the chain: ``passed`` None when the chain stopped before it."""

    name: str
    passed: bool | None
    figures: Mapping[str, Any] = field(default_factory=dict)
    denial: Denial | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.figures, MappingProxyType):  # the gate chain hands a fresh one
            object.__setattr__(self, "figures", MappingProxyType(dict(self.figures)))

    @property
    def status(self) -> str:
        return {True: "pass", False: "FAIL", None: "-"}[self.passed]


@dataclass(frozen=True, slots=True)
class HaltDemand:
    """A gate found a condition that requires a HALT (D4 hard gate, H2 failure, H3)."""

    reason: ReasonCode
    kind: HaltKind = HaltKind.MANUAL


# Figures every decision carries (None when the chain stopped before computing them).
FIGURE_FIELDS = (
    "stage",
    "equity_btc",
    "equity_usd",
    "max_loss_btc",
    "leverage",
    "size_multiplier",
    "stop_distance_pct",
    "entry_price",
    "stop_price",
    "take_profit_price",
    "contracts",
    "loss_at_stop_btc",
    "required_margin_btc",
    "fee_buffer_btc",
    "liq_estimated",
    "liq_price",
    "liq_distance_pct",
    "expected_profit_usd",
    "estimated_fee_usd",
    "k",
)


@dataclass(frozen=True, slots=True)
class EntryDecision:
    """The verdict of the gate chain, with every figure computed on the way."""

    accepted: bool
    denial: Denial | None
    gates: tuple[GateResult, ...]
    side: Side
    liquidity: Liquidity
    halt: HaltDemand | None = None
    warnings: tuple[ReasonCode, ...] = ()
    stage: Stage | None = None
    equity_btc: Decimal | None = None
    equity_usd: Decimal | None = None
    max_loss_btc: Decimal | None = None
    leverage: Decimal | None = None
    size_multiplier: Decimal | None = None
    stop_distance_pct: Decimal | None = None
    entry_price: Decimal | None = None
    stop_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    contracts: int | None = None
    loss_at_stop_btc: Decimal | None = None
    required_margin_btc: Decimal | None = None
    fee_buffer_btc: Decimal | None = None
    liq_estimated: bool | None = None
    liq_price: Decimal | None = None
    liq_distance_pct: Decimal | None = None
    expected_profit_usd: Decimal | None = None
    estimated_fee_usd: Decimal | None = None
    k: Decimal | None = None

    @property
    def reason(self) -> ReasonCode | None:
        return None if self.denial is None else self.denial.reason

    @property
    def failed_gate(self) -> str | None:
        return next((g.name for g in self.gates if g.passed is False), None)

    def figures(self) -> dict[str, Any]:
        """The computed figures by name (None where not computed)."""
        return {name: getattr(self, name) for name in FIGURE_FIELDS}
