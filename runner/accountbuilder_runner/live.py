"""Live trading on Bybit: ``accountbuilder run --exchange bybit [--testnet] [--exchange-url URL]``.

Start (in this order): read the key pair (environment or a 0600 key file); measure the clock
offset against Bybit's (signatures use it); check the key's permissions (an allowlist: contract
orders and positions, reads) and the account mode (UTA 2.0 only); subscribe to the streams;
verify one-way mode (F7: refused, never switched), the configured margin mode (isolated by
default, SPEC C5; set only with nothing open and no other position on the account) and the
leverage (set downward only, B3); read the exchange's truth and build the core from the stored
session (F5, I4); wait until the clock is within 1 s of Bybit's; look up every send a crash
left unresolved (G2). Then tick every ``tick_s`` (pausing while the clock is off) until
SIGINT/SIGTERM: cancel the entry orders, keep the stop and the take-profit, persist, exit 0.
An answer that cannot be read at start (E3) exits 2; a refused key or account exits 1.
``accountbuilder status`` reads the same store meanwhile. With notification URLs configured,
the start, the clean stop and the run's news are notified (docs/notifications.md); the URLs
are masked in every log like the key pair.

Before anything else the store's lock is taken (a second runner on the same store exits 2
naming the first); the REST budget starts from the calls the store recorded (F1 across
restarts); ``halt reset`` requests are answered, each one, in the store (E5).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from accountbuilder.config.loader import ConfigError, load_config
from accountbuilder.config.models import AppConfig
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
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.marketdata.view import Staleness
from accountbuilder.records.sinks import BIND_KEY, RecordKind, sink_config, text_format
from accountbuilder.store.errors import StoreError
from accountbuilder.store.lock import StoreLock
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner import failpoints
from accountbuilder_runner.account_checks import prepare_account  # noqa: F401 (re-export)
from accountbuilder_runner.budget_journal import journaled_budget
from accountbuilder_runner.clock_guard import ClockGuard, with_clock
from accountbuilder_runner.drivers.live import LiveDriver
from accountbuilder_runner.live_args import add_arguments
from accountbuilder_runner.notify import Notifier, NotifyUrlError, NotifyUrls, build_notifier
from accountbuilder_runner.recorder import Recorder
from accountbuilder_runner.requests import RequestQueue
from accountbuilder_runner.session import (  # noqa: F401  (re-exported for tests and dryrun)
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    LIVE_STALENESS,
    STREAMS_READY_S,
    Wiring,
    each_round,
    first_ticks,
    wall_clock_ms,
    wire,
)
from accountbuilder_runner.start_guard import StartRefused, unreadable_answers_refused
from accountbuilder_runner.store_owner import foreign_session, record_owner, take_store
from accountbuilder_runner.ticktimes import TickTimes, freeze_startup_objects
from accountbuilder_runner.winrate_file import WinrateFileError, resolve_winrate, with_winrate


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
    requests: RequestQueue | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> LiveSession:
    """Measure the clock, verify the key and the account, read the truth, build the core."""
    reading = await adapter.measure_clock()  # before any signed request: sign with the offset
    logger.info("clock: {}", reading.describe())
    key = await adapter.verify_key()
    await adapter.verify_account()
    if not key.ip_restricted:
        logger.warning("the API key has no IP whitelist; Bybit expires such keys after 90 days")
    adapter.start_streams()
    if not await adapter.streams.ready(STREAMS_READY_S):
        logger.warning("streams not confirmed within {} s; starting anyway", STREAMS_READY_S)
    wired = await wire(
        adapter,
        config,
        budget,
        clock,
        Wiring(saved, recorder, notifier, requests, staleness, sleep),
    )
    return LiveSession(adapter, wired.core, wired.driver, budget, wired.restored)


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
    try:
        lock = take_store(store_path, wall_clock_ms())  # before logs and store are touched
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        if notifier is not None:
            notifier.close()
        return EXIT_BAD_INPUT
    try:
        return _run_locked(args, config, credentials, failpoint, notifier, urls, store_path, lock)
    finally:
        lock.release()


def _run_locked(
    args: argparse.Namespace,
    config: AppConfig,
    credentials: Credentials,
    failpoint: tuple | None,
    notifier: Notifier | None,
    urls: NotifyUrls,
    store_path: Path,
    lock: StoreLock,
) -> int:
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
        return asyncio.run(_main(config, credentials, settings, store_path, lock, notifier))
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
    lock: StoreLock,
    notifier: Notifier | None = None,
) -> int:
    clock = wall_clock_ms
    store = SqliteStore.open(store_path, now_ms=clock())
    try:
        record_owner(store, lock, "live")
        budget = journaled_budget(store, clock())
    except BaseException:
        store.close()
        raise
    adapter = BybitExchange.connect(credentials, settings, budget, clock)
    recorder = Recorder(store, budget, mode="live")
    recorder.runtime_extra["exchange"] = lambda: adapter.health().to_dict()
    if notifier is not None:
        recorder.day_listeners.append(notifier.on_day)
        recorder.runtime_extra["notify"] = notifier.stats
    guard = ClockGuard(adapter.clock_sync, clock)
    try:
        saved = store.load_session()
        foreign = foreign_session(saved, "live")
        if foreign is not None:  # never trade a dry run's simulated position as a real one
            logger.error("refusing to start: {}: {}", store_path, foreign)
            return EXIT_BAD_INPUT
        session = await _start(
            adapter,
            config,
            budget,
            clock,
            saved,
            recorder,
            RequestQueue(store_path, store),
            notifier,
        )
        if isinstance(session, int):
            return session
        started = f"live on {_venue(settings)}; session {'resumed' if saved else 'new'}"
        logger.info("{}", started)
        stop = _stop_on_signals()
        await guard.measure()  # the first tick knows whether entries may be made
        session.driver.requests = with_clock(session.driver.requests, guard)
        tick_times = TickTimes()
        session.driver.rounds.clock_ns = tick_times.clock
        session.driver.rounds.on_core_tick = tick_times.record
        recorder.runtime_extra["ticks"] = tick_times.stats
        freeze_startup_objects()  # no tick waits for a collection of the start-up objects
        await first_ticks(session, clock)
        if notifier is not None:
            notifier.started(clock(), session.core, started)
        await session.driver.run(clock, stop, config.runner.tick_s * 1000)
        await session.driver.shutdown(clock())
        recorder.finish(clock(), session.core)
        stopped = "entry orders cancelled, stop and take-profit left in place"
        logger.info("stopped: {}", stopped)
        _notify_stop(notifier, recorder, session.core, clock(), stopped)
        return EXIT_OK
    finally:
        await guard.close()
        await adapter.close()
        store.close()


async def _start(
    adapter: BybitExchange, config: AppConfig, budget: RestBudget, clock: Callable[[], int],
    saved: dict | None, recorder: Recorder, requests: RequestQueue, notifier: Notifier | None,
) -> LiveSession | int:  # fmt: skip
    """The session, or the exit code of a refused start (1) or an unreadable answer (2)."""
    try:
        async with unreadable_answers_refused():
            return await open_session(
                adapter, config, budget, clock, saved=saved, recorder=recorder,
                notifier=notifier, requests=requests,
            )  # fmt: skip
    except (StartRefused, port_errors.AuthError, port_errors.UnsupportedAccount) as e:
        logger.error("refusing to start: {}", e)
        return EXIT_REFUSED
    except port_errors.MalformedResponse as e:
        logger.error(
            "refusing to start: an answer from Bybit cannot be read (SPEC E3), no order was "
            "sent: {}",
            e,
        )
        return EXIT_BAD_INPUT
    except port_errors.ExchangeError as e:
        logger.error("exchange error at start: {}: {}", type(e).__name__, e)
        return EXIT_REFUSED


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
