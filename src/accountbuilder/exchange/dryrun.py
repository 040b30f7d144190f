"""The exchange port of a dry run: Bybit's public market, the simulator's account (issue 20).

``DryRunExchange`` is one ``ExchangePort`` made of two halves:

- the market — instrument, candles, marks, the public stream — is Bybit's, read through a
  ``PublicFeed`` (no key; public requests only, each counted in the F1 budget as live);
- the account — wallet, position, orders, fills, fees, funding, liquidation — is the
  simulator's (``SimExchange`` over a ``TickEngine``), moved by every mark and last price the
  feed delivers, as it arrives, whether the bot ticks or not (as an exchange would).

Events reach the driver in arrival order: each market event, then what the simulator did on
it. The account is handed to ``on_change`` (a JSON-able document, ``sim.snapshot``) after every
change, before the change is reported, so a restart finds the orders the bot was told of.
Direct calls count one REST call each in the budget, like live's; the executor's view
(``for_executor``) does not count again what the executor counted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loguru import logger

from accountbuilder.domain.enums import MarginMode
from accountbuilder.domain.events import ExchangeEvent, MarkPriceUpdated, StreamReconnected
from accountbuilder.domain.models import (
    AccountSnapshot,
    Candle,
    FeeRates,
    Instrument,
    Order,
    OrderSpec,
)
from accountbuilder.domain.reasons import Denial
from accountbuilder.exchange.bybit.feed import PublicFeed
from accountbuilder.exchange.errors import RateLimited
from accountbuilder.exchange.port import AccountSettings, ExchangePosition
from accountbuilder.exchange.sim import snapshot
from accountbuilder.exchange.sim.config import SimConfig
from accountbuilder.exchange.sim.exchange import SimExchange
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.ticks import TickEngine
from accountbuilder.health.rest_budget import RestBudget

SATOSHI = Decimal("0.00000001")
MISSED_PAGES = 10  # a restart walks at most 10,000 missed minutes (~6.9 days), 10 requests
OnChange = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class DryStart:
    """How a dry account starts: a saved one, or ``start_equity_usd`` at the first mark."""

    start_equity_usd: Decimal
    saved: dict[str, Any] | None = None


class DryAccount:
    """The simulated account's port methods; ``budget`` set: each call counts (F1)."""

    def __init__(
        self, sim: SimExchange, engine: TickEngine, on_change: OnChange, budget: RestBudget | None
    ) -> None:
        self.sim, self.engine, self.on_change, self.budget = sim, engine, on_change, budget

    def save(self) -> None:
        self.on_change(snapshot.to_dict(self.engine))

    def _count(self) -> None:
        if self.budget is None:
            return
        grant = self.budget.try_acquire(self.engine.now_ms, protective=False)
        if isinstance(grant, Denial):
            raise RateLimited(f"F1 REST budget: not sent ({grant})")

    async def _changing(self, call: Callable[[], Any]) -> Any:
        self._count()
        try:
            return await call()
        finally:
            self.save()  # a refused order is recorded too (a PostOnly that would take)

    async def fetch_fee_rates(self) -> FeeRates:
        self._count()
        return await self.sim.fetch_fee_rates()

    async def fetch_account(self) -> AccountSnapshot:
        self._count()
        return await self.sim.fetch_account()

    async def fetch_position(self) -> ExchangePosition:
        self._count()
        return await self.sim.fetch_position()

    async def fetch_settings(self) -> AccountSettings:
        self._count()
        return await self.sim.fetch_settings()

    async def set_margin_mode(self, mode: MarginMode) -> None:
        await self._changing(lambda: self.sim.set_margin_mode(mode))

    async def set_leverage(self, leverage: Decimal) -> None:
        await self._changing(lambda: self.sim.set_leverage(leverage))

    async def place_order(self, spec: OrderSpec) -> Order:
        return await self._changing(lambda: self.sim.place_order(spec))

    async def amend_order(
        self, client_id: str, *, qty: int | None = None, trigger_price: Decimal | None = None
    ) -> Order:
        return await self._changing(
            lambda: self.sim.amend_order(client_id, qty=qty, trigger_price=trigger_price)
        )

    async def cancel_order(self, client_id: str) -> Order:
        return await self._changing(lambda: self.sim.cancel_order(client_id))

    async def fetch_order(self, client_id: str) -> Order | None:
        self._count()
        return await self.sim.fetch_order(client_id)

    async def fetch_open_orders(self) -> list[Order]:
        self._count()
        return await self.sim.fetch_open_orders()


class DryRunExchange(DryAccount):
    """The dry run's ``ExchangePort``: build with ``open``; ``take_events`` each tick."""

    def __init__(
        self,
        feed: PublicFeed,
        instrument: Instrument,
        engine: TickEngine,
        on_change: OnChange,
        budget: RestBudget,
    ) -> None:
        sim = SimExchange(engine.config, engine=lambda config, faults: engine)
        super().__init__(sim, engine, on_change, budget)
        self.feed, self.instrument = feed, instrument
        self._events: list[ExchangeEvent] = []
        self._gap = True  # the first price after a start: nothing was seen since the last one
        feed.listener = self._on_market

    @classmethod
    async def open(
        cls, feed: PublicFeed, budget: RestBudget, start: DryStart, on_change: OnChange
    ) -> DryRunExchange:
        """Read the instrument and the mark (public REST); open or restore the account."""
        instrument = await feed.load_instrument()
        mark = await feed.fetch_mark_price()
        balance = (start.start_equity_usd / mark).quantize(SATOSHI)
        config = SimConfig(instrument=instrument, start_balance_btc=balance)
        engine = TickEngine(config, FaultPlan(), feed.clock, mark)  # a dry run injects nothing
        if start.saved is not None:
            snapshot.restore(engine, start.saved)
            await _walk_missed(feed, engine)
        exchange = cls(feed, instrument, engine, on_change, budget)
        exchange.save()
        return exchange

    def for_executor(self) -> DryAccount:
        """The account as the ``CommandExecutor`` sees it (it has counted each call, F1)."""
        return DryAccount(self.sim, self.engine, self.on_change, None)

    def start_streams(self) -> None:
        self.feed.start_streams()

    def take_events(self) -> list[ExchangeEvent]:
        """Every event since the last call, in arrival order."""
        self._events += self.sim.take_events()
        taken, self._events = self._events, []
        return taken

    def health(self) -> dict[str, Any]:
        """The feed's figures for ``status`` (clock offset, dropped frames)."""
        return self.feed.health().to_dict()

    # --------------------------------------------------------------------- the market half
    async def load_instrument(self) -> Instrument:
        return self.instrument  # read at open: filters and risk tiers of the real BTCUSD

    async def fetch_candles(self, interval: str, limit: int) -> list[Candle]:
        return await self.feed.fetch_candles(interval, limit)

    async def fetch_mark_price(self) -> Decimal:
        return await self.feed.fetch_mark_price()

    def events(self) -> AsyncIterator[ExchangeEvent]:
        """The events queued by now; the iterator ends when they run out."""
        return self._iter_events()

    async def _iter_events(self) -> AsyncIterator[ExchangeEvent]:
        for event in self.take_events():
            yield event

    async def close(self) -> None:
        await self.feed.close()

    def _on_market(self, event: ExchangeEvent) -> None:
        """A market event as it arrives: the simulator moves on it first (as Bybit would)."""
        if isinstance(event, StreamReconnected):
            self._gap = True
        self._events.append(event)
        if isinstance(event, MarkPriceUpdated):
            acted = self.engine.on_prices(event.mark_price, event.last_price, gap=self._gap)
            self._gap = False
            if acted or self.sim.pending_events:
                self.save()
            self._events += self.sim.take_events()


async def _walk_missed(feed: PublicFeed, engine: TickEngine) -> None:
    """A restored account walks the minutes it did not see (mark-price candles), as the
    exchange would have: a stop crossed meanwhile fills at its trigger, when it was crossed."""
    seen = engine.seen_ms
    candles = await feed.fetch_mark_candles(seen, MISSED_PAGES)
    executions = engine.walk_missed(candles)
    logger.info(
        "dry account: walked {} missed 1-minute mark candles since {} ({} executions)",
        len(candles), seen, executions,
    )  # fmt: skip
    if candles and candles[-1].ts_ms + 60_000 < engine.now_ms - 60_000:
        logger.warning(
            "dry account: the minutes after {} were not walked (more than {} pages missed); "
            "the first price is a gap", candles[-1].ts_ms + 60_000, MISSED_PAGES,
        )  # fmt: skip
