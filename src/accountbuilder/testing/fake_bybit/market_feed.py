"""Public market frames of the fake Bybit: the ticker (snapshot, then deltas) and klines."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from accountbuilder.testing.fake_bybit import rows
from accountbuilder.testing.fake_bybit.bars import Bar, BarSeries, interval_ms
from accountbuilder.testing.fake_bybit.engine import Engine
from accountbuilder.testing.fake_bybit.params import SYMBOL
from accountbuilder.testing.fake_bybit.ws import WsHub

FUNDING_MS = 8 * 3_600_000


class MarketFeed:
    """Builds the ticker row and kline bars from the price path and fans them out on WS."""

    def __init__(self, engine: Engine, bars: BarSeries, clock: Callable[[], int]) -> None:
        self.engine, self.bars, self.clock = engine, bars, clock
        self.hub: WsHub | None = None  # set once the hub exists (it asks us for snapshots)
        price = engine.cfg.price
        self._stats = {"prev24h": price, "high24h": price, "low24h": price,
                       "volume24h": Decimal(0), "turnover24h": Decimal(0)}  # fmt: skip
        self._ticker_sent: dict[str, Any] = {}
        self._kline_start: dict[str, int] = {}
        self._cs = 0

    def start(self) -> None:
        self._ticker_sent = self.ticker_row()

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

    def move(self, mark: Decimal | None, last: Decimal, ts_ms: int | None, volume: Decimal) -> None:  # fmt: skip
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
            self._publish(f"tickers.{SYMBOL}", frame)
        for topic in [
            t for t in (self.hub.topics() if self.hub else set()) if t.startswith("kline.")
        ]:
            self._publish_kline(topic)

    def _publish_kline(self, topic: str) -> None:
        interval = topic.split(".")[1]
        current = self._current_bar(interval)
        previous = self._kline_start.get(topic)
        if previous is not None and previous < current.start_ms:
            closed = self.bars.aggregate(interval, previous, previous)
            if closed:
                self._publish(topic, self._kline_frame(topic, closed[0], confirm=True))
        self._kline_start[topic] = current.start_ms
        self._publish(topic, self._kline_frame(topic, current, confirm=False))

    def _kline_frame(self, topic: str, bar: Bar, confirm: bool) -> dict[str, Any]:
        interval, now = topic.split(".")[1], self.clock()
        data = {"start": bar.start_ms, "end": bar.start_ms + interval_ms(interval) - 1,
                "interval": interval, "open": rows.px(bar.open), "close": rows.px(bar.close),
                "high": rows.px(bar.high), "low": rows.px(bar.low), "volume": format(bar.volume, "f"),
                "turnover": rows.btc(bar.turnover), "confirm": confirm, "timestamp": now}  # fmt: skip
        return {"topic": topic, "type": "snapshot", "ts": now, "data": [data]}

    def snapshot(self, topic: str) -> dict[str, Any] | None:
        if topic.startswith("tickers."):
            self._cs += 1
            return {"topic": topic, "type": "snapshot", "data": self.ticker_row(), "cs": self._cs,
                    "ts": self.clock()}  # fmt: skip
        current = self._current_bar(topic.split(".")[1])
        self._kline_start.setdefault(topic, current.start_ms)
        return self._kline_frame(topic, current, confirm=False)

    def _publish(self, topic: str, frame: dict[str, Any]) -> None:
        if self.hub is not None:
            self.hub.publish(topic, frame)
