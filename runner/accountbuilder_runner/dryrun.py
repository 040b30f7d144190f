"""Dry run on the live market: ``accountbuilder run --exchange bybit --dry-run`` (issue 20).

Bybit's public endpoints give the market — instrument and candles by REST at start, then the
public inverse WebSocket (``tickers.BTCUSD``, ``kline.1``, ``kline.D``) — and the simulator
the account: orders, fills, fees, funding and liquidation, moved by the live mark and last
prices (``exchange.dryrun``). No API key is asked for or read, and the client cannot sign or
send a private request (``exchange.bybit.public``). Everything else is live's: the core, the
driver and its tick, the store (its own file), the records, ``status``, notifications, the F1
budget (public calls count), WS health with DEGRADED and its HALT, E2, the clock check, and
the stop at SIGINT/SIGTERM (entries cancelled, stop and take-profit kept).

The dry account starts with ``--start-equity-usd`` at the first mark and lives in
``<store>-exchange.json`` beside the store; a restart resumes it, orders included. Every view
says DRY RUN: the log, the notifications, ``status`` and the summary printed at the stop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from loguru import logger

from accountbuilder.config.loader import ConfigError, load_config
from accountbuilder.config.models import AppConfig
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.client import ClientSettings
from accountbuilder.exchange.bybit.feed import PublicFeed
from accountbuilder.exchange.dryrun import DryRunExchange, DryStart
from accountbuilder.exchange.sim.snapshot import SnapshotError
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.store.errors import StoreError
from accountbuilder.store.lock import StoreLock
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.budget_journal import journaled_budget
from accountbuilder_runner.clock_guard import ClockGuard, with_clock
from accountbuilder_runner.drivers.live import LiveDriver
from accountbuilder_runner.dry_account_file import (
    AccountFile,
    AccountFileError,
    DryOrigin,
    account_path,
)
from accountbuilder_runner.dry_summary import dry_logging, summary_text
from accountbuilder_runner.notify import Notifier, NotifyUrlError, build_notifier
from accountbuilder_runner.recorder import Recorder
from accountbuilder_runner.requests import RequestQueue
from accountbuilder_runner.session import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    STREAMS_READY_S,
    Wiring,
    first_ticks,
    wall_clock_ms,
    wire,
)
from accountbuilder_runner.start_guard import StartRefused
from accountbuilder_runner.store_owner import foreign_session, record_owner, take_store
from accountbuilder_runner.winrate_file import WinrateFileError, resolve_winrate, with_winrate

MODE = "dry-run"  # the store's runtime mode: ``status`` shows DRY RUN for it
DEFAULT_DRY_STATE = Path("state") / "dryrun.sqlite"


@dataclass
class DrySession:
    """A dry run's pieces (tests build one against the fake Bybit)."""

    port: DryRunExchange
    core: TradingCore
    driver: LiveDriver
    budget: RestBudget
    restored: bool


async def open_dry_session(
    port: DryRunExchange,
    config: AppConfig,
    budget: RestBudget,
    clock: Callable[[], int],
    *,
    saved: dict | None = None,
    recorder: Recorder | None = None,
    notifier: Notifier | None = None,
    requests: RequestQueue | None = None,
    streams_ready_s: float = STREAMS_READY_S,
) -> DrySession:
    """Subscribe, run live's start checks on the dry account, build the core and its driver."""
    port.start_streams()
    if not await port.feed.ready(streams_ready_s):
        logger.warning("public streams not confirmed within {} s; starting anyway", streams_ready_s)
    wired = await wire(port, config, budget, clock, Wiring(saved, recorder, notifier, requests))
    return DrySession(port, wired.core, wired.driver, budget, wired.restored)


# =============================================================================== CLI
def refused_options(args: argparse.Namespace) -> str | None:
    """Live-only options that make no sense in a dry run (it reads no key, trades no account)."""
    if getattr(args, "testnet", False):
        return "--dry-run watches the real market's prices; --testnet does not apply"
    if getattr(args, "key_file", None) is not None:
        return "--dry-run reads no API key; drop --key-file"
    return None


def run_dry(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; exit 0 after a clean stop, 1 refused, 2 bad input."""
    refusal = refused_options(args)
    if refusal is not None:
        print(f"error: {refusal}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        config = load_config(getattr(args, "config", None))
        store_path = _store_path(args, config)
        notifier, urls = build_notifier(config.notify, os.environ, mode="DRY RUN")
    except (ConfigError, NotifyUrlError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    log_dir = Path(getattr(args, "log_dir", None) or store_path.parent / f"{store_path.stem}-logs")
    dry_logging(log_dir, urls.secrets())
    try:
        winrate = resolve_winrate(config, store_path)
        logger.info("D4 backtest win rate: {}", winrate.source)
        config = with_winrate(config, winrate.winrate)
        equity = getattr(args, "start_equity_usd", None) or config.runner.start_equity_usd
        settings = ClientSettings(
            url=getattr(args, "exchange_url", None),
            keepalive_ms=config.emergency.ws_ping_s * 1000,
        )
        lock = take_store(store_path, wall_clock_ms())  # a second dry run on it exits 2
    except StoreError as e:
        logger.error("{}", e)
        return EXIT_BAD_INPUT
    except WinrateFileError as e:
        logger.error("{}", e)
        return EXIT_BAD_INPUT
    try:
        return asyncio.run(_main(config, settings, store_path, lock, Decimal(equity), notifier))
    except (StoreError, AccountFileError, SnapshotError) as e:
        logger.error("{}", e)
        return EXIT_BAD_INPUT
    except Exception:
        logger.exception("the dry run failed")
        return EXIT_REFUSED
    finally:
        lock.release()
        if notifier is not None:
            notifier.close()


def _store_path(args: argparse.Namespace, config: AppConfig) -> Path:
    """The dry run's own store; never the live one (``runner_config.yaml`` ``store_path``)."""
    path = Path(getattr(args, "state", None) or DEFAULT_DRY_STATE)
    if path.resolve() == Path(config.runner.store_path).resolve():
        raise ValueError(f"{path} is the live store (runner_config store_path); a dry run "
                         f"keeps its own, e.g. --state {DEFAULT_DRY_STATE}")  # fmt: skip
    return path


async def _main(
    config: AppConfig,
    settings: ClientSettings,
    store_path: Path,
    lock: StoreLock,
    start_equity_usd: Decimal,
    notifier: Notifier | None,
) -> int:
    clock = wall_clock_ms
    store = SqliteStore.open(store_path, now_ms=clock())
    try:
        record_owner(store, lock, MODE)
        budget = journaled_budget(store, clock())  # F1 across restarts, as live
    except BaseException:
        store.close()
        raise
    feed = PublicFeed.connect(settings, budget, clock)
    guard = ClockGuard(feed.clock_sync, clock)
    try:
        saved = store.load_session()
        foreign = foreign_session(saved, MODE)
        if foreign is not None:
            logger.error("{}: {}", store_path, foreign)
            return EXIT_BAD_INPUT
        start = _Start(store, saved, start_equity_usd, budget, clock)
        return await _run(config, feed, guard, start, notifier)
    finally:
        await guard.close()
        await feed.close()
        store.close()


@dataclass(frozen=True)
class _Start:
    store: SqliteStore
    saved: dict | None
    start_equity_usd: Decimal
    budget: RestBudget
    clock: Callable[[], int]


async def _run(
    config: AppConfig,
    feed: PublicFeed,
    guard: ClockGuard,
    start: _Start,
    notifier: Notifier | None,
) -> int:
    """Open the dry session, tick until a signal, stop as live stops, print the summary."""
    opened = await _open(config, feed, guard, start, notifier)
    if isinstance(opened, int):
        return opened
    session, account, recorder = opened
    clock = start.clock
    started = (
        f"DRY RUN on {feed.client.settings.url or 'Bybit mainnet'} public prices "
        f"(simulated orders, no key); session {'resumed' if start.saved else 'new'}; "
        f"account {account.path}"
    )
    logger.info("{}", started)
    session.driver.requests = with_clock(session.driver.requests, guard)
    await first_ticks(session, clock)
    if notifier is not None:
        notifier.started(clock(), session.core, started)
    await session.driver.run(clock, _stop_on_signals(), config.runner.tick_s * 1000)
    await session.driver.shutdown(clock())
    recorder.finish(clock(), session.core)
    if notifier is not None:
        notifier.stopped(clock(), session.core, "DRY RUN clean stop")
        notifier.close()
        recorder.save(clock(), session.core)
    print(summary_text(start.store, session, account, clock()))
    return EXIT_OK


async def _open(
    config: AppConfig,
    feed: PublicFeed,
    guard: ClockGuard,
    start: _Start,
    notifier: Notifier | None,
) -> tuple[DrySession, AccountFile, Recorder] | int:
    """The session, its account file and recorder; or the exit code of a refused start."""
    store, budget, clock = start.store, start.budget, start.clock
    account, saved_account = AccountFile.load(
        account_path(Path(store.path)), DryOrigin(start.start_equity_usd, clock())
    )
    recorder = Recorder(store, budget, mode=MODE)
    if notifier is not None:
        recorder.day_listeners.append(notifier.on_day)
        recorder.runtime_extra["notify"] = notifier.stats
    try:
        await guard.measure()
        dry = DryStart(account.origin.start_equity_usd, saved_account)
        port = await DryRunExchange.open(feed, budget, dry, account.save)
        recorder.runtime_extra["exchange"] = port.health
        session = await open_dry_session(
            port, config, budget, clock, saved=start.saved, recorder=recorder,
            notifier=notifier, requests=RequestQueue(Path(store.path), store),
        )  # fmt: skip
    except (StartRefused, port_errors.MalformedResponse) as e:
        logger.error("refusing to start: {}", e)
        return EXIT_BAD_INPUT if isinstance(e, port_errors.MalformedResponse) else EXIT_REFUSED
    except port_errors.ExchangeError as e:
        logger.error("Bybit's public endpoints at start: {}: {}", type(e).__name__, e)
        return EXIT_REFUSED
    return session, account, recorder


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
