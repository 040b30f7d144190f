"""Where the replay lands when the core says its ticks stand (``TradingCore.next_wake``).

The core owns *what* stands (each rule's band and time, ``accountbuilder.core.wake``); this
module only searches the candle arrays for the first candle that leaves the band or reaches
the time, with numpy, and keeps the replay's own facts: which ticks fall inside a data gap
(a standing refusal needs a fresh mark at every tick it stands for), when the simulator
charges funding (an exchange event a quiet position waits for), and the first and last tick
of each UTC day (paper's daily roll-up takes the day's opening and closing equity there).
"""

from __future__ import annotations

import numpy as np

from accountbuilder.domain.standing import Standing
from accountbuilder.exchange.sim.config import FUNDING_INTERVAL_MS
from accountbuilder.marketdata.candles import DAY_MS, CandleArrays

CHUNK = 2_048  # candles searched per numpy call (doubling), so a near wake is found cheaply


def funding_indices(arrays: CandleArrays) -> np.ndarray:
    """The candle of each funding time (00/08/16 UTC): the first closing at or after it."""
    close_ts = arrays.close_ts_ms
    first = -(-int(arrays.ts_ms[0]) // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS
    times = np.arange(first, int(close_ts[-1]) + 1, FUNDING_INTERVAL_MS, dtype=np.int64)
    return np.unique(np.searchsorted(close_ts, times, "left"))


class WakeFinder:
    """Candle-index searches over one replay's arrays."""

    def __init__(self, arrays: CandleArrays):
        self.close, self.low, self.high = arrays.close, arrays.low, arrays.high
        self.close_ts = arrays.close_ts_ms
        self.last = len(arrays) - 1
        # j such that candle j does not close one timeframe after candle j - 1
        self._gaps = np.flatnonzero(np.diff(self.close_ts) != arrays.timeframe_ms) + 1
        self._funding = funding_indices(arrays)
        day = self.close_ts // DAY_MS  # the UTC day of each candle's close (its tick)
        last_of_day = np.flatnonzero(day[1:] != day[:-1])
        self._day_edges = np.union1d(last_of_day, last_of_day + 1)

    def first_break(self, after: int, standing: Standing) -> int:
        """The first candle > ``after`` whose close is outside the band or at/after the time."""
        by_time = int(np.searchsorted(self.close_ts, standing.until_ms, "left"))
        stop = min(by_time, self.last + 1)
        i, chunk = after + 1, CHUNK
        while i < stop:
            j = min(stop, i + chunk)
            out = np.flatnonzero(self._outside(standing, i, j))
            if out.size:
                return i + int(out[0])
            i, chunk = j, chunk * 2
        return min(by_time, self.last)

    def _outside(self, standing: Standing, i: int, j: int) -> np.ndarray:
        close = self.close[i:j]
        out = (close <= standing.low) | (close >= standing.high)
        if standing.lows_above > 0.0:
            out |= self.low[i:j] <= standing.lows_above
        if standing.highs_below < np.inf:
            out |= self.high[i:j] >= standing.highs_below
        return out

    def last_before_gap(self, after: int) -> int:
        """The last candle ≥ ``after`` that every tick up to it finds closed (no gap before)."""
        k = int(np.searchsorted(self._gaps, after, "right"))
        return int(self._gaps[k]) - 1 if k < self._gaps.size else self.last

    def next_day_edge(self, after: int) -> int:
        """The first candle > ``after`` that is the last of its UTC day or the first of one."""
        k = int(np.searchsorted(self._day_edges, after, "right"))
        return int(self._day_edges[k]) if k < self._day_edges.size else self.last

    def next_funding(self, after: int) -> int:
        """The first funding candle > ``after`` (the last candle when none is left)."""
        k = int(np.searchsorted(self._funding, after, "right"))
        return int(self._funding[k]) if k < self._funding.size else self.last
