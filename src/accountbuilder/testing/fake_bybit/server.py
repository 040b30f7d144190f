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

from accountbuilder.testing.fake_bybit import account_events, rows
from accountbuilder.testing.fake_bybit.bars import Bar, BarSeries
from accountbuilder.testing.fake_bybit.config import ApiKey, FakeConfig
from accountbuilder.testing.fake_bybit.delays import DelayedStream
from accountbuilder.testing.fake_bybit.engine import Engine
from accountbuilder.testing.fake_bybit.faults import Faults
from accountbuilder.testing.fake_bybit.market_feed import MarketFeed
from accountbuilder.testing.fake_bybit.rest import RecordedRequest, RestApi
from accountbuilder.testing.fake_bybit.state import Execution, FakeOrder
from accountbuilder.testing.fake_bybit.ws import WsHub

HOST = "127.0.0.1"


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
        self._base_clock = clock or wall_clock_ms
        self.keys: dict[str, ApiKey] = {k.key: k for k in self.config.api_keys}
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self.ws_messages: list[RecordedWsMessage] = []
        self.bars = BarSeries()
        self.engine = Engine(self.config, self.clock, self._on_change)
        self.feed = MarketFeed(self.engine, self.bars, self.clock)
        self.hub = WsHub(self.keys, self.faults, self.clock, self.feed.snapshot, self._record_ws)
        self.feed.hub = self.hub
        self.stream = DelayedStream(self.clock, self.hub.publish_private, self.config.stream_delay_ms)  # fmt: skip
        self.rest = RestApi(self)
        self._funded_ms = self.clock()  # funding is booked for the 00/08/16 UTC passed since
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    def clock(self) -> int:
        """The exchange's time: the given clock plus ``faults.shift_clock``'s shift."""
        return self._base_clock() + self.faults.clock_shift_ms

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
        self.feed.start()

    async def stop(self) -> None:
        """Close WebSockets, cut delayed answers short and stop listening."""
        self._stopping.set()
        await self.stream.stop()
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
        self, key: str, secret: str, *, read_only: bool = False, withdraw: bool = False,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> ApiKey:  # fmt: skip
        """Accept another key (``withdraw``/``extra`` add permissions shown by query-api)."""
        api = ApiKey(key, secret, read_only=read_only, withdraw=withdraw, extra=extra)
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

    def _move(self, mark: Decimal | None, last: Decimal, ts_ms: int | None, volume: Decimal) -> None:  # fmt: skip
        self.settle_funding()
        self.feed.move(mark, last, ts_ms, volume)
        if account_events.liquidation_hit(self.engine):
            account_events.liquidate(self.engine, "Liq")

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

    def reject_next_create(self, reason: str = "EC_Others") -> None:
        """Ack the next create (retCode 0), then report the order ``Rejected`` with ``reason``."""
        self.engine.reject_next.append(reason)

    def reject_order(self, order_link_id: str, reason: str = "EC_Others") -> None:
        """The exchange rejects a working order (e.g. an ``Untriggered`` stop); pushes it."""
        found = self.order(order_link_id)
        if not found.is_open:
            raise ValueError(f"order {order_link_id} is {found.status}")
        self.engine.reject_order(found, reason)

    def set_taker_ladder(self, ladder: Sequence[tuple[Decimal | int | str, int]] | None) -> None:
        """Immediate liquidity: ``(offset from last, contracts)`` levels; None: unlimited."""
        self.engine.ladder = None if ladder is None else tuple((Decimal(str(o)), q) for o, q in ladder)  # fmt: skip

    # ----- account controls --------------------------------------------------------------
    def delay_stream(self, seconds: float) -> None:
        """Asynchronous processing: private frames go out ``seconds`` after the change."""
        self.stream.delay_ms = int(seconds * 1000)

    def move_coin(self, coin: str, delta: Decimal | int | str) -> None:
        """Change another coin's balance; the wallet frame holds only that coin (as Bybit's)."""
        engine = self.engine
        engine.other_coins[coin] = engine.other_coins.get(coin, Decimal(0)) + Decimal(str(delta))
        self.stream.send("wallet", [rows.wallet_row(engine, coins=(coin,))])

    def lock_margin(self, btc: Decimal | str) -> None:
        """Hold ``btc`` of the wallet as margin elsewhere (available balance drops)."""
        self.engine.locked_btc = Decimal(str(btc))

    def liquidate(self, status: str = "Liq") -> Execution | None:
        """Liquidate (``Liq``: BustTrade) or auto-deleverage (``Adl``: AdlTrade) the position."""
        return account_events.liquidate(self.engine, status)

    def settle_funding(self) -> int:
        """Book the funding of every 00/08/16 UTC passed since the last call; return how many."""
        now = self.clock()
        paid = account_events.settle_funding(self.engine, self._funded_ms, now)
        self._funded_ms = max(self._funded_ms, now)
        return paid

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

    def ticker_row(self) -> dict[str, Any]:
        """The current ``tickers`` row."""
        return self.feed.ticker_row()

    def ensure_bar(self) -> None:
        """Give the kline endpoints one bar at the current price when none exists yet."""
        self.feed.ensure_bar()

    def _on_change(self, topic: str, obj: Any) -> None:
        if topic == "order":
            row = rows.order_row(obj, ws=True)
        elif topic == "execution":
            row = rows.execution_row(obj, ws=True)
        elif topic == "position":
            row = rows.position_row(self.engine, ws=True)
        else:  # a BTC change: the frame holds the BTC row only (changed coins only)
            row = rows.wallet_row(self.engine, coins=("BTC",))
        self.stream.send(topic, [row])

    def _record_ws(self, path: str, conn_id: str, message: Any) -> None:
        self.ws_messages.append(RecordedWsMessage(path, conn_id, message, self.clock()))
