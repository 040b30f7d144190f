"""Benchmark anchor: the plain bracket grid on nautilus_trader, on the benchmark year.

Run by hand, not in CI. Needs the ``bench`` and ``bench-nautilus`` extras
(``pip install -e '.[bench,bench-nautilus]'``) and the year of 1-minute candles that
``bench_backtest.py`` uses:

    python benchmarks/bench_nautilus.py --repeat 3                # nautilus and backtesting.py
    python benchmarks/bench_nautilus.py --repeat 1 --reject-stop-orders   # the venue default

Every run is a fresh subprocess (its own ``ru_utime`` and ``ru_maxrss``), alternating with
``bench_backtest.py``'s backtesting.py side on the same file. The nautilus side:

- reads the CSV with pandas and turns every row into a nautilus ``Bar`` (timed: like the CSV
  reading of backtesting.py, it is part of the run);
- one simulated venue, a margin account in BTC, and an inverse BTCUSD perpetual
  (``CryptoPerpetual``: base BTC, quote USD, settled in BTC, multiplier 1, 1 contract = 1 USD,
  size increment 1, price increment 0.5, maker and taker fee 0.01 %);
- the backtesting.py grid as a bracket: when flat with no order, a bracket of 1
  contract — a GTC limit buy one step (1 %) below the bar's close, a stop-market 1.5 steps
  below the entry and a limit take-profit one step above it (both released when the entry
  fills, one cancelling the other);
- the venue's ``reject_stop_orders`` is off unless ``--reject-stop-orders`` is given: with
  nautilus's default (on) a stop whose trigger is already passed when it reaches the venue is
  rejected, so an entry filled in a bar that trades through its stop level leaves the
  position without its stop, and without its take-profit (rejected with it): counted as
  ``stops_rejected``, and the bars closed since as ``unprotected_bars``. With the flag off
  such a stop fills on arrival (``stops_at_once``).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_backtest import DEFAULT_DATA, STEP, machine

BACKTEST_SCRIPT = Path(__file__).resolve().parent / "bench_backtest.py"
TICK = 0.5  # the instrument's price increment (USD)
MINUTE_NS = 60_000_000_000


def bracket_prices(close: float, step: float = STEP, tick: float = TICK) -> tuple[float, ...]:
    """(entry, stop trigger, take-profit) of the long bracket placed after a bar closing at
    ``close``, on the instrument's price grid: the entry is rounded down to a tick, the stop
    down and the take-profit up, so that neither is nearer the entry than the plain grid's
    (1e-9 of a tick absorbs float error: 49,500 × 0.985 stays 48,757.5)."""
    entry = math.floor(close * (1 - step) / tick + 1e-9) * tick
    stop = math.floor(entry * (1 - 1.5 * step) / tick + 1e-9) * tick
    take = math.ceil(entry * (1 + step) / tick - 1e-9) * tick
    return entry, stop, take


def run_nautilus(data: Path, reject_stop_orders: bool) -> dict:
    """The bracket grid on nautilus's ``BacktestEngine``, CSV reading and conversion included."""
    from decimal import Decimal

    import numpy as np
    import pandas as pd
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig
    from nautilus_trader.model.currencies import BTC, USD
    from nautilus_trader.model.data import Bar, BarType
    from nautilus_trader.model.enums import AccountType, OmsType, OrderSide, OrderType
    from nautilus_trader.model.events import OrderAccepted
    from nautilus_trader.model.identifiers import InstrumentId, Symbol, Venue
    from nautilus_trader.model.instruments import CryptoPerpetual
    from nautilus_trader.model.objects import Money, Price, Quantity
    from nautilus_trader.trading.strategy import Strategy

    venue = Venue("BYBIT")
    instrument = CryptoPerpetual(
        instrument_id=InstrumentId(Symbol("BTCUSD"), venue),
        raw_symbol=Symbol("BTCUSD"),
        base_currency=BTC,
        quote_currency=USD,
        settlement_currency=BTC,
        is_inverse=True,
        price_precision=1,
        size_precision=0,
        price_increment=Price.from_str("0.5"),
        size_increment=Quantity.from_int(1),
        multiplier=Quantity.from_int(1),
        maker_fee=Decimal("0.0001"),
        taker_fee=Decimal("0.0001"),
        margin_init=Decimal("0.01"),
        margin_maint=Decimal("0.005"),
        ts_event=0,
        ts_init=0,
    )
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")

    class BracketGrid(Strategy):
        def __init__(self) -> None:
            super().__init__()
            self.one = Quantity.from_int(1)
            self.bracket = None  # the orders of the live bracket
            self.trades = 0
            self.stops_rejected = 0
            self.stops_at_once = 0  # stops filled on arrival: their trigger was already passed
            self.unprotected_bars = 0  # bars closed in a position whose stop was rejected
            self.stop_lost = False

        def on_start(self) -> None:
            self.subscribe_bars(bar_type)

        def on_bar(self, bar: Bar) -> None:
            if self.bracket is not None:
                if self.stop_lost:
                    self.unprotected_bars += 1
                if not all(o.is_closed for o in self.bracket) or not self.portfolio.is_flat(
                    instrument.id
                ):
                    return
                self.bracket = None
                self.stop_lost = False
            entry, stop, take = bracket_prices(bar.close.as_double())
            orders = self.order_factory.bracket(
                instrument_id=instrument.id,
                order_side=OrderSide.BUY,
                quantity=self.one,
                entry_order_type=OrderType.LIMIT,
                entry_price=Price(entry, 1),
                sl_trigger_price=Price(stop, 1),
                tp_price=Price(take, 1),
                tp_post_only=False,
            )
            self.bracket = orders.orders
            self.submit_order_list(orders)

        def on_order_rejected(self, event) -> None:
            order = self.cache.order(event.client_order_id)
            if order.order_type == OrderType.STOP_MARKET:
                self.stops_rejected += 1
                self.stop_lost = True

        def on_order_filled(self, event) -> None:
            order = self.cache.order(event.client_order_id)
            if order.order_type == OrderType.STOP_MARKET and not any(
                isinstance(e, OrderAccepted) for e in order.events
            ):
                self.stops_at_once += 1

        def on_position_closed(self, event) -> None:
            self.trades += 1
            self.stop_lost = False

    t0 = time.perf_counter()
    df = pd.read_csv(data)
    read = time.perf_counter() - t0
    ts = (df["ts_ms"].to_numpy(np.uint64) * 1_000_000 + MINUTE_NS).astype(np.uint64)
    columns = [df[c].to_numpy(np.float64) for c in ("open", "high", "low", "close", "volume")]
    bars = Bar.from_raw_arrays_to_list(bar_type, 1, 0, *columns, ts, ts)
    del df, columns
    convert = time.perf_counter() - t0 - read

    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(
        venue=venue,
        oms_type=OmsType.NETTING,
        account_type=AccountType.MARGIN,
        base_currency=None,
        starting_balances=[Money(1, BTC)],
        reject_stop_orders=reject_stop_orders,
    )
    engine.add_instrument(instrument)
    engine.add_data(bars)
    del bars
    strategy = BracketGrid()
    engine.add_strategy(strategy)
    engine.run()
    wall = time.perf_counter() - t0
    closed_orders = len(engine.cache.orders_closed())
    result = {
        "wall_s": wall,
        "read_s": read,
        "convert_s": convert,
        "run_s": wall - read - convert,
        "candles": len(ts),
        "trades": strategy.trades,
        "closed_orders": closed_orders,
        "stops_rejected": strategy.stops_rejected,
        "stops_at_once": strategy.stops_at_once,
        "unprotected_bars": strategy.unprotected_bars,
        "in_position_at_end": not engine.portfolio.is_flat(instrument.id),
    }
    engine.dispose()
    return result


def child(data: Path, reject_stop_orders: bool) -> None:
    result = run_nautilus(data, reject_stop_orders)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["user_s"] = usage.ru_utime
    print(json.dumps(result))


def measure(cmd: list[str]) -> dict:
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--reject-stop-orders",
        action="store_true",
        help="nautilus's venue default: reject a stop whose trigger is already passed",
    )
    p.add_argument("--no-anchor", action="store_true", help="do not run backtesting.py")
    p.add_argument("--json", type=Path, help="also write the runs here")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.data, args.reject_stop_orders)
        return
    import nautilus_trader

    print(
        f"{datetime.now(UTC):%Y-%m-%d} · {machine()} · nautilus_trader "
        f"{nautilus_trader.__version__} · {args.data.name} · "
        f"reject_stop_orders={args.reject_stop_orders}",
        flush=True,
    )
    nt_cmd = [sys.executable, __file__, "--child", "--data", str(args.data)]
    if args.reject_stop_orders:
        nt_cmd.append("--reject-stop-orders")
    bt_cmd = [sys.executable, str(BACKTEST_SCRIPT), "--child", "backtesting", "--data"]
    bt_cmd.append(str(args.data))
    nt_runs, bt_runs = [], []
    for i in range(args.repeat):
        nt_runs.append(measure(nt_cmd))
        r = nt_runs[-1]
        print(
            f"nautilus #{i + 1}: user {r['user_s']:.2f} s, wall {r['wall_s']:.2f} s (read "
            f"{r['read_s']:.2f}, bars {r['convert_s']:.2f}, run {r['run_s']:.2f}), peak "
            f"{r['peak_mb']:.0f} MB, {r['trades']} trades; stops: {r['stops_at_once']} filled on "
            f"arrival, {r['stops_rejected']} rejected ({r['unprotected_bars']} bars without)",
            flush=True,
        )
        if not args.no_anchor:
            bt_runs.append(measure(bt_cmd))
            r = bt_runs[-1]
            print(
                f"backtesting.py #{i + 1}: user {r['user_s']:.2f} s, wall {r['wall_s']:.2f} s, "
                f"peak {r['peak_mb']:.0f} MB, {r['trades']} trades",
                flush=True,
            )
    nt = min(nt_runs, key=lambda r: r["user_s"])
    line = (
        f"nautilus best of {len(nt_runs)}: user {nt['user_s']:.2f} s, wall "
        f"{min(r['wall_s'] for r in nt_runs):.2f} s (median "
        f"{statistics.median(r['wall_s'] for r in nt_runs):.2f}), peak "
        f"{max(r['peak_mb'] for r in nt_runs):.0f} MB"
    )
    if bt_runs:
        bt = min(bt_runs, key=lambda r: r["user_s"])
        line += f" | backtesting.py user {bt['user_s']:.2f} s | ratio (user) "
        line += f"{nt['user_s'] / bt['user_s']:.2f}"
    print(line, flush=True)
    if args.json:
        args.json.write_text(json.dumps({"nautilus": nt_runs, "backtesting": bt_runs}, indent=1))


if __name__ == "__main__":
    main()
