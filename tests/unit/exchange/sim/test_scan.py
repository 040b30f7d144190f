"""The fast path: the numpy search finds the first candle that can act, and skipping the
others gives exactly the events of stepping every candle."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from tests.unit.exchange.sim.scenarios import scenarios
from tests.unit.exchange.sim.simkit import BUY, DAY0, MIN, SELL, D, flat_rows, market, of, sim, stop

from accountbuilder.domain.events import OrderFilled
from accountbuilder.exchange.sim.scan import boundary_indices, next_touch

INF = np.inf


def test_f6_next_touch_finds_the_first_low_or_high_that_reaches_a_level():
    low = np.array([10.0, 9.0, 8.0, 9.5, 7.0])
    high = np.array([11.0, 10.0, 9.0, 12.0, 8.0])

    assert next_touch(low, high, 0, 5, 8.0, INF) == 2  # low ≤ 8 first at index 2
    assert next_touch(low, high, 0, 5, -INF, 12.0) == 3  # high ≥ 12 at index 3
    assert next_touch(low, high, 3, 5, 8.0, 12.0) == 3  # from index 3
    assert next_touch(low, high, 0, 2, 8.0, INF) == 2  # not before the end → end
    assert next_touch(low, high, 0, 5, -INF, INF) == 5  # nothing resting → end


def test_f6_next_touch_searches_past_its_first_chunk():
    n = 300_000
    low, high = np.full(n, 100.0), np.full(n, 101.0)
    low[n - 7] = 90.0

    assert next_touch(low, high, 5, n, 95.0, 200.0) == n - 7


def test_a1_funding_times_map_to_the_candle_closing_on_them():
    hour = 3_600_000
    close_ts = np.arange(1, 20, dtype=np.int64) * hour  # candles closing 01:00 .. 19:00

    times, idx = boundary_indices(close_ts, 0, 8 * hour)

    assert times.tolist() == [0, 8 * hour, 16 * hour]
    assert idx.tolist() == [0, 7, 15]  # 00:00 falls before the first close → candle 0


@given(scenarios())
def test_f6_skipping_quiet_candles_gives_the_same_events_as_stepping_each(scenario):
    fast, fast_log = scenario.run(skip=True)
    slow, slow_log = scenario.run(skip=False)

    assert fast_log == slow_log
    assert fast.ledger == slow.ledger


async def test_g6_a_stop_touched_exactly_fires_with_and_without_skipping():
    rows = flat_rows(30000.0, 50) + [(30000, 30010, 29500, 29800)] + flat_rows(29800.0, 5)
    got = []
    for skip in (True, False):
        ex = sim(rows, skip_quiet_candles=skip, market_events_every=0)
        await ex.place_order(market("en", BUY, 100))
        await ex.place_order(stop("sl", SELL, 100, 29500))

        events = ex.advance(DAY0 + 56 * MIN)

        got.append(
            [(f.fill.client_id, f.fill.price, f.fill.ts_ms) for f in of(events, OrderFilled)]
        )
    # the mark reaches 29,500 exactly in candle 50: a trigger fires on touch (≤), at the trigger
    assert got[0] == got[1] == [("en", D(30000), DAY0), ("sl", D(29500), DAY0 + 50 * MIN + 20_000)]
