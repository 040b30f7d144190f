"""The simulator's clock and candle loop: replay candles, apply funding, emit market events.

Time model: candle ``i`` covers ``[ts_i, ts_i + timeframe)``; it is processed once the clock
reaches its close, after which the mark is its close. Orders placed at clock ``t`` act on the
first candle closing after ``t`` — its whole path, even when ``t`` falls inside it (a candle
cannot be split). Events inside a candle are stamped at the end of their path segment
(open, +⅓, +⅔, close), never before the clock at which the run started.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from accountbuilder.domain.events import CandleClosed, ExchangeEvent, MarkPriceUpdated
from accountbuilder.domain.models import Candle
from accountbuilder.exchange.sim.book import SimBook, dec
from accountbuilder.exchange.sim.config import FUNDING_INTERVAL_MS, SimConfig
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.outbox import Outbox
from accountbuilder.exchange.sim.path import run_candle
from accountbuilder.exchange.sim.scan import boundary_indices, next_touch
from accountbuilder.marketdata.candles import DAY_MS, CandleArrays, resample


def interval_label(timeframe_ms: int) -> str:
    """Bybit's kline interval name: ``"1"``, ``"5"``, ``"60"`` (minutes) or ``"D"``."""
    if timeframe_ms == DAY_MS:
        return "D"
    return str(timeframe_ms // 60_000)


class SimEngine:
    """Synchronous core of the simulated exchange (the port façade is ``SimExchange``)."""

    def __init__(self, config: SimConfig, faults: FaultPlan):
        self.config = config
        self.outbox = Outbox(config.event_latency_ms, faults)
        self.book = SimBook(config, self.outbox.push, faults)
        self.arrays: CandleArrays | None = None
        self.daily: CandleArrays | None = None
        self.now_ms = 0
        self.mark_f = math.nan
        self._next = 0
        self._first = 0

    # ---------------------------------------------------------------------------- loading
    def load(self, arrays: CandleArrays, start_ts_ms: int | None = None) -> None:
        """Use ``arrays`` as the mark path; candles before ``start_ts_ms`` are history only."""
        if len(arrays) == 0:
            raise ValueError("no candles to simulate")
        self.arrays = arrays
        tf = arrays.timeframe_ms
        self.daily = resample(arrays, DAY_MS // tf) if DAY_MS % tf == 0 and tf < DAY_MS else None
        self._o, self._h, self._l = arrays.open, arrays.high, arrays.low
        self._c, self._v = arrays.close, arrays.volume
        self._close_ts = arrays.close_ts_ms
        self._daily_close_ts = self.daily.close_ts_ms if self.daily is not None else None
        start = 0 if start_ts_ms is None else int(np.searchsorted(arrays.ts_ms, start_ts_ms))
        if start >= len(arrays):
            raise ValueError(f"start {start_ts_ms} is after the last candle")
        self._first = self._next = start
        self.mark_f = float(self._c[start - 1]) if start else float(self._o[0])
        self.now_ms = int(self._close_ts[start - 1]) if start else int(arrays.ts_ms[0])
        first_funding = -(-int(arrays.ts_ms[0]) // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS
        self._fund_t, self._fund_i = boundary_indices(
            self._close_ts, first_funding, FUNDING_INTERVAL_MS
        )
        first_day_end = (int(arrays.ts_ms[0]) // DAY_MS + 1) * DAY_MS
        self._day_t, self._day_i = boundary_indices(self._close_ts, first_day_end, DAY_MS)
        self._fp = int(np.searchsorted(self._fund_t, self.now_ms, "right"))
        self._dp = int(np.searchsorted(self._day_t, self.now_ms, "right"))

    @property
    def finished(self) -> bool:
        """Every candle has been replayed."""
        return self.arrays is not None and self._next >= len(self.arrays)

    @property
    def end_ts_ms(self) -> int:
        """Close time of the last candle."""
        return int(self._close_ts[-1])

    # ------------------------------------------------------------------------------ running
    def run_to(self, until_ms: int, *, stop_at_fill: bool = False) -> None:
        """Replay every candle closing at or before ``until_ms``; the clock ends at ``until_ms``.

        With ``stop_at_fill`` the replay stops after the first candle with an execution or a
        liquidation, and the clock rests at that candle's close.
        """
        end = int(np.searchsorted(self._close_ts, until_ms, "right"))
        floor = self.now_ms
        executions = self.book.executions
        while self._next < end:
            i = self._next
            j = self._next_stop(i, end) if self.config.skip_quiet_candles else i
            if j > i:
                self.mark_f = float(self._c[j - 1])
                self._next = j
            if j >= end:
                break
            self._process(j, floor)
            if stop_at_fill and self.book.executions != executions:
                return
        self.now_ms = max(self.now_ms, until_ms)

    def step(self) -> bool:
        """Replay exactly the next candle (no skipping); ``False`` when none is left."""
        if self.finished:
            return False
        self._process(self._next, self.now_ms)
        return True

    def take_events(self) -> list[ExchangeEvent]:
        """Events delivered by the current clock (``local_ts ≤ now``)."""
        return self.outbox.take(self.now_ms)

    def _next_stop(self, i: int, end: int) -> int:
        stop = end
        every = self.config.market_events_every
        if every:
            stop = min(stop, i + (every - 1 - (i - self._first) % every))
        if self.config.daily_candles and self._dp < self._day_i.size:
            stop = min(stop, max(i, int(self._day_i[self._dp])))
        if self.book.ledger.contracts:
            while self._fp < self._fund_i.size and self._fund_i[self._fp] < i:
                self._fp += 1  # passed while flat: nothing was due
            if self._fp < self._fund_i.size:
                stop = min(stop, int(self._fund_i[self._fp]))
        below, above = self.book.levels()
        return next_touch(self._l, self._h, i, stop, below, above)

    def _process(self, j: int, floor: int) -> None:
        ts = int(self.arrays.ts_ms[j])
        close_ts = int(self._close_ts[j])
        self._boundaries(j, ts, before=True)
        third = self.arrays.timeframe_ms // 3
        times = tuple(max(floor, ts + k * third) for k in range(3)) + (max(floor, close_ts),)
        ohlcv = (
            float(self._o[j]),
            float(self._h[j]),
            float(self._l[j]),
            float(self._c[j]),
            float(self._v[j]),
        )
        run_candle(self.book, ohlcv, self.mark_f, times, self.config.participation)
        self.mark_f = ohlcv[3]
        self._next = j + 1
        self.now_ms = max(self.now_ms, close_ts)
        every = self.config.market_events_every
        if every and (j - self._first + 1) % every == 0:
            self.emit_market_event()
        self._boundaries(j, close_ts, before=False)

    def _boundaries(self, j: int, ts: int, *, before: bool) -> None:
        """Funding times and UTC day ends that belong to candle ``j`` (before or after its path)."""
        while self._fp < self._fund_i.size and self._fund_i[self._fp] <= j:
            t = int(self._fund_t[self._fp])
            if before and t > ts:
                break
            if self._fund_i[self._fp] == j:
                self.book.apply_funding(self.config.funding_rate_at(t), t, self.mark_f)
            self._fp += 1
        while self._dp < self._day_i.size and self._day_i[self._dp] <= j:
            t = int(self._day_t[self._dp])
            if before and t > ts:
                break
            if self.config.daily_candles:
                self._emit_day(t)
            self._dp += 1

    # ----------------------------------------------------------------------- market data
    def emit_market_event(self) -> None:
        """Emit ``MarkPriceUpdated`` and the last closed candle now (on-demand pacing)."""
        last = self._next - 1
        if last < 0:
            return
        mark = dec(self.mark_f)
        ts = self.now_ms
        push = self.outbox.push
        push(MarkPriceUpdated(exchange_ts_ms=ts, local_ts_ms=ts, mark_price=mark, last_price=mark))
        label = interval_label(self.arrays.timeframe_ms)
        push(
            CandleClosed(
                exchange_ts_ms=ts, local_ts_ms=ts, interval=label, candle=self.arrays.candle(last)
            )
        )

    def emit_marks(self, first: int, last: int) -> None:
        """Emit ``MarkPriceUpdated`` at the close of candles ``first``..``last`` (already
        replayed), stamped with their own close times: the marks of minutes a replay skipped,
        so the core's mark windows hold what a tick at every candle would have given them."""
        push = self.outbox.push
        for j in range(max(first, 0), min(last, self._next - 1) + 1):
            ts = int(self._close_ts[j])
            mark = dec(float(self._c[j]))
            push(
                MarkPriceUpdated(
                    exchange_ts_ms=ts, local_ts_ms=ts, mark_price=mark, last_price=mark
                )
            )

    def _emit_day(self, day_end_ms: int) -> None:
        if self.daily is None:
            return
        k = int(np.searchsorted(self.daily.ts_ms, day_end_ms - DAY_MS))
        if k >= len(self.daily) or int(self.daily.ts_ms[k]) != day_end_ms - DAY_MS:
            return  # a day with no candles at all
        candle = self.daily.candle(k)
        self.outbox.push(
            CandleClosed(
                exchange_ts_ms=day_end_ms, local_ts_ms=day_end_ms, interval="D", candle=candle
            )
        )

    def closed_candles(self, interval: str, limit: int) -> list[Candle]:
        """The last ``limit`` candles closed by now: the base interval or ``"D"``."""
        if interval == "D" and self.daily is not None:
            src, close_ts = self.daily, self._daily_close_ts
        elif interval == interval_label(self.arrays.timeframe_ms):
            src, close_ts = self.arrays, self._close_ts
        else:
            raise ValueError(f"interval {interval!r} not available from this candle data")
        end = int(np.searchsorted(close_ts, self.now_ms, "right"))
        if src is self.arrays:
            end = min(end, self._next)
        return [src.candle(i) for i in range(max(0, end - limit), end)]

    @property
    def mark_price(self) -> Decimal:
        return dec(self.mark_f)
