"""The FakeBybit object: state, aiohttp app lifecycle and the Python control API for tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from accountbuilder.testing.fake_bybit import rows
from accountbuilder.testing.fake_bybit.bars import Bar, BarSeries, interval_ms
from accountbuilder.testing.fake_bybit.config import ApiKey, FakeConfig
from accountbuilder.testing.fake_bybit.engine import Engine
from accountbuilder.testing.fake_bybit.faults import Faults
from accountbuilder.testing.fake_bybit.params import SYMBOL
from accountbuilder.testing.fake_bybit.rest import RecordedRequest, RestApi
from accountbuilder.testing.fake_bybit.state import FakeOrder
from accountbuilder.testing.fake_bybit.ws import WsHub

HOST = "127.0.0.1"
FUNDING_MS = 8 * 3_600_000


def wall_clock_ms() -> int:
    """Real epoch milliseconds (the fake is a shell component; ccxt needs real time)."""
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class RecordedWsMessage:
    """One client→server WebSocket frame (JSON-decoded when possible)."""

    path: str
    conn_id: str
    message: Any
    time_ms: int


class FakeBybit:
    """A fake Bybit V5 exchange for BTCUSD inverse: REST + WS on 127.0.0.1, one account.

    Use from the event loop that runs it (all control methods are synchronous unless async).
    """

    def __init__(
        self,
        config: FakeConfig | None = None,
        *,
        port: int = 0,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.config = config or FakeConfig()
        self.port = port
        self.clock = clock or wall_clock_ms
        self.keys: dict[str, ApiKey] = {k.key: k for k in self.config.api_keys}
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self.ws_messages: list[RecordedWsMessage] = []
        self.bars = BarSeries()
        self.engine = Engine(self.config, self.clock, self._on_change)
        self.hub = WsHub(self.keys, self.faults, self.clock, self._snapshot, self._record_ws)
        self.rest = RestApi(self)
        price = self.config.price
        self._stats = {"prev24h": price, "high24h": price, "low24h": price,
                       "volume24h": Decimal(0), "turnover24h": Decimal(0)}  # fmt: skip
        self._ticker_sent: dict[str, Any] = {}
        self._kline_start: dict[str, int] = {}
        self._cs = 0
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    # ----- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        """REST base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        """WebSocket base URL; paths ``/v5/public/inverse`` and ``/v5/private``."""
        return f"ws://{HOST}:{self.port}"

    async def start(self) -> None:
        """Bind 127.0.0.1 (port 0 → a free port, then ``self.port``) and serve."""
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_get("/v5/public/inverse", self.hub.public)
        app.router.add_get("/v5/private", self.hub.private)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self.port).start()
        self.port = self._runner.addresses[0][1]
        self._ticker_sent = self.ticker_row()

    async def stop(self) -> None:
        """Close WebSockets, cut delayed answers short and stop listening."""
        self._stopping.set()
        if self._runner is not None:
            await self.hub.drop()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBybit:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_unless_stopping(self, seconds: float) -> None:
        """Sleep ``seconds`` or until ``stop()`` is called."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # ----- accounts ----------------------------------------------------------------------
    def add_api_key(
        self, key: str, secret: str, *, read_only: bool = False, withdraw: bool = False
    ) -> ApiKey:
        """Accept another key (``withdraw`` shows Withdraw permission in query-api)."""
        api = ApiKey(key, secret, read_only=read_only, withdraw=withdraw)
        self.keys[key] = api
        return api

    # ----- price path --------------------------------------------------------------------
    def set_mark_price(
        self,
        price: Decimal | float | str,
        *,
        ts_ms: int | None = None,
        volume: Decimal = Decimal(0),
    ) -> None:
        """Move mark and last price together (index = mark); fire triggers and fills."""
        value = Decimal(str(price))
        self._move(value, value, ts_ms, volume)

    def set_last_price(self, price: Decimal | float | str, *, ts_ms: int | None = None) -> None:
        """Move only the last price (the mark stays): resting limits and LastPrice triggers."""
        self._move(None, Decimal(str(price)), ts_ms, Decimal(0))

    def load_history(self, candles: Sequence[Bar]) -> None:
        """Serve these finished candles from the kline endpoints (no matching)."""
        self.bars.add_history(list(candles))

    async def replay(self, candles: Sequence[Bar], speed: float = 1.0) -> None:
        """Walk each candle open→low→high→close (bearish: open→high→low→close) as the mark.

        One candle takes ``span / speed`` real seconds; bars keep the candles' own times.
        """
        for bar in candles:
            up = bar.close >= bar.open
            path = (bar.open, bar.low, bar.high, bar.close) if up else (bar.open, bar.high, bar.low, bar.close)  # fmt: skip
            step = bar.span_ms // len(path)
            for i, price in enumerate(path):
                self.set_mark_price(price, ts_ms=bar.start_ms + i * step, volume=bar.volume / 4)
                await asyncio.sleep(step / 1000 / speed)

    # ----- order controls ----------------------------------------------------------------
    def order(self, order_link_id: str) -> FakeOrder:
        """The newest order with this ``orderLinkId`` (KeyError if none)."""
        found = self.engine.find(link_id=order_link_id)
        if found is None:
            raise KeyError(order_link_id)
        return found

    def fill_partially(self, order_link_id: str, qty: int, price: Decimal | None = None) -> None:
        """Fill ``qty`` contracts of a resting limit order as maker (at its price by default)."""
        self.engine.fill_partially(self.order(order_link_id), qty, price)

    def cancel_stop_elsewhere(
        self, order_link_id: str, *, status: str | None = None, cancel_type: str = "CancelByUser"
    ) -> None:
        """Cancel an open order as if from the web UI; pushes the ``order`` WS update."""
        found = self.order(order_link_id)
        if not found.is_open:
            raise ValueError(f"order {order_link_id} is {found.status}")
        self.engine.cancel_order(found, status, cancel_type)

    def reserve_order_link_id(self, order_link_id: str) -> None:
        """Make a create with this id answer 110072, as if an earlier attempt registered it."""
        self.engine.reserved_link_ids.add(order_link_id)

    # ----- WebSocket controls ------------------------------------------------------------
    def stall_ws(self) -> None:
        """Stop sending anything on every WS (pongs, acks, data are discarded)."""
        self.faults.ws_stalled = True

    def resume_ws(self) -> None:
        """Undo ``stall_ws`` (frames generated meanwhile stay lost)."""
        self.faults.ws_stalled = False

    async def drop_ws(self, private: bool | None = None) -> int:
        """Close WS connections (all, or only private/public); return how many."""
        return await self.hub.drop(private)

    async def wait_subscribed(self, topic: str, timeout: float = 5.0) -> None:
        """Wait until a WS connection is subscribed to ``topic`` (TimeoutError after ``timeout``)."""
        async with asyncio.timeout(timeout):
            while not any(topic in conn.topics for conn in self.hub.conns):
                await asyncio.sleep(0.01)

    # ----- records -----------------------------------------------------------------------
    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded REST requests to ``path`` (and ``method``), oldest first."""
        return [r for r in self.requests if r.path == path and method in (None, r.method)]

    # ----- market rows and WS fan-out ----------------------------------------------------
    def ticker_row(self) -> dict[str, Any]:
        """The current ``tickers`` row."""
        now = self.clock()
        return rows.ticker_row(self.engine, self._stats, now - now % FUNDING_MS + FUNDING_MS)

    def ensure_bar(self) -> None:
        """Give the kline endpoints one bar at the current price when none exists yet."""
        if not self.bars.bars:
            self.bars.tick(self.clock(), self.engine.last)

    def _current_bar(self, interval: str) -> Bar:
        bars = self.bars.aggregate(interval)
        if not bars:  # only history of a longer timeframe so far
            self.bars.tick(self.clock(), self.engine.last)
            bars = self.bars.aggregate(interval)
        return bars[-1]

    def _move(self, mark: Decimal | None, last: Decimal, ts_ms: int | None, volume: Decimal) -> None:  # fmt: skip
        self.engine.set_prices(mark, last)
        self.bars.tick(ts_ms or self.clock(), last, volume)
        stats = self._stats
        stats["high24h"], stats["low24h"] = max(stats["high24h"], last), min(stats["low24h"], last)
        stats["volume24h"] += volume
        stats["turnover24h"] += volume / last
        row = self.ticker_row()
        delta = {k: v for k, v in row.items() if self._ticker_sent.get(k) != v}
        self._ticker_sent = row
        if delta:
            self._cs += 1
            frame = {"topic": f"tickers.{SYMBOL}", "type": "delta", "data": {"symbol": SYMBOL, **delta},
                     "cs": self._cs, "ts": self.clock()}  # fmt: skip
            self.hub.publish(f"tickers.{SYMBOL}", frame)
        for topic in [t for t in self.hub.topics() if t.startswith("kline.")]:
            self._publish_kline(topic)

    def _publish_kline(self, topic: str) -> None:
        interval = topic.split(".")[1]
        current = self._current_bar(interval)
        previous = self._kline_start.get(topic)
        if previous is not None and previous < current.start_ms:
            closed = self.bars.aggregate(interval, previous, previous)
            if closed:
                self.hub.publish(topic, self._kline_frame(topic, closed[0], confirm=True))
        self._kline_start[topic] = current.start_ms
        self.hub.publish(topic, self._kline_frame(topic, current, confirm=False))

    def _kline_frame(self, topic: str, bar: Bar, confirm: bool) -> dict[str, Any]:
        interval, now = topic.split(".")[1], self.clock()
        data = {"start": bar.start_ms, "end": bar.start_ms + interval_ms(interval) - 1,
                "interval": interval, "open": rows.px(bar.open), "close": rows.px(bar.close),
                "high": rows.px(bar.high), "low": rows.px(bar.low), "volume": format(bar.volume, "f"),
                "turnover": rows.btc(bar.turnover), "confirm": confirm, "timestamp": now}  # fmt: skip
        return {"topic": topic, "type": "snapshot", "ts": now, "data": [data]}

    def _snapshot(self, topic: str) -> dict[str, Any] | None:
        if topic.startswith("tickers."):
            self._cs += 1
            return {"topic": topic, "type": "snapshot", "data": self.ticker_row(), "cs": self._cs,
                    "ts": self.clock()}  # fmt: skip
        current = self._current_bar(topic.split(".")[1])
        self._kline_start.setdefault(topic, current.start_ms)
        return self._kline_frame(topic, current, confirm=False)

    def _on_change(self, topic: str, obj: Any) -> None:
        if topic == "order":
            row = rows.order_row(obj, ws=True)
        elif topic == "execution":
            row = rows.execution_row(obj, ws=True)
        elif topic == "position":
            row = rows.position_row(self.engine, ws=True)
        else:
            row = rows.wallet_row(self.engine)
        self.hub.publish_private(topic, [row])

    def _record_ws(self, path: str, conn_id: str, message: Any) -> None:
        self.ws_messages.append(RecordedWsMessage(path, conn_id, message, self.clock()))
