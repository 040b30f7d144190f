"""Kline bars built from the price path, plus loading of real candles (gzip CSV)."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

MINUTE_MS = 60_000
INTERVAL_MINUTES = {"D": 1440, "W": 10080, "M": 43200}  # M: 30-day buckets (approximation)


@dataclass(slots=True)
class Bar:
    """One OHLCV bar; ``volume`` in contracts (USD), ``turnover`` in BTC (inverse units)."""

    start_ms: int
    span_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)
    turnover: Decimal = Decimal(0)


def interval_ms(interval: str) -> int:
    """Length of a V5 kline interval (``1 3 5 ... 720 D W M``) in ms."""
    return INTERVAL_MINUTES.get(interval, 0) * MINUTE_MS or int(interval) * MINUTE_MS


def load_candles(path: Path) -> list[Bar]:
    """Read ``ts_ms,open,high,low,close,volume`` rows (volume in BTC) from a .csv or .csv.gz."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        rows = [r for r in csv.DictReader(fh)]
    bars = [
        Bar(int(r["ts_ms"]), 0, *(Decimal(r[k]) for k in ("open", "high", "low", "close")))
        for r in rows
    ]
    span = bars[1].start_ms - bars[0].start_ms if len(bars) > 1 else MINUTE_MS
    for bar, row in zip(bars, rows, strict=True):
        bar.span_ms = span
        bar.turnover = Decimal(row["volume"])
        bar.volume = (bar.turnover * bar.close).to_integral_value()
    return bars


class BarSeries:
    """Bars of the price path: history candles as given, live ticks in 1-minute bars."""

    def __init__(self) -> None:
        self.bars: dict[int, Bar] = {}

    def add_history(self, candles: list[Bar]) -> None:
        """Insert finished candles (any timeframe) as history."""
        for bar in candles:
            self.bars[bar.start_ms] = bar

    def tick(self, ts_ms: int, price: Decimal, volume: Decimal = Decimal(0)) -> Bar:
        """Add a trade/price tick at ``ts_ms`` to its 1-minute bar; return that bar."""
        start = ts_ms - ts_ms % MINUTE_MS
        bar = self.bars.get(start)
        if bar is None or bar.span_ms != MINUTE_MS:
            bar = self.bars[start] = Bar(start, MINUTE_MS, price, price, price, price)
        bar.high, bar.low, bar.close = max(bar.high, price), min(bar.low, price), price
        bar.volume += volume
        bar.turnover += volume / price
        return bar

    def aggregate(
        self, interval: str, start: int | None = None, end: int | None = None
    ) -> list[Bar]:
        """Bars of ``interval``, oldest first, from every stored bar no longer than it."""
        span = interval_ms(interval)
        low = start - start % span if start is not None else None
        chosen = [b for b in self.bars.values() if low is None or b.start_ms >= low]
        out: dict[int, Bar] = {}
        for bar in sorted(chosen, key=lambda b: b.start_ms):
            if bar.span_ms > span:
                continue
            key = bar.start_ms - bar.start_ms % span
            agg = out.get(key)
            if agg is None:
                out[key] = Bar(key, span, bar.open, bar.high, bar.low, bar.close,
                               bar.volume, bar.turnover)  # fmt: skip
                continue
            agg.high, agg.low, agg.close = max(agg.high, bar.high), min(agg.low, bar.low), bar.close
            agg.volume, agg.turnover = agg.volume + bar.volume, agg.turnover + bar.turnover
        return [b for k, b in sorted(out.items()) if (start is None or k >= start)
                and (end is None or k <= end)]  # fmt: skip
