"""Bybit's public market data, without a key: the dry run's view of the market (issue 20).

``PublicFeed`` owns a ``PublicBybitClient`` (public requests only, ``public.py``), the public
WebSocket topics (``tickers.BTCUSD``, ``kline.1.BTCUSD``, ``kline.D.BTCUSD``) decoded by the
live ``StreamSet``, the public REST reads of the live adapter (``market.py``) and its clock
measure (``/v5/market/time``). Each event — a mark, a closed candle, a pong, a reconnect, a
REST round trip (E2) — goes to ``listener`` as it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from accountbuilder.domain.events import ExchangeEvent, RestRoundTrip
from accountbuilder.domain.models import Candle, Instrument
from accountbuilder.exchange.bybit.client import ClientSettings, Clock
from accountbuilder.exchange.bybit.clock_sync import ClockSync
from accountbuilder.exchange.bybit.health import ExchangeHealth
from accountbuilder.exchange.bybit.market import MarketReads
from accountbuilder.exchange.bybit.public import PUBLIC_TOPICS, PublicBybitClient
from accountbuilder.exchange.bybit.streams import StreamSet
from accountbuilder.health.rest_budget import RestBudget

Listener = Callable[[ExchangeEvent], None]


class PublicFeed:
    """The public half of Bybit: reference data, candles, marks and the public stream."""

    def __init__(self, client: PublicBybitClient) -> None:
        self.client, self.clock = client, client.clock
        self.market = MarketReads(client)
        self.clock_sync = ClockSync(client)
        self.listener: Listener = lambda event: None
        self.streams = StreamSet(client, self._emit, topics=PUBLIC_TOPICS)
        client.on_request = self._on_request
        client.on_timestamp_refused = self.clock_sync.mark_stale

    @classmethod
    def connect(
        cls,
        settings: ClientSettings,
        budget: RestBudget,
        clock: Clock,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> PublicFeed:
        """Build the feed (no network yet); every request it makes counts in ``budget`` (F1)."""
        return cls(PublicBybitClient(settings, budget, clock, sleep))

    def start_streams(self) -> None:
        """Subscribe to the public topics (events reach ``listener`` from now on)."""
        self.streams.start()

    async def ready(self, timeout_s: float) -> bool:
        """Wait until every public topic was acknowledged (False after ``timeout_s``)."""
        return await self.streams.ready(timeout_s)

    async def load_instrument(self) -> Instrument:
        return await self.market.load_instrument()

    async def fetch_candles(self, interval: str, limit: int) -> list[Candle]:
        return await self.market.fetch_candles(interval, limit)

    async def fetch_mark_price(self) -> Decimal:
        return await self.market.fetch_mark_price()

    async def fetch_mark_candles(self, start_ms: int, max_pages: int) -> list[Candle]:
        return await self.market.fetch_mark_candles(start_ms, max_pages)

    def health(self) -> ExchangeHealth:
        counts = self.streams.counts()
        return ExchangeHealth(
            clock=self.clock_sync.reading,
            invalid_position_answers=0,
            invalid_wallet_frames=0,
            dropped_frames=counts.dropped_frames,
            fills_recovered=0,
        )

    async def close(self) -> None:
        await self.streams.stop()
        await self.client.close()

    def _emit(self, event: ExchangeEvent) -> None:
        self.listener(event)

    def _on_request(self, path: str, latency_ms: int, was_prepaid: bool) -> None:
        now = self.clock()  # E2: a public call's round trip counts as live's do
        self._emit(RestRoundTrip(exchange_ts_ms=now, local_ts_ms=now, endpoint=path, latency_ms=latency_ms))  # fmt: skip
