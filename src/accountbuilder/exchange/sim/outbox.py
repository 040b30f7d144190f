"""The simulated WS stream: latency, dropped/delayed events and stalls, in delivery order."""

from __future__ import annotations

import heapq
from dataclasses import replace

from accountbuilder.domain.events import ExchangeEvent, StreamReconnected
from accountbuilder.exchange.sim.faults import FaultPlan


class Outbox:
    """Holds emitted events until their local time; delivers them in local-time order.

    ``local_ts = exchange_ts + latency (+ an injected delay)``. A dropped event is kept in
    ``dropped`` (for tests) and never delivered. While stalled nothing is delivered; on resume
    the held events arrive at the resume time at the earliest.
    """

    def __init__(self, latency_ms: int, faults: FaultPlan):
        self._latency_ms = latency_ms
        self._faults = faults
        self._heap: list[tuple[int, int, ExchangeEvent]] = []
        self._seq = 0
        self._stalled = False
        self.dropped: list[ExchangeEvent] = []

    def push(self, event: ExchangeEvent) -> None:
        """Queue ``event`` (built with ``local_ts == exchange_ts``) for delivery."""
        if self._faults.take_drop(event):
            self.dropped.append(event)
            return
        if self._faults.take_gap(event):
            self.dropped.append(event)
            ts = event.exchange_ts_ms  # the connection dropped: it reconnects and says so
            self.push(StreamReconnected(exchange_ts_ms=ts, local_ts_ms=ts))
            return
        local = event.exchange_ts_ms + self._latency_ms + self._faults.take_delay_ms(event)
        if local != event.local_ts_ms:
            event = replace(event, local_ts_ms=local)
        self._seq += 1
        heapq.heappush(self._heap, (local, self._seq, event))
        if self._faults.take_duplicate(event):
            self._seq += 1
            heapq.heappush(self._heap, (local, self._seq, event))

    def take(self, now_ms: int) -> list[ExchangeEvent]:
        """Every event whose local time is ``≤ now_ms``, oldest first."""
        out: list[ExchangeEvent] = []
        if self._stalled:
            return out
        heap = self._heap
        while heap and heap[0][0] <= now_ms:
            out.append(heapq.heappop(heap)[2])
        return out

    def stall(self) -> None:
        """Hold every event back until ``resume``."""
        self._stalled = True

    def resume(self, now_ms: int) -> None:
        """Release held events; the ones due already arrive at ``now_ms``."""
        self._stalled = False
        held = sorted(self._heap)
        self._heap = [
            (max(t, now_ms), seq, replace(ev, local_ts_ms=max(t, now_ms)) if t < now_ms else ev)
            for t, seq, ev in held
        ]
        heapq.heapify(self._heap)

    @property
    def stalled(self) -> bool:
        return self._stalled

    @property
    def pending(self) -> int:
        """Events emitted and not yet delivered."""
        return len(self._heap)
