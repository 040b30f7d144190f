"""The dry run against a backtest of the same real candles (issue 20: ticks vs candles).

The fake Bybit replays real 1-minute candles as its price (each candle open → low → high →
close, or open → high → low → close when it falls, one price every 15 s), and the dry run
trades them through its public stream; a backtest replays the same candles on the simulated
exchange. Both run the shipped config from the same equity. The difference is the price path
— the backtest walks each candle adversely to the position and ticks at candle closes, the
dry run sees the fake's path and ticks every second — so the documented tolerance
(docs/live.md, "Dry run first") is what this test measures.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

from tests.integration.exchange.bybit.livekit import ManualClock
from tests.integration.exchange.drykit import DryKit

from accountbuilder.config import load_config
from accountbuilder.domain.events import PongReceived
from accountbuilder.marketdata.candles import DAY_MS, load_candles, parse_utc_date_ms, resample
from accountbuilder.records.trade_log import TradeExitRecord
from accountbuilder.testing.fake_bybit.bars import Bar
from accountbuilder.testing.fake_bybit.config import FakeConfig
from accountbuilder.testing.fake_bybit.server import FakeBybit
from accountbuilder_runner.replay import Replay, plan_replay
from accountbuilder_runner.winrate_file import with_winrate

DATA = "btcusd_1m_2021-04_2021-05.csv.gz"
EQUITY_USD = Decimal(400)
STEP_MS = 15_000  # one replayed price every 15 s: four per candle
SATOSHI = Decimal("0.00000001")
CALM_BOUND_BTC = Decimal("0.000001")  # the documented differences (docs/live.md)
CRASH_BOUND_BTC = Decimal("0.0015")


def _config():
    return with_winrate(load_config(), Decimal(1))  # D4 open, as a backtest runs it


async def backtest_exits(arrays, from_ms: int, to_ms: int) -> list[TradeExitRecord]:
    plan = plan_replay(arrays, _config(), EQUITY_USD, from_ms=from_ms, to_ms=to_ms)
    exits: list[TradeExitRecord] = []

    def collect(now_ms, out, core) -> None:
        exits.extend(t for t in out.trades if isinstance(t, TradeExitRecord))

    replay = await Replay.open(plan, on_outbox=collect)
    await replay.run()
    return exits


def _bars(arrays, lo: int, hi: int, shift: int) -> list[Bar]:
    return [
        Bar(int(arrays.ts_ms[i]) + shift, arrays.timeframe_ms,
            *(Decimal(repr(float(c[i]))) for c in (arrays.open, arrays.high, arrays.low, arrays.close)))
        for i in range(lo, hi)
    ]  # fmt: skip


def _path(bar: Bar) -> tuple[Decimal, ...]:
    """The fake's replay order (``FakeBybit.replay``)."""
    up = bar.close >= bar.open
    return (bar.open, bar.low, bar.high, bar.close) if up else (bar.open, bar.high, bar.low, bar.close)  # fmt: skip


async def dry_run_exits(arrays, from_ms: int, to_ms: int) -> list[TradeExitRecord]:
    clock = ManualClock()
    shift = (clock() // DAY_MS) * DAY_MS - (from_ms // DAY_MS) * DAY_MS  # whole days: UTC aligned
    clock.now = from_ms + shift
    first = int(arrays.ts_ms.searchsorted(from_ms))
    last = int(arrays.ts_ms.searchsorted(to_ms))
    days = resample(arrays, DAY_MS // arrays.timeframe_ms)
    history = [b for b in _bars(days, 0, len(days), shift) if b.start_ms + DAY_MS <= clock()]
    history += _bars(arrays, max(first - 120, 0), first, shift)  # today's minutes so far
    server = FakeBybit(FakeConfig(price=history[-1].close), clock=clock)
    await server.start()
    server.load_history(history)
    kit = DryKit(server, clock)
    try:
        await kit.open(_config(), history=False, equity_usd=EQUITY_USD)
        for bar in _bars(arrays, first, last, shift):
            for k, price in enumerate(_path(bar)):
                await _step(kit, bar.start_ms + k * STEP_MS, price)
        await _step(kit, clock() + STEP_MS, None)
    finally:
        await kit.close()
        await server.stop()
    return [_unshift(t, shift) for t in kit.trades if isinstance(t, TradeExitRecord)]


async def _step(kit: DryKit, now_ms: int, price: Decimal | None) -> None:
    """Move the fake's price (or, when it does not change, ping as the keep-alive would),
    wait until the feed delivered it, then tick the dry run at ``now_ms``."""
    kit.clock.now = now_ms
    port = kit.session.port
    if price is not None and float(price) != port.engine.mark_f:
        kit.server.set_mark_price(price, ts_ms=now_ms)
        await _until(lambda: port.engine.mark_f == float(price))
    else:  # no ticker frame: a ping's pong is the traffic a quiet minute has live (F2)
        seen = len(port._events)
        for client in port.feed.client.ccxt.clients.values():
            await client.send({"req_id": str(now_ms), "op": "ping"})
        await _until(lambda: any(isinstance(e, PongReceived) for e in port._events[seen:]))
    await kit.session.driver.step(now_ms)


async def _until(done) -> None:
    for _ in range(4000):  # the frame's delivery, waited for (no timing in the result)
        if done():
            return
        await asyncio.sleep(0.0005)
    raise AssertionError("the fake's frame never reached the dry run")


def _unshift(t: TradeExitRecord, shift: int) -> TradeExitRecord:
    return replace(t, ts_ms=t.ts_ms - shift)


def trade_rows(exits: list[TradeExitRecord]) -> list[tuple]:
    cent = Decimal("0.01")
    return [
        (t.side.value, t.contracts, t.entry_price.quantize(cent), t.exit_price.quantize(cent),
         t.exit_reason.value, t.pnl_btc.quantize(SATOSHI))
        for t in exits
    ]  # fmt: skip


async def both(shared_data, start: str, end: str) -> tuple[list[tuple], list[tuple]]:
    arrays = load_candles(shared_data / DATA)
    from_ms, to_ms = parse_utc_date_ms(start), parse_utc_date_ms(end)
    candles = await backtest_exits(arrays, from_ms, to_ms)
    ticks = await dry_run_exits(arrays, from_ms, to_ms)
    return trade_rows(candles), trade_rows(ticks)


async def test_issue20_g6_on_a_calm_evening_the_dry_run_makes_the_backtests_trade(shared_data):
    candles, ticks = await both(shared_data, "2021-04-17T19:00:00Z", "2021-04-18T02:30:00Z")

    assert len(candles) == len(ticks) == 1  # entered at a grid level, left at the stop
    (bt, dry) = candles[0], ticks[0]
    assert (dry[0], dry[2], dry[3], dry[4]) == (bt[0], bt[2], bt[3], bt[4])  # same prices, exit
    assert abs(dry[1] - bt[1]) <= 1  # sized from the mark at the decision: 624 vs 623
    assert abs(dry[5] - bt[5]) <= CALM_BOUND_BTC  # measured 0.00000054 BTC


async def test_issue20_in_a_crash_ticks_and_candles_differ_within_the_documented_bound(
    shared_data,
):
    candles, ticks = await both(shared_data, "2021-04-18T02:00:00Z", "2021-04-18T05:00:00Z")

    assert len(candles) == 7 and abs(len(ticks) - len(candles)) <= 1  # measured 7 and 8
    assert ticks[0] == candles[0]  # until the fall outruns a candle's path, the same trade
    assert {t[0] for t in ticks} == {"long"}
    gap = sum(t[5] for t in ticks) - sum(t[5] for t in candles)
    # docs/live.md "Dry run first": measured -0.00115209 BTC (17 % of the 0.0068 BTC start)
    assert abs(gap) <= CRASH_BOUND_BTC, gap
