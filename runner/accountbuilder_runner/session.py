"""Wiring a core to a live-like port (live and dry runs alike): the account checks, the core
from the stored session (F5, I4), the executor (F1) and the live driver with its per-round hook
— commit first (I4), answer operator requests (E5), then notify — and the first ticks after a
start (G2: unresolved sends are looked up before anything is sent again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from loguru import logger

from accountbuilder.config.models import AppConfig
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.core.rounds import CommitFailed
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.marketdata.view import Staleness
from accountbuilder_runner.account_checks import prepare_account
from accountbuilder_runner.bootstrap import start_core
from accountbuilder_runner.drivers.live import LiveDriver
from accountbuilder_runner.executor import CommandExecutor
from accountbuilder_runner.notify import Notifier
from accountbuilder_runner.recorder import Recorder
from accountbuilder_runner.requests import RequestQueue

LIVE_STALENESS = Staleness(mark_ms=10_000, account_ms=300_000)
EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2
STREAMS_READY_S = 10.0  # how long a start waits for the streams' first frames


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Wiring:
    """What the round hook and the driver are given besides the port."""

    saved: dict | None = None
    recorder: Recorder | None = None
    notifier: Notifier | None = None
    requests: RequestQueue | None = None
    staleness: Staleness = LIVE_STALENESS
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep


@dataclass(frozen=True)
class Wired:
    core: TradingCore
    driver: LiveDriver
    restored: bool


async def wire(port, config: AppConfig, budget: RestBudget, clock: Callable[[], int],
               w: Wiring) -> Wired:  # fmt: skip
    """Check the account (F7, C5, B3), build the core and its driver on ``port``."""
    leverage = await prepare_account(port, config, w.saved)
    started = await start_core(
        port, config, clock(), saved=w.saved, staleness=w.staleness, with_ws=True
    )
    state = started.core.state
    state.leverage_in_force = min(state.leverage_in_force, leverage)  # B3: only ever down
    if w.notifier is not None:
        w.notifier.attach(started.core)
    executor = CommandExecutor(port.for_executor(), budget, clock, sleep=w.sleep)
    driver = LiveDriver(
        started.core,
        port,
        executor,
        budget,
        on_outbox=each_round(w.recorder, w.notifier, w.requests),
        requests=w.requests.take if w.requests else None,
    )
    driver.pending = list(started.startup_events)
    return Wired(started.core, driver, started.restored)


def each_round(
    recorder: Recorder | None, notifier: Notifier | None, requests: RequestQueue | None = None
):
    """The driver's ``on_outbox``: commit first (I4), then answer the operator requests the
    round settled (E5), then notify what the round produced."""
    if notifier is None and requests is None:
        return recorder.on_outbox if recorder else None

    def on_outbox(now_ms: int, out, core: TradingCore) -> None:
        if recorder is not None:
            try:
                recorder.on_outbox(now_ms, out, core)
            except CommitFailed as e:  # the round loop still sends the protective commands
                if notifier is not None:
                    notifier.store_failed(now_ms, core, str(e))
                raise
            if notifier is not None:
                notifier.store_ok(now_ms, core)
        if requests is not None:
            requests.settle(now_ms, out)
        if notifier is not None:
            notifier.on_outbox(now_ms, out, core)

    return on_outbox


async def first_ticks(session, clock: Callable[[], int]) -> list[str]:
    """Tick on the startup truth; after a restart the sends a crash may have hidden are
    looked up by client id before anything is sent again (G2). Return their client ids."""
    unresolved = [o.client_id for o in session.core.state.orders.live() if o.phase.awaits_evidence]
    if unresolved:
        logger.info("restart: looking up {} unresolved sends: {}", len(unresolved), unresolved)
    await session.driver.step(clock(), resume=True)
    return unresolved
