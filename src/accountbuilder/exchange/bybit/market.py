"""The public market reads of Bybit V5 BTCUSD inverse: instrument, candles, mark price.

Shared by the live adapter (``adapter.BybitExchange``) and the dry run (``feed.PublicFeed``):
every request here is a public, unsigned ``/v5/market`` call, parsed by ccxt and ``mapping``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accountbuilder.domain.models import SYMBOL, Candle, Instrument
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit import mapping
from accountbuilder.exchange.bybit.client import CCXT_SYMBOL, read_answer, result_of

INTERVAL_MS = {"1": 60_000, "D": 86_400_000}
INVERSE = {"category": "inverse", "symbol": SYMBOL}
KLINE_PAGE = 1000  # Bybit's most candles per kline request


class MarketReads:
    """Instrument filters with the risk tiers, closed candles and the mark, over one client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def load_instrument(self) -> Instrument:
        await self.client.call("load_markets")
        info = self.client.market_info()
        mark = await self.fetch_mark_price()
        risk = result_of(await self.client.call("publicGetV5MarketRiskLimit", dict(INVERSE)))
        return read_answer(
            lambda: mapping.instrument_from(info, mapping.risk_tiers(risk["list"], mark))
        )

    async def fetch_candles(self, interval: str, limit: int) -> list[Candle]:
        if interval not in INTERVAL_MS:
            raise port_errors.Rejected(f"interval {interval!r}: only '1' and 'D'", code=10001)
        params = dict(INVERSE, interval=interval, limit=min(limit + 1, 1000))
        rows = result_of(await self.client.call("publicGetV5MarketKline", params)).get("list")
        now, span = self.client.clock(), INTERVAL_MS[interval]
        candles = read_answer(lambda: [mapping.candle_from_rest(r) for r in rows])
        closed = sorted((c for c in candles if c.ts_ms + span <= now), key=lambda c: c.ts_ms)
        return closed[-limit:] if limit > 0 else []

    async def fetch_mark_candles(self, start_ms: int, max_pages: int) -> list[Candle]:
        """Closed 1-minute mark-price candles from the one holding ``start_ms``, oldest first:
        at most ``max_pages`` requests of 1,000 (``/v5/market/mark-price-kline``)."""
        span, now = INTERVAL_MS["1"], self.client.clock()
        first = start_ms - start_ms % span
        found: dict[int, Candle] = {}
        for _ in range(max_pages):
            if first + span > now:
                break
            end = min(first + KLINE_PAGE * span, now) - 1
            params = dict(INVERSE, interval="1", start=first, end=end, limit=KLINE_PAGE)
            answer = await self.client.call("publicGetV5MarketMarkPriceKline", params)
            rows = result_of(answer).get("list")
            for c in read_answer(lambda rows=rows: [mapping.candle_from_rest(r) for r in rows]):
                if first <= c.ts_ms and c.ts_ms + span <= now:
                    found[c.ts_ms] = c
            first = end + 1
        return [found[ts] for ts in sorted(found)]

    async def fetch_mark_price(self) -> Decimal:
        ticker = await self.client.call("fetch_ticker", CCXT_SYMBOL)
        return read_answer(lambda: mapping.dec(ticker["info"], "markPrice"))
