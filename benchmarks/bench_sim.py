"""Benchmark the simulated exchange on a year of 1-minute candles (run by hand, not in CI).

Build the data once (needs pandas: ``pip install pandas``), from the project root:

    python ../shared/tools/make_year_1m.py benchmarks/data/year_1m.csv.gz
    python benchmarks/bench_sim.py [--data benchmarks/data/year_1m.csv.gz] [--distance 0.01]

The replay is the simulator alone: always in a position with a resting stop and a resting
PostOnly take-profit ``distance`` away, re-placed after every exit (so orders always rest),
market events on demand only, daily candles and funding on. Target: < 1 s for 525,600 candles.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

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
from accountbuilder.marketdata.candles import load_candles

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "year_1m.csv.gz"
TICK = Decimal("0.5")


def call(coro):
    """Run a simulator coroutine to its end (it never really awaits)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the simulator awaited something")


def to_tick(x: Decimal) -> Decimal:
    return (x / TICK).to_integral_value(rounding=ROUND_FLOOR) * TICK


def place_bracket(ex: SimExchange, n: int, side: OrderSide, distance: Decimal, qty: int) -> None:
    exit_side = OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY
    mark = ex.mark_price
    up, down = to_tick(mark * (1 + distance)), to_tick(mark * (1 - distance))
    stop_px, tp_px = (down, up) if side is OrderSide.BUY else (up, down)
    direction = TriggerDirection.FALLING if side is OrderSide.BUY else TriggerDirection.RISING
    call(ex.place_order(OrderSpec(f"en{n}", OrderRole.TAKER_ENTRY, side, OrderType.MARKET, qty)))
    call(
        ex.place_order(
            OrderSpec(
                f"sl{n}",
                OrderRole.STOP,
                exit_side,
                OrderType.MARKET,
                qty,
                reduce_only=True,
                trigger_price=stop_px,
                trigger_direction=direction,
                trigger_by=TriggerBy.MARK_PRICE,
            )
        )
    )
    call(
        ex.place_order(
            OrderSpec(
                f"tp{n}",
                OrderRole.TAKE_PROFIT,
                exit_side,
                OrderType.LIMIT,
                qty,
                price=tp_px,
                time_in_force=TimeInForce.POST_ONLY,
                reduce_only=True,
            )
        )
    )


def replay(arrays, distance: Decimal, skip: bool = True) -> dict:
    """One full replay; returns counts and the elapsed seconds."""
    config = SimConfig(
        start_balance_btc=Decimal("1"), market_events_every=0, skip_quiet_candles=skip
    )
    started = time.perf_counter()
    ex = SimExchange(config, arrays)
    n, side, fills, fundings = 0, OrderSide.BUY, 0, 0
    while not ex.finished:
        if ex.ledger.contracts == 0:
            for order in call(ex.fetch_open_orders()):
                call(ex.cancel_order(order.client_id))
            n += 1
            place_bracket(ex, n, side, distance, 1000)
            side = OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY
        for event in ex.advance(ex.end_ts_ms, stop_at_fill=True):
            fills += isinstance(event, OrderFilled)
            fundings += isinstance(event, FundingApplied)
    elapsed = time.perf_counter() - started
    return {
        "elapsed_s": elapsed,
        "candles": len(arrays),
        "candles_per_s": len(arrays) / elapsed,
        "brackets": n,
        "fills": fills,
        "fundings": fundings,
        "rest_calls": len(ex.rest_calls),
        "wallet_btc": ex.ledger.wallet_btc,
    }


def machine() -> str:
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            line.split(":", 1)[1].strip()
            for line in out.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--distance", type=Decimal, default=Decimal("0.01"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--step", action="store_true", help="also time stepping every candle")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(
            f"missing {args.data}; build it with ../shared/tools/make_year_1m.py", file=sys.stderr
        )
        return 2
    t0 = time.perf_counter()
    arrays = load_candles(args.data)
    load_s = time.perf_counter() - t0
    print(f"date     {datetime.now(UTC):%Y-%m-%d}")
    print(f"machine  {machine()}")
    print(f"load     {len(arrays):,} candles in {load_s:.3f} s ({len(arrays) / load_s:,.0f}/s)")
    runs = [replay(arrays, args.distance) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["elapsed_s"])
    print(
        f"replay   best of {args.repeat}: {best['elapsed_s']:.3f} s, "
        f"{best['candles_per_s']:,.0f} candles/s; brackets {best['brackets']:,}, "
        f"fills {best['fills']:,}, fundings {best['fundings']:,}, REST calls {best['rest_calls']:,}"
    )
    if args.step:
        slow = replay(arrays, args.distance, skip=False)
        print(
            f"stepping every candle: {slow['elapsed_s']:.3f} s, {slow['candles_per_s']:,.0f} candles/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
