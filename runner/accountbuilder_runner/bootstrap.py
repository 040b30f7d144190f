"""The composition root: build the one core from config and an exchange port (SPEC F6).

Live, paper and backtest all come through here; only the port, the clock and the staleness
limits differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.config.models import AppConfig
from accountbuilder.core.kit import Kit
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.state import SessionState
from accountbuilder.domain.events import ExchangeEvent, ExchangeSnapshotFetched, WalletUpdated
from accountbuilder.emergency.checker import EmergencyChecker
from accountbuilder.exchange.port import ExchangePort
from accountbuilder.health.ws_health import WsHealth
from accountbuilder.machines.listeners import TransitionLogger
from accountbuilder.marketdata.view import MarketView, Staleness
from accountbuilder.signal.grid import GridSignal
from accountbuilder.signal.source import SignalSource

ATR_SEED_DAYS = 30


def transition_loggers(machine_name: str) -> list[object]:
    """Each machine's transitions are logged under its own name (audit, issue 13)."""
    return [TransitionLogger(machine_name)]


@dataclass
class Started:
    core: TradingCore
    startup_events: list[ExchangeEvent]
    restored: bool


async def start_core(
    port: ExchangePort,
    config: AppConfig,
    now_ms: int,
    *,
    saved: dict | None = None,
    staleness: Staleness | None = None,
    with_ws: bool = False,
    signal: SignalSource | None = None,
) -> Started:
    """Read the exchange's truth, restore or create the session, and build the core.

    The returned startup events (wallet, and a snapshot the core reconciles at once) are the
    first tick's input: local state takes the exchange's truth before anything is sent (I4).
    """
    instrument = await port.load_instrument()
    fees = await port.fetch_fee_rates()
    daily = await port.fetch_candles("D", ATR_SEED_DAYS)
    account = await port.fetch_account()
    position = await port.fetch_position()
    orders = tuple(await port.fetch_open_orders())
    settings = await port.fetch_settings()
    if saved is not None:
        state = SessionState.from_dict(saved, listeners=transition_loggers)
    else:
        leverage = min(settings.leverage, config.stage.stages.s1.leverage)
        state = SessionState.fresh(
            now_ms, leverage, config.runner.backtest_winrate, listeners=transition_loggers
        )
    view = MarketView(staleness=staleness or Staleness())
    view.seed_daily(daily)
    kit = Kit(
        config=config,
        instrument=instrument,
        fees=fees,
        view=view,
        checker=EmergencyChecker(config.emergency),
        signal=signal or GridSignal(config.execution.grid),
        ws=WsHealth.from_config(config.emergency, now_ms) if with_ws else None,
    )
    events: list[ExchangeEvent] = [
        WalletUpdated(exchange_ts_ms=now_ms, local_ts_ms=now_ms, account=account),
        ExchangeSnapshotFetched(
            exchange_ts_ms=now_ms,
            local_ts_ms=now_ms,
            position=position,
            open_orders=orders,
            startup=True,
        ),
    ]
    return Started(TradingCore(kit, state), events, saved is not None)


def leverage_for_start(config: AppConfig, in_force: Decimal) -> Decimal:
    """B3: start at the S1 leverage but never above the leverage already in force."""
    return min(in_force, config.stage.stages.s1.leverage)
