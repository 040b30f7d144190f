"""The simulator on real BTC minutes: a crash-minute gap through a long's stop, and the fast
path against stepping every candle over two weeks with always-resting stop and take-profit."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pytest

from accountbuilder.domain.enums import (
    OrderRole,
    OrderSide,
    OrderType,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
)
from accountbuilder.domain.events import FundingApplied, OrderFilled
from accountbuilder.domain.models import OrderSpec
from accountbuilder.exchange.sim import SimConfig, SimExchange
from accountbuilder.marketdata.candles import load_candles, slice_dates

D = Decimal
TICK = D("0.5")
MIN = 60_000
DISTANCE = D("0.01")  # stop and take-profit 1 % from the entry


def call(coro):
    """Run a simulator coroutine (it never really awaits)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the simulator awaited something")


def to_tick(x, rounding=ROUND_FLOOR) -> Decimal:
    return (D(repr(float(x))) / TICK).to_integral_value(rounding=rounding) * TICK


def entry(cid, side, qty):
    return OrderSpec(cid, OrderRole.TAKER_ENTRY, side, OrderType.MARKET, qty)


def stop(cid, side, qty, trigger):
    direction = TriggerDirection.FALLING if side is OrderSide.SELL else TriggerDirection.RISING
    return OrderSpec(
        cid,
        OrderRole.STOP,
        side,
        OrderType.MARKET,
        qty,
        reduce_only=True,
        trigger_price=trigger,
        trigger_direction=direction,
        trigger_by=TriggerBy.MARK_PRICE,
    )


def take_profit(cid, side, qty, price):
    return OrderSpec(
        cid,
        OrderRole.TAKE_PROFIT,
        side,
        OrderType.LIMIT,
        qty,
        price=price,
        time_in_force=TimeInForce.POST_ONLY,
        reduce_only=True,
    )


@pytest.fixture(scope="module")
def april_may(shared_data):
    return load_candles(shared_data / "btcusd_1m_2021-04_2021-05.csv.gz")


def test_g6_real_crash_minute_long_stop_gaps_and_fills_at_the_open(april_may):
    day = slice_dates(april_may, "2021-05-19", "2021-05-19")
    gap = day.open[1:] / day.close[:-1] - 1
    k = int(np.argmin(gap)) + 1  # the minute opening furthest below the previous close
    prev_close, open_ = day.close[k - 1], day.open[k]
    # 13:11 UTC: previous close 31,392.53, open 30,980.33 (−1.31 %)
    assert gap[k - 1] < -0.01
    trigger = to_tick((prev_close + open_) / 2)  # 31,186.0: between the two
    assert float(open_) < float(trigger) < float(prev_close)
    ex = SimExchange(SimConfig(start_balance_btc=D("0.01"), market_events_every=0), day)
    ex.load(day, start_ts_ms=int(day.ts_ms[k]))  # clock at 13:11:00, mark = previous close
    call(ex.place_order(entry("en", OrderSide.BUY, 100)))
    call(ex.place_order(stop("sl", OrderSide.SELL, 100, trigger)))
    ex.take_events()

    events = ex.advance(int(day.ts_ms[k]) + MIN)

    [fill] = [e.fill for e in events if isinstance(e, OrderFilled)]
    assert fill.price == to_tick(open_) == D("30980.0")  # at the open, not at the trigger
    assert fill.price != trigger and fill.ts_ms == int(day.ts_ms[k])
    # entry at the previous close rounded up: 31,393.0
    # loss = 100 × (1/31393 − 1/30980) = −100 × 413 / (31393 × 30980) = −41300 / 972,555,140
    #      = −0.0000424655 BTC; at the trigger it would have been −20700 / 979,022,098 = −0.0000211
    realised = D(fill.extra["realised_pnl_btc"])
    assert realised == D(100) / D("31393.0") - D(100) / D("30980.0")
    assert abs(realised - D("-0.0000424655")) < D("1e-10")


def bracket_run(arrays, *, skip: bool, distance: Decimal = DISTANCE):
    """Always in the market with a stop and a take-profit `distance` away, re-placed after exits."""
    ex = SimExchange(
        SimConfig(start_balance_btc=D("0.05"), skip_quiet_candles=skip, market_events_every=0),
        arrays,
    )
    log, n, side = [], 0, OrderSide.BUY
    while not ex.finished:
        if ex.ledger.contracts == 0:
            for order in call(ex.fetch_open_orders()):
                call(ex.cancel_order(order.client_id))
            n += 1
            mark = ex.mark_price
            up, down = to_tick(mark * (1 + distance)), to_tick(mark * (1 - distance))
            exit_side = OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY
            call(ex.place_order(entry(f"en{n}", side, 500)))
            stop_px, tp_px = (down, up) if side is OrderSide.BUY else (up, down)
            call(ex.place_order(stop(f"sl{n}", exit_side, 500, stop_px)))
            call(ex.place_order(take_profit(f"tp{n}", exit_side, 500, tp_px)))
            side = exit_side
        log.extend(ex.advance(ex.end_ts_ms, stop_at_fill=True))
    return ex, log


def test_f6_fast_path_matches_stepping_every_candle_on_two_real_weeks(april_may):
    weeks = slice_dates(april_may, "2021-05-06", "2021-05-19")

    fast, fast_log = bracket_run(weeks, skip=True)
    slow, slow_log = bracket_run(weeks, skip=False)

    fills = [e for e in fast_log if isinstance(e, OrderFilled)]
    assert len(fills) > 50  # the comparison covers many round trips
    assert any(isinstance(e, FundingApplied) for e in fast_log)
    assert fast_log == slow_log
    assert fast.ledger == slow.ledger
