"""The offset between the local clock and Bybit's, measured and signed with (issue 16 §7).

Bybit refuses a request stamped outside ``[server − recvWindow, server + 1000 ms)`` (10002).
``ClockSync.measure`` reads ``/v5/market/time`` (public, unsigned), takes the midpoint of the
round trip as the local time of the answer, and hands the offset to ccxt
(``options['timeDifference']``), which subtracts it from every signature's timestamp. The
runner measures at start and every ``EVERY_MS`` (10 minutes), shows the offset in ``status``,
and does not trade while it exceeds ``LIMIT_MS`` (1 s): the bot's own times (event ages, E2;
candle buckets; the 10 s stop rule) would be off by that much.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.client import Clock, read_answer, result_of

LIMIT_MS = 1_000
EVERY_MS = 600_000


@dataclass(frozen=True, slots=True)
class ClockReading:
    """One measurement: ``offset_ms`` = Bybit's clock − ours (positive: Bybit is ahead)."""

    offset_ms: int
    round_trip_ms: int
    measured_ms: int  # local time of the measurement

    def in_sync(self, limit_ms: int = LIMIT_MS) -> bool:
        return abs(self.offset_ms) <= limit_ms

    def describe(self) -> str:
        if self.offset_ms == 0:
            return f"Bybit's clock matches ours (limit {LIMIT_MS} ms)"
        side = "ahead of" if self.offset_ms > 0 else "behind"
        return f"Bybit's clock is {abs(self.offset_ms)} ms {side} ours (limit {LIMIT_MS} ms)"


class TimeSource(Protocol):
    clock: Clock

    async def call(self, method: str, *args: object, mutation: bool = False) -> object: ...

    def set_time_offset(self, offset_ms: int) -> None: ...


class ClockSync:
    """Measures the offset and keeps ccxt signing with it; ``reading`` is the latest one."""

    def __init__(self, client: TimeSource, every_ms: int = EVERY_MS) -> None:
        self.client, self.every_ms = client, every_ms
        self.reading: ClockReading | None = None
        self._stale = False

    def due(self, now_ms: int) -> bool:
        """Whether a measurement is due: never measured, ``every_ms`` ago, or Bybit refused a
        timestamp (10002) since."""
        reading = self.reading
        return self._stale or reading is None or now_ms - reading.measured_ms >= self.every_ms

    def mark_stale(self) -> None:
        """Bybit refused a request's timestamp (10002): measure again at the next chance."""
        self._stale = True

    def in_sync(self) -> bool:
        return self.reading is not None and self.reading.in_sync()

    async def measure(self) -> ClockReading:
        """Read Bybit's time once; sign with the new offset from now on."""
        sent = self.client.clock()
        answer = await self.client.call("publicGetV5MarketTime")
        received = self.client.clock()
        server_ms = read_answer(lambda: _server_ms(result_of(answer)))
        local_ms = (sent + received) // 2
        reading = ClockReading(server_ms - local_ms, received - sent, received)
        self.client.set_time_offset(reading.offset_ms)
        self.reading, self._stale = reading, False
        return reading


def _server_ms(result: Mapping[str, Any]) -> int:
    """``timeNano`` (ns) to ms; ``timeSecond`` alone is too coarse for a 1 s limit."""
    nano = result.get("timeNano")
    if not str(nano).isdigit():
        raise port_errors.MalformedResponse(f"market/time: timeNano {nano!r}")
    return int(str(nano)) // 1_000_000
