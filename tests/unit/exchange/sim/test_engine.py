"""The simulator's clock: funding times, daily candles, market-event pacing, history, candles."""

from __future__ import annotations

import pytest
from tests.unit.exchange.sim.simkit import (
    BUY,
    DAY0,
    MIN,
    SELL,
    D,
    arrays,
    flat_rows,
    market,
    of,
    sim,
    stop,
)

from accountbuilder.domain.events import (
    CandleClosed,
    FundingApplied,
    MarkPriceUpdated,
    OrderFilled,
)
from accountbuilder.exchange.errors import Rejected

HOUR = 3_600_000
DAY = 86_400_000


async def test_a1_funding_every_8h_at_00_08_16_utc_longs_pay_positive_rates():
    # hourly candles 23:00 (day before) .. 17:00, all at 50,000
    ex = sim(flat_rows(50000.0, 19), start_ms=DAY0 - HOUR, tf=HOUR)
    await ex.place_order(market("en", BUY, 1000))
    wallet0 = ex.ledger.wallet_btc

    events = ex.advance(DAY0 + 18 * HOUR)

    paid = of(events, FundingApplied)
    # each: 1000 / 50,000 × 0.0001 = 0.000002 BTC, paid by the long
    assert [f.exchange_ts_ms for f in paid] == [DAY0, DAY0 + 8 * HOUR, DAY0 + 16 * HOUR]
    assert [f.amount_btc for f in paid] == [D("-0.000002")] * 3
    assert ex.ledger.wallet_btc == wallet0 - D("0.000006")


async def test_a1_funding_rates_per_interval_and_only_while_a_position_is_open():
    rates = {DAY0 + 8 * HOUR: D("-0.0003")}
    ex = sim(flat_rows(50000.0, 19), start_ms=DAY0 - HOUR, tf=HOUR, funding_rates=rates)
    await ex.place_order(market("en", SELL, 1000))
    ex.advance(DAY0 + 9 * HOUR)
    await ex.place_order(market("x", BUY, 1000))  # flat before 16:00
    ex.take_events()

    later = ex.advance(DAY0 + 18 * HOUR)

    assert of(later, FundingApplied) == []
    # 00:00: short receives 0.000002; 08:00 (rate −0.0003): short pays 1000/50000 × 0.0003
    assert ex.ledger.funding_btc == D("0.000002") - D("0.000006")
    assert ex.ledger.side is None


async def test_d2_a_daily_candle_is_built_from_the_minutes_at_each_utc_day_end():
    # 5-minute candles from 00:00 for 25 h: price climbs 1 a candle
    rows = [(100.0 + i, 101.5 + i, 99.5 + i, 101.0 + i) for i in range(300)]
    ex = sim(rows, tf=5 * MIN)

    events = ex.advance(DAY0 + 300 * 5 * MIN)

    [day] = [e for e in of(events, CandleClosed) if e.interval == "D"]
    assert day.exchange_ts_ms == DAY0 + DAY
    c = day.candle
    # day = candles 0..287: open 100, high 101.5 + 287, low 99.5, close 101 + 287
    assert (c.ts_ms, c.open, c.high, c.low, c.close) == (DAY0, 100, D("388.5"), D("99.5"), 388)
    assert c.volume == D(288 * 1000)
    assert [d.ts_ms for d in await ex.fetch_candles("D", 5)] == [DAY0]


def test_f6_market_events_every_n_candles():
    ex = sim(flat_rows(30000.0, 9), market_events_every=3)

    events = ex.advance(DAY0 + 9 * MIN)

    marks = of(events, MarkPriceUpdated)
    assert [m.exchange_ts_ms for m in marks] == [DAY0 + 3 * MIN, DAY0 + 6 * MIN, DAY0 + 9 * MIN]
    minutes = [e for e in of(events, CandleClosed) if e.interval == "1"]
    assert [c.candle.ts_ms for c in minutes] == [DAY0 + 2 * MIN, DAY0 + 5 * MIN, DAY0 + 8 * MIN]


def test_f6_market_events_on_demand_only():
    ex = sim(flat_rows(30000.0, 9), market_events_every=0)

    quiet = ex.advance(DAY0 + 9 * MIN)
    ex.emit_market_event()
    asked = ex.take_events()

    assert quiet == []
    assert [type(e) for e in asked] == [MarkPriceUpdated, CandleClosed]
    assert asked[1].candle.ts_ms == DAY0 + 8 * MIN


async def test_f6_candles_before_the_start_are_history_without_events():
    rows = [(100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i) for i in range(10)]
    ex = sim(rows)
    ex.load(arrays(rows), start_ts_ms=DAY0 + 5 * MIN)

    history = await ex.fetch_candles("1", 10)

    assert [c.ts_ms for c in history] == [DAY0 + i * MIN for i in range(5)]
    assert ex.mark_price == D("104.5") and ex.now_ms == DAY0 + 5 * MIN
    assert ex.take_events() == []
    with pytest.raises(Rejected):
        await ex.fetch_candles("60", 10)


async def test_f6_fetch_candles_returns_only_closed_candles():
    ex = sim(flat_rows(30000.0, 10))
    ex.run_to(DAY0 + 4 * MIN + 30_000)  # mid fifth candle

    got = await ex.fetch_candles("1", 3)

    assert [c.ts_ms for c in got] == [DAY0 + MIN, DAY0 + 2 * MIN, DAY0 + 3 * MIN]
    assert ex.now_ms == DAY0 + 4 * MIN + 30_000


async def test_f6_an_order_placed_mid_candle_is_stamped_no_earlier_than_its_placement():
    ex = sim(
        [(30000, 30010, 29990, 30000), (30000, 30010, 29990, 30000), (30000, 30100, 29000, 29500)]
    )
    ex.run_to(DAY0 + 2 * MIN + 50_000)
    await ex.place_order(market("en", BUY, 100))
    await ex.place_order(stop("sl", SELL, 100, 29500))
    ex.take_events()

    events = ex.advance(DAY0 + 3 * MIN)

    # the stop fired in the last candle's first segment (nominally +20 s), after placement
    assert [f.fill.ts_ms for f in of(events, OrderFilled)] == [DAY0 + 2 * MIN + 50_000]
    assert min(e.exchange_ts_ms for e in events) == DAY0 + 2 * MIN + 50_000
    assert ex.ledger.side is None
