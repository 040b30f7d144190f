"""The public market reads: missed mark-price minutes for a dry run's restart (issue 20, I4)."""

from __future__ import annotations

import pytest

from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.market import KLINE_PAGE, MarketReads

MIN = 60_000
T0 = 1_704_067_200_000


class KlineClient:
    """Answers ``/v5/market/mark-price-kline`` as Bybit does: newest first, within start..end."""

    def __init__(self, now: int, rows: list[list[str]] | None = None) -> None:
        self.now, self.calls, self.rows = now, [], rows

    def clock(self) -> int:
        return self.now

    async def call(self, method: str, params: dict) -> dict:
        assert method == "publicGetV5MarketMarkPriceKline"
        self.calls.append(params)
        if self.rows is not None:
            return {"retCode": 0, "result": {"list": self.rows}}
        start, end = params["start"], params["end"]
        bars = range(start - start % MIN, min(end, self.now) + 1, MIN)
        rows = [[str(ts), "100", "101", "99", "100.5"] for ts in bars][-params["limit"] :]
        return {"retCode": 0, "result": {"list": rows[::-1]}}


async def test_i4_missed_minutes_are_read_oldest_first_a_page_of_1000_at_a_time():
    now = T0 + 2_500 * MIN + 20_000  # 2,500 whole minutes missed, the current one still open
    client = KlineClient(now)

    candles = await MarketReads(client).fetch_mark_candles(T0 + 30_000, max_pages=10)

    assert [c.ts_ms for c in candles] == [T0 + k * MIN for k in range(2_500)]  # closed only
    assert len(client.calls) == 3 and all(p["limit"] == KLINE_PAGE for p in client.calls)
    assert [p["start"] for p in client.calls] == [T0, T0 + 1_000 * MIN, T0 + 2_000 * MIN]
    assert all(p["category"] == "inverse" and p["interval"] == "1" for p in client.calls)


async def test_i4_at_most_max_pages_are_read_and_the_rest_is_left_to_the_gap():
    client = KlineClient(T0 + 5_000 * MIN)

    candles = await MarketReads(client).fetch_mark_candles(T0, max_pages=2)

    assert len(client.calls) == 2 and candles[-1].ts_ms == T0 + 1_999 * MIN


async def test_i4_nothing_missed_reads_nothing():
    client = KlineClient(T0 + 30_000)

    assert await MarketReads(client).fetch_mark_candles(T0 + 10_000, max_pages=10) == []
    assert client.calls == []


async def test_e3_an_unreadable_kline_row_is_a_malformed_answer():
    client = KlineClient(T0 + 10 * MIN, rows=[[str(T0), "100", "oops", "99", "100"]])

    with pytest.raises(port_errors.MalformedResponse):
        await MarketReads(client).fetch_mark_candles(T0, max_pages=1)
