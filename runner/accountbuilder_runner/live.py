"""Live trading on Bybit: ``accountbuilder run --exchange bybit [--testnet] [--exchange-url URL]``.

Start (in this order): read the key pair (environment or a 0600 key file); check the key's
permissions and refuse one that can withdraw; subscribe to the streams; verify one-way mode,
the configured margin mode (isolated by default, SPEC C5) and the leverage (set downward
only, B3) — switching only with nothing open; read the exchange's truth and build the core
from the stored session (F5, I4); look up every send a crash left unresolved (G2). Then tick
every ``tick_s`` until SIGINT/SIGTERM: cancel the entry orders, keep the stop and the
take-profit, persist, exit 0. ``accountbuilder status`` reads the same store meanwhile. With
notification URLs configured, the start, the clean stop and the run's news are notified
(docs/notifications.md); the URLs are masked in every log like the key pair.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from loguru import logger

from accountbuilder.config.loader import ConfigError, load_config
from accountbuilder.config.models import AppConfig
from accountbuilder.constants import LEVERAGE_CAP
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit import (
    BybitExchange,
    BybitSettings,
    ClientSettings,
    Credentials,
    SecretsError,
    load_credentials,
)
from accountbuilder.exchange.port import ExchangePort
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.marketdata.view import Staleness
from accountbuilder.records.sinks import BIND_KEY, RecordKind, sink_config, text_format
from accountbuilder.store.errors import StoreError
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner import failpoints
from accountbuilder_runner.bootstrap import start_core
from accountbuilder_runner.drivers.live import LiveDriver
from accountbuilder_runner.executor import CommandExecutor
from accountbuilder_runner.live_args import add_arguments
from accountbuilder_runner.notify import Notifier, NotifyUrlError, build_notifier
from accountbuilder_runner.recorder import Recorder
from accountbuilder_runner.requests import take_requests
from accountbuilder_runner.ticktimes import TickTimes, freeze_startup_objects
from accountbuilder_runner.winrate_file import WinrateFileError, resolve_winrate, with_winrate

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2
STREAMS_READY_S = 10.0
LIVE_STALENESS = Staleness(mark_ms=10_000, account_ms=300_000)


class StartRefused(Exception):
    """The account is not in a state the bot may trade from; the message says what to do."""


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


# =============================================================================== start checks
async def prepare_account(port: ExchangePort, config: AppConfig, saved: dict | None) -> Decimal:
    """F7, C5, B3 at start; return the leverage the session may use (never above the cap)."""
    settings = await port.fetch_settings()
    position = await port.fetch_position()
    nothing_open = not position.is_open and not await port.fetch_open_orders()
    if not settings.one_way:
        if not nothing_open:
            raise StartRefused(
                "the account is in hedge mode with a position or orders open; close them or "
                "switch BTCUSD to one-way mode on Bybit, then start again (SPEC F7)"
            )
        await port.set_one_way()
    wanted = config.risk.margin_mode
    if settings.margin_mode is not wanted:
        if not nothing_open:
            raise StartRefused(
                f"margin mode is {settings.margin_mode.value} but the config asks for "
                f"{wanted.value}; it can only be changed with nothing open (SPEC C5)"
            )
        await port.set_margin_mode(wanted)
    return await _leverage_down(port, config, saved, settings.leverage)


async def _leverage_down(
    port: ExchangePort, config: AppConfig, saved: dict | None, on_exchange: Decimal
) -> Decimal:
    """B3: the leverage in force only goes down; a config asking for more is refused (kept)."""
    asked = config.stage.stages.s1.leverage
    in_force = Decimal(saved["leverage_in_force"]) if saved else min(asked, LEVERAGE_CAP)
    if asked > in_force:
        logger.warning(
            "config asks for {}x but {}x is in force; leverage is never increased (B3)",
            asked,
            in_force,
        )
    target = min(in_force, asked, LEVERAGE_CAP)
    if on_exchange > target:
        await port.set_leverage(target)
        return target
    return min(target, on_exchange) if on_exchange >= 1 else target


# =============================================================================== session
@dataclass
class LiveSession:
    """Everything a live run is made of (tests build one against the fake exchange)."""

    adapter: BybitExchange
    core: TradingCore
    driver: LiveDriver
    budget: RestBudget
    restored: bool


async def open_session(
    adapter: BybitExchange,
    config: AppConfig,
    budget: RestBudget,
    clock: Callable[[], int],
    *,
    saved: dict | None = None,
    recorder: Recorder | None = None,
    notifier: Notifier | None = None,
    staleness: Staleness = LIVE_STALENESS,
    store_path: str | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> LiveSession:
    """Verify the key and the account, read the truth, build the core and its driver."""
    key = await adapter.verify_key()
    if not key.ip_restricted:
        logger.warning("the API key has no IP whitelist; Bybit expires such keys after 90 days")
    adapter.start_streams()
    if not await adapter.streams.ready(STREAMS_READY_S):
        logger.warning("streams not confirmed within {} s; starting anyway", STREAMS_READY_S)
    leverage = await prepare_account(adapter, config, saved)
    started = await start_core(
        adapter, config, clock(), saved=saved, staleness=staleness, with_ws=True
    )
    state = started.core.state
    state.leverage_in_force = min(state.leverage_in_force, leverage)  # B3: only ever down
    if notifier is not None:
        notifier.attach(started.core)
    executor = CommandExecutor(adapter.for_executor(), budget, clock, sleep=sleep)
    driver = LiveDriver(
        started.core,
        adapter,
        executor,
        budget,
        on_outbox=_each_round(recorder, notifier),
        requests=(lambda now: take_requests(store_path, now)) if store_path else None,
    )
    driver.pending = list(started.startup_events)
    return LiveSession(adapter, started.core, driver, budget, started.restored)


def _each_round(recorder: Recorder | None, notifier: Notifier | None):
    """The driver's ``on_outbox``: commit first (I4), then notify what the round produced."""
    if notifier is None:
        return recorder.on_outbox if recorder else None

    def on_outbox(now_ms: int, out, core: TradingCore) -> None:
        if recorder is not None:
            recorder.on_outbox(now_ms, out, core)
        notifier.on_outbox(now_ms, out, core)

    return on_outbox


async def first_ticks(session: LiveSession, clock: Callable[[], int]) -> list[str]:
    """Tick on the startup truth; after a restart the sends a crash may have hidden are
    looked up by client id before anything is sent again (G2). Return their client ids."""
    unresolved = [o.client_id for o in session.core.state.orders.live() if o.phase.awaits_evidence]
    if unresolved:
        logger.info("restart: looking up {} unresolved sends: {}", len(unresolved), unresolved)
    await session.driver.step(clock(), resume=True)
    return unresolved


# =============================================================================== CLI
def build_parser() -> argparse.ArgumentParser:
    """``python -m accountbuilder_runner.live``: the same run without the ``run`` command."""
    parser = argparse.ArgumentParser(
        prog="python -m accountbuilder_runner.live", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--config", type=Path, metavar="DIR", help="config directory")
    parser.add_argument("--state", type=Path, metavar="PATH", help="the SQLite store")
    add_arguments(parser)
    return parser


def run_live(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; exit 0 after a clean stop, 1 refused, 2 bad input."""
    try:
        config = load_config(getattr(args, "config", None))
        credentials = load_credentials(os.environ, getattr(args, "key_file", None))
        failpoint = failpoints.armed()
        notifier, urls = build_notifier(config.notify, os.environ, mode="live")
    except (ConfigError, SecretsError, NotifyUrlError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    store_path = Path(getattr(args, "state", None) or config.runner.store_path)
    log_dir = Path(getattr(args, "log_dir", None) or config.runner.log_dir)
    _logging(log_dir, (*credentials.secrets(), *urls.secrets()))
    if failpoint is not None:
        logger.warning("failpoint {} armed: SIGKILL on pass {} (crash tests only)", *failpoint)
    try:
        winrate = resolve_winrate(config, store_path)  # D4: the same source as paper
    except WinrateFileError as e:
        logger.error("{}", e)
        return EXIT_BAD_INPUT
    logger.info("D4 backtest win rate: {}", winrate.source)
    config = with_winrate(config, winrate.winrate)
    settings = BybitSettings(
        client=ClientSettings(
            testnet=bool(getattr(args, "testnet", False)),
            url=getattr(args, "exchange_url", None),
            keepalive_ms=config.emergency.ws_ping_s * 1000,
        ),
        stop_trigger_by=config.execution.stop_trigger_by,
    )
    try:
        return asyncio.run(_main(config, credentials, settings, store_path, notifier))
    except StoreError as e:
        logger.error("store {}: {}", store_path, e)
        return EXIT_BAD_INPUT
    except Exception:
        logger.exception("the live run failed")  # through the masking sinks, never raw
        return EXIT_REFUSED
    finally:
        if notifier is not None:
            notifier.close()  # flushed already after a clean stop


async def _main(
    config: AppConfig,
    credentials: Credentials,
    settings: BybitSettings,
    store_path: Path,
    notifier: Notifier | None = None,
) -> int:
    clock, budget = wall_clock_ms, RestBudget()
    adapter = BybitExchange.connect(credentials, settings, budget, clock)
    store = SqliteStore.open(store_path, now_ms=clock())
    recorder = Recorder(store, budget, mode="live")
    if notifier is not None:
        recorder.day_listeners.append(notifier.on_day)
        recorder.runtime_extra["notify"] = notifier.stats
    try:
        saved = store.load_session()
        session = await open_session(
            adapter, config, budget, clock, saved=saved, recorder=recorder,
            notifier=notifier, store_path=str(store_path),
        )  # fmt: skip
        started = f"live on {_venue(settings)}; session {'resumed' if saved else 'new'}"
        logger.info("{}", started)
        tick_times = TickTimes()
        session.driver.rounds.clock_ns = tick_times.clock
        session.driver.rounds.on_core_tick = tick_times.record
        recorder.runtime_extra["ticks"] = tick_times.stats
        freeze_startup_objects()  # no tick waits for a collection of the start-up objects
        await first_ticks(session, clock)
        if notifier is not None:
            notifier.started(clock(), session.core, started)
        stop = _stop_on_signals()
        await session.driver.run(clock, stop, config.runner.tick_s * 1000)
        await session.driver.shutdown(clock())
        recorder.finish(clock(), session.core)
        stopped = "entry orders cancelled, stop and take-profit left in place"
        logger.info("stopped: {}", stopped)
        _notify_stop(notifier, recorder, session.core, clock(), stopped)
        return EXIT_OK
    except (StartRefused, port_errors.AuthError) as e:
        logger.error("refusing to start: {}", e)
        return EXIT_REFUSED
    except port_errors.ExchangeError as e:
        logger.error("exchange error at start: {}: {}", type(e).__name__, e)
        return EXIT_REFUSED
    finally:
        await adapter.close()
        store.close()


def _notify_stop(
    notifier: Notifier | None, recorder: Recorder, core: TradingCore, now_ms: int, detail: str
) -> None:
    """The clean-stop notice, the flush (bounded), then the final counts for ``status``."""
    if notifier is None:
        return
    notifier.stopped(now_ms, core, f"clean stop: {detail}")
    notifier.close()
    recorder.save(now_ms, core)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _venue(settings: BybitSettings) -> str:
    client = settings.client
    return client.url or ("Bybit testnet" if client.testnet else "Bybit mainnet")


def _logging(log_dir: Path, secrets: tuple[str, ...]) -> None:
    """Sinks for the records and the human log, all masking the key pair and the notification
    URLs (SPEC I4)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    logger.remove()
    logger.enable("accountbuilder")
    for kind in RecordKind:
        logger.add(**sink_config(kind, log_dir, secrets=secrets))
    fmt = text_format(secrets)
    human = {"format": fmt, "filter": _not_a_record, "diagnose": False, "backtrace": False}
    logger.add(sys.stderr, level="INFO", **human)
    logger.add(str(log_dir / "live.log"), level="DEBUG", rotation="50 MB", encoding="utf-8", **human)  # fmt: skip
    logging.getLogger("ccxt").setLevel(logging.WARNING)  # ccxt's debug log shows headers


def _not_a_record(record: dict) -> bool:
    return BIND_KEY not in record["extra"]


def main(argv: list[str] | None = None) -> int:
    return run_live(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
