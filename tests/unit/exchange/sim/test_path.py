"""The fill model inside a candle: trade-through limits, stops at trigger or gap, adverse order,
partial fills by volume, liquidation — each worked by hand."""

from __future__ import annotations

import pytest
from tests.unit.exchange.sim.simkit import (
    BUY,
    DAY0,
    MIN,
    SELL,
    D,
    limit,
    market,
    of,
    sim,
    stop,
)

from accountbuilder.domain.enums import Liquidity, OrderStatus, Side
from accountbuilder.domain.events import OrderFilled, OrderUpdated, PositionLiquidated

MAKER, TAKER = D("0.0001"), D("0.0006")


def fills(events):
    return [e.fill for e in of(events, OrderFilled)]


def statuses(events, cid):
    return [e.order.status for e in of(events, OrderUpdated) if e.order.client_id == cid]


async def test_g3_postonly_fills_only_when_the_price_trades_through_it():
    ex = sim(
        [
            (30000, 30010, 29900, 29950),  # touches 29,900: no fill
            (29950, 29960, 29899.5, 29900),  # trades through: fill
            (29900, 29910, 29890, 29900),
        ]
    )
    await ex.place_order(limit("en", BUY, 100, 29900))

    first = ex.step()
    second = ex.step()

    assert fills(first) == []
    [fill] = fills(second)
    # maker fee: 100 × 0.0001 / 29,900 BTC
    assert (fill.price, fill.qty, fill.liquidity) == (D(29900), 100, Liquidity.MAKER)
    assert (fill.fee_rate, fill.fee_btc) == (MAKER, D(100) * MAKER / D(29900))
    # flat, falling candle → path O→H→L→C: the low is reached in the 2nd segment (+40 s)
    assert fill.ts_ms == DAY0 + MIN + 40_000


async def test_g3_trade_through_ticks_option_models_queue_position():
    ex = sim(
        [
            (30000, 30010, 29950, 29950),
            (29950, 29960, 29899.5, 29900),  # 0.5 through: not enough for 2 ticks
            (29900, 29910, 29899.0, 29900),  # 1.0 through = 2 ticks of 0.5: fill
        ],
        require_trade_through_ticks=2,
    )
    await ex.place_order(limit("en", BUY, 100, 29900))

    per_candle = [fills(ex.step()) for _ in range(3)]

    assert [len(f) for f in per_candle] == [0, 0, 1]


async def test_g5_partial_fills_are_bounded_by_the_candle_volume():
    # participation 20% of 0.01 BTC = 0.002 BTC a candle; at 25,000 that is 50 contracts
    rows = [(26000, 26010, 25990, 26000, 0.01)] + [(25100, 25110, 24900, 25100, 0.01)] * 3
    ex = sim(rows, participation=0.2)
    await ex.place_order(limit("en", BUY, 120, 25000))
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 4 * MIN)

    assert [f.qty for f in fills(events)] == [50, 50, 20]
    assert statuses(events, "en") == [
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
    ]
    assert ex.ledger.contracts == 120


async def test_g6_stop_fills_at_its_trigger_as_a_market_order():
    ex = sim([(30000, 30010, 29990, 30000), (30000, 30100, 29400, 29600)])
    await ex.place_order(market("en", BUY, 100))
    await ex.place_order(stop("sl", SELL, 100, 29500))
    wallet0 = ex.ledger.wallet_btc  # after the entry's taker fee
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 2 * MIN)

    [fill] = fills(events)
    assert (fill.price, fill.liquidity, fill.fee_rate) == (D(29500), Liquidity.TAKER, TAKER)
    # pnl = 100 × (1/30000 − 1/29500) = −0.0000564972; fee = 100 × 0.0006 / 29500 = 0.0000020339
    pnl = D(100) / D(30000) - D(100) / D(29500)
    assert abs(pnl - D("-0.0000564972")) < D("1e-10")
    assert ex.ledger.wallet_btc == wallet0 + pnl - D(100) * TAKER / D(29500)
    assert statuses(events, "sl") == [OrderStatus.TRIGGERED, OrderStatus.FILLED]
    assert fill.ts_ms == DAY0 + MIN + 20_000  # long → low first: the 1st segment


async def test_g6_stop_fills_at_the_open_when_the_candle_gaps_past_the_trigger():
    ex = sim([(30000, 30010, 29990, 30000), (29000.3, 29100, 28900, 29050)])
    await ex.place_order(market("en", BUY, 100))
    await ex.place_order(stop("sl", SELL, 100, 29500))
    ex.take_events()  # the set-up's own events

    [fill] = fills(ex.advance(DAY0 + 2 * MIN))

    # the open 29,000.3 rounded down to the 0.5 tick (a sell takes the worse side)
    assert fill.price == D("29000.0")
    assert fill.ts_ms == DAY0 + MIN  # at the open


@pytest.mark.parametrize(
    ("side", "sl", "tp", "exit_px"),
    [
        (BUY, ("sl", SELL, 100, 29500), 30500, D(29500)),
        (SELL, ("sl", BUY, 100, 30500), 29500, D(30500)),
    ],
)
async def test_g6_when_stop_and_take_profit_share_a_candle_the_stop_comes_first(
    side, sl, tp, exit_px
):
    ex = sim([(30000, 30010, 29990, 30000), (30000, 30600, 29400, 30000)])
    await ex.place_order(market("en", side, 100))
    await ex.place_order(stop(*sl))
    await ex.place_order(limit("tp", SELL if side is BUY else BUY, 100, tp, reduce_only=True))
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 2 * MIN)

    assert [(f.client_id, f.price) for f in fills(events)] == [("sl", exit_px)]
    tp_order = await ex.fetch_order("tp")
    assert (tp_order.status, tp_order.reject_reason) == (
        OrderStatus.CANCELLED,
        "CancelByReduceOnly",
    )


async def test_g9_take_profit_fills_at_its_limit_as_maker_and_the_stop_stays():
    ex = sim([(30000, 30010, 29990, 30000), (30000, 30600, 29900, 30550)])
    await ex.place_order(market("en", BUY, 100))
    await ex.place_order(stop("sl", SELL, 100, 29500))
    await ex.place_order(limit("tp", SELL, 100, 30500, reduce_only=True))
    ex.take_events()  # the set-up's own events

    [fill] = fills(ex.advance(DAY0 + 2 * MIN))

    # pnl = 100 × (1/30000 − 1/30500) = +0.0000546448
    assert (fill.client_id, fill.price, fill.liquidity) == ("tp", D(30500), Liquidity.MAKER)
    assert abs(D(fill.extra["realised_pnl_btc"]) - D("0.0000546448")) < D("1e-10")
    # a conditional reduce-only order outlives the position (Bybit); the bot cancels it
    assert (await ex.fetch_order("sl")).status is OrderStatus.UNTRIGGERED


async def test_e6_liquidation_closes_at_bankruptcy_and_loses_the_margin():
    ex = sim([(30000, 30010, 29990, 30000), (30000, 30010, 27000, 27500)], leverage=D(10))
    await ex.place_order(market("en", BUY, 1000))
    await ex.place_order(limit("tp", SELL, 1000, 31000, reduce_only=True))
    pos = await ex.fetch_position()
    wallet0 = ex.ledger.wallet_btc
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 2 * MIN)

    # liq = 30000 / (1 + 1/10 − 0.005) = 27,397.26 → tick 27,397.5
    assert pos.liq_price == D("27397.5")
    [liq] = of(events, PositionLiquidated)
    # bankruptcy 30000 × 10/11 = 27,272.73; loss = IM = 1000 / 30000 / 10 = 0.0033333
    assert (liq.side, liq.contracts) == (Side.LONG, 1000)
    assert abs(liq.price - D("27272.7273")) < D("0.0001")
    assert ex.ledger.wallet_btc == wallet0 - D(1000) / D(30000) / D(10)
    assert (await ex.fetch_order("tp")).reject_reason == "CancelAllBeforeLiq"
    assert ex.ledger.contracts == 0


async def test_e6_a_stop_above_the_liquidation_price_fires_first():
    ex = sim([(30000, 30010, 29990, 30000), (30000, 30010, 27000, 27500)], leverage=D(10))
    await ex.place_order(market("en", BUY, 1000))
    await ex.place_order(stop("sl", SELL, 1000, 28000))
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 2 * MIN)

    assert [f.price for f in fills(events)] == [D(28000)]
    assert of(events, PositionLiquidated) == []


async def test_e6_a_gap_past_the_liquidation_price_liquidates_before_the_stop():
    ex = sim([(30000, 30010, 29990, 30000), (27000, 27100, 26900, 27000)], leverage=D(10))
    await ex.place_order(market("en", BUY, 1000))
    await ex.place_order(stop("sl", SELL, 1000, 28000))
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 2 * MIN)

    assert len(of(events, PositionLiquidated)) == 1
    assert fills(events) == []
    assert (await ex.fetch_order("sl")).reject_reason == "CancelAllBeforeLiq"


async def test_g6_on_one_price_the_stop_acts_before_a_limit():
    ex = sim([(30000, 30010, 29990, 30000), (30000, 30010, 29400, 29450)])
    await ex.place_order(market("en", BUY, 100))
    await ex.place_order(stop("sl", SELL, 100, 29500))
    await ex.place_order(limit("add", BUY, 100, 29500))
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 2 * MIN)

    # falling through 29,500: the stop triggers AT 29,500, the limit fills just THROUGH it
    assert [f.client_id for f in fills(events)] == ["sl", "add"]
    assert (ex.ledger.side, ex.ledger.contracts, ex.ledger.entry_price) == (
        Side.LONG,
        100,
        D(29500),
    )


def test_g6_the_candle_path_is_the_mark_path_and_quiet_candles_do_nothing():
    ex = sim([(30000, 30010, 29990, 30005)] * 3)
    ex.take_events()  # the set-up's own events

    events = ex.advance(DAY0 + 3 * MIN)

    assert fills(events) == [] and ex.mark_price == D("30005.0")
