"""``RiskState``: every persisted risk holder in one frozen value (SPEC I4).

Each event returns a new ``RiskState``; nothing is changed in place. ``to_dict`` gives plain
JSON-able data (Decimals as strings) and ``from_dict`` restores it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accountbuilder.domain.enums import Stage
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.antiflap import AntiFlap
from accountbuilder.risk.blocks import (
    ANTI_FLAP_BLOCK_MS,
    ENTRY_REFUSED_BLOCK_MS,
    TAKER_FAILURE_BLOCK_MS,
    Blocks,
)
from accountbuilder.risk.fee_spike import FeeSpike
from accountbuilder.risk.streak import Streak
from accountbuilder.risk.targets import Targets
from accountbuilder.risk.trades_per_day import DailyCounts
from accountbuilder.risk.winrate import WinRate, is_win

if TYPE_CHECKING:
    from accountbuilder.risk.context import EntryDecision

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class RiskState:
    """Win rate (D4), streak (D5), anti-flap (B5), daily counts (B6, G4), fee spike (D8),
    block timers (D6) and targets (H2)."""

    winrate: WinRate = field(default_factory=WinRate)
    streak: Streak = field(default_factory=Streak)
    antiflap: AntiFlap = field(default_factory=AntiFlap)
    daily: DailyCounts = field(default_factory=DailyCounts)
    fee_spike: FeeSpike = field(default_factory=FeeSpike)
    blocks: Blocks = field(default_factory=Blocks)
    targets: Targets = field(default_factory=Targets)

    @classmethod
    def start(cls, now_ms: int, backtest_winrate: Decimal | None = None) -> RiskState:
        """A fresh account: the start time is fixed now (H2)."""
        return cls(winrate=WinRate(backtest_winrate=backtest_winrate), targets=Targets(now_ms))

    def observe_stage(self, stage: Stage, now_ms: int) -> RiskState:
        """B5: record an evaluated stage; over 2 changes within the hour start (or extend) a 1 h block."""
        antiflap = self.antiflap.observe(stage, now_ms)
        blocks = self.blocks
        if antiflap.tripped(now_ms):
            blocks = blocks.add(ReasonCode.BLOCK_ANTI_FLAP, now_ms + ANTI_FLAP_BLOCK_MS)
        if antiflap is self.antiflap and blocks is self.blocks:
            return self  # unchanged: no copy
        return replace(self, antiflap=antiflap, blocks=blocks)

    def observe_equity(self, equity_usd: Decimal, now_ms: int) -> RiskState:
        """H2: track the start time, the highest equity and SUCCESS."""
        targets = self.targets.observe(equity_usd, now_ms)
        return self if targets is self.targets else replace(self, targets=targets)

    def after_evaluation(self, decision: EntryDecision, now_ms: int) -> RiskState:
        """Persist what an entry evaluation observed (its stage and equity)."""
        state = self
        if decision.equity_usd is not None:
            state = state.observe_equity(decision.equity_usd, now_ms)
        if decision.stage is not None:
            state = state.observe_stage(decision.stage, now_ms)
        return state

    def on_first_fill(self, now_ms: int, taker: bool = False) -> RiskState:
        """B6 / G4: count the entry toward its UTC day."""
        return replace(self, daily=self.daily.on_first_fill(now_ms, taker))

    def on_trade_closed(self, pnl_after_fees_btc: Decimal) -> RiskState:
        """H1 → D4 window and D5 streak."""
        return replace(
            self,
            winrate=self.winrate.on_trade_closed(pnl_after_fees_btc),
            streak=self.streak.on_trade_closed(is_win(pnl_after_fees_btc)),
        )

    def on_fill_fee(
        self, actual_fee_btc: Decimal, estimated_fee_btc: Decimal, now_ms: int, hours: int = 24
    ) -> RiskState:
        """G10 → D8 window."""
        spike = self.fee_spike.on_fill(actual_fee_btc, estimated_fee_btc, now_ms, hours)
        return replace(self, fee_spike=spike)

    def on_taker_failed(self, now_ms: int) -> RiskState:
        """G4: a failed taker entry blocks entries for 1 hour."""
        return self.with_block(ReasonCode.BLOCK_TAKER_FAILURE, now_ms + TAKER_FAILURE_BLOCK_MS)

    def on_entry_refused(self, now_ms: int) -> RiskState:
        """D6: the exchange refused an entry the gates accepted: entries wait 5 minutes."""
        return self.with_block(ReasonCode.BLOCK_ENTRY_REFUSED, now_ms + ENTRY_REFUSED_BLOCK_MS)

    def without_block(self, reason: ReasonCode) -> RiskState:
        """End the block of ``reason`` now (its condition is gone)."""
        if self.blocks.until(reason) is None:
            return self
        return replace(self, blocks=self.blocks.clear(reason))

    def with_block(self, reason: ReasonCode, until_ms: int) -> RiskState:
        """D6: start or extend a block timer."""
        return replace(self, blocks=self.blocks.add(reason, until_ms))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SCHEMA_VERSION,
            "winrate": self.winrate.to_dict(),
            "streak": self.streak.to_dict(),
            "antiflap": self.antiflap.to_dict(),
            "daily": self.daily.to_dict(),
            "fee_spike": self.fee_spike.to_dict(),
            "blocks": self.blocks.to_dict(),
            "targets": self.targets.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskState:
        if data.get("version") != SCHEMA_VERSION:
            raise ValueError(f"risk state version {data.get('version')!r} is not {SCHEMA_VERSION}")
        return cls(
            winrate=WinRate.from_dict(data["winrate"]),
            streak=Streak.from_dict(data["streak"]),
            antiflap=AntiFlap.from_dict(data["antiflap"]),
            daily=DailyCounts.from_dict(data["daily"]),
            fee_spike=FeeSpike.from_dict(data["fee_spike"]),
            blocks=Blocks.from_dict(data["blocks"]),
            targets=Targets.from_dict(data["targets"]),
        )
