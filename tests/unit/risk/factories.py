"""Builders for risk-core tests: a baseline context that is accepted, tweaked per test.

Baseline (hand-checked in test_gates.py): a $100 account (0.0025 BTC at 40,000), S1, long at
40,000 with 3% grid spacing, ATR 4.5%, backtest win rate 60%, leverage 3, MMR 0.5%.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accountbuilder.config import load_config
from accountbuilder.config.models import AppConfig
from accountbuilder.domain.enums import Liquidity, MainState, Side
from accountbuilder.domain.models import (
    AccountSnapshot,
    FeeRates,
    Instrument,
    MarketSnapshot,
    Position,
)
from accountbuilder.risk.context import EntryContext, EntrySignal
from accountbuilder.risk.state import RiskState

D = Decimal
NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z
CONFIG = load_config()


def config_with(**risk: Any) -> AppConfig:
    """The shipped config with ``risk_config`` fields replaced (values within SPEC bounds)."""
    return CONFIG.model_copy(update={"risk": CONFIG.risk.model_copy(update=risk)})


def baseline_state(backtest: str | None = "0.6") -> RiskState:
    return RiskState.start(NOW, None if backtest is None else D(backtest))


def make_context(
    *,
    wallet: str = "0.0025",
    upnl: str = "0",
    mark: str = "40000",
    atr: str | None = "0.045",
    side: Side = Side.LONG,
    entry: str | None = None,
    spacing: str | None = "0.03",
    tp: str | None = None,
    liquidity: Liquidity = Liquidity.MAKER,
    maker_timeouts: int = 0,
    state: RiskState | None = None,
    main_state: MainState = MainState.FLAT,
    position: Position | None = None,
    leverage: str = "3",
    degraded: bool = False,
    instrument: Instrument | None = None,
    fees: FeeRates | None = None,
    config: AppConfig = CONFIG,
    now: int = NOW,
    market_ts: int | None = None,
) -> EntryContext:
    return EntryContext(
        now_ms=now,
        account=AccountSnapshot(now, D(wallet), D(upnl)),
        market=MarketSnapshot(
            now if market_ts is None else market_ts, D(mark), None, None if atr is None else D(atr)
        ),
        instrument=instrument or Instrument(),
        fees=fees or FeeRates(),
        signal=EntrySignal(
            side=side,
            entry_price=D(entry or mark),
            grid_spacing_pct=None if spacing is None else D(spacing),
            take_profit_price=None if tp is None else D(tp),
            liquidity=liquidity,
            maker_timeouts=maker_timeouts,
        ),
        risk_state=state if state is not None else baseline_state(),
        config=config,
        main_state=main_state,
        position=position,
        leverage_in_force=D(leverage),
        degraded=degraded,
    )
