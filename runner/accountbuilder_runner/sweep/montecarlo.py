"""Monte Carlo paths: resampled history, not a forecast.

A synthetic path is built by a **stationary block bootstrap** (Politis & Romano, 1994) of the
real candles: each candle is kept as its open, high, low and close relative to the previous
close (log ratios), so its intrabar shape goes with it; blocks of consecutive candles start
at random places and have geometric lengths with mean ``block_days`` (the data wraps around);
the path multiplies the ratios onto the previous close. Volume comes with its candle.

Each path ``k`` of seed ``S`` draws from ``SeedSequence(S, spawn_key=(k,))``: the same seed
gives the same paths whatever the number of paths, the order they run in or the worker.
"""

from __future__ import annotations

import numpy as np

from accountbuilder.marketdata.candles import CandleArrays, candles_from_columns

DAY_MS = 86_400_000


def relative_candles(arrays: CandleArrays) -> np.ndarray:
    """``(n − 1) × 4`` log ratios of each candle's open, high, low, close to the previous close."""
    prev = arrays.close[:-1]
    cols = (arrays.open[1:], arrays.high[1:], arrays.low[1:], arrays.close[1:])
    return np.column_stack([np.log(c / prev) for c in cols])


def bootstrap_indices(
    n: int, length: int, mean_block: float, rng: np.random.Generator
) -> np.ndarray:
    """``length`` source indices in ``[0, n)``: blocks of consecutive indices (circular) whose
    lengths are geometric with mean ``mean_block``."""
    starts_new = rng.random(length) < 1.0 / max(mean_block, 1.0)
    starts_new[0] = True
    jumps = rng.integers(0, n, size=length)
    out = np.empty(length, dtype=np.int64)
    current = 0
    for i in range(length):
        current = jumps[i] if starts_new[i] else (current + 1) % n
        out[i] = current
    return out


def path_rng(seed: int, path: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(path,)))


def synthetic_path(
    arrays: CandleArrays, candles: int, block_days: float, seed: int, path: int
) -> CandleArrays:
    """Path ``path`` of ``seed``: ``candles`` candles on a regular grid from the source's first
    candle, starting at its first close."""
    rel = relative_candles(arrays)
    tf = arrays.timeframe_ms
    idx = bootstrap_indices(len(rel), candles, block_days * DAY_MS / tf, path_rng(seed, path))
    r = rel[idx]
    close = float(arrays.close[0]) * np.exp(np.cumsum(r[:, 3]))
    prev = np.concatenate(([float(arrays.close[0])], close[:-1]))
    o, h, lo = (np.round(prev * np.exp(r[:, j]), 2) for j in (0, 1, 2))
    c = np.round(close, 2)
    h, lo = np.maximum.reduce([h, o, c]), np.minimum.reduce([lo, o, c])  # cents may cross
    ts = int(arrays.ts_ms[0]) + np.arange(candles, dtype=np.int64) * tf
    name = f"{arrays.source}#seed{seed}-path{path}"
    return candles_from_columns(
        ts, o, h, lo, c, arrays.volume[1:][idx], timeframe_ms=tf, source=name
    )
