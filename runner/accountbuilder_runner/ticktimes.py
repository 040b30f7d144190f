"""How long the core's ticks take in a live run, and the garbage collector set for it.

``TickTimes`` keeps the durations of the last ``KEEP`` calls of ``TradingCore.tick`` (the core's
own work, without the exchange's answers) for the ``runtime`` section that ``status`` shows:
p50, p99 and max in microseconds. ``freeze_startup_objects`` is called once the session is up:
everything built at start-up (config, machines, the restored session, imported modules) moves
to the collector's permanent generation, so no tick waits for a collection that walks it, and
the young generation is collected a little less often.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from typing import Any

KEEP = 3_600  # the last hour of 1-second ticks
GC_THRESHOLD = (5_000, 20, 100)  # young-generation allocations; older generations rarer


class TickTimes:
    """A ring of the last core tick durations (nanoseconds)."""

    def __init__(self, keep: int = KEEP) -> None:
        self._ns: deque[int] = deque(maxlen=keep)
        self.count = 0

    def clock(self) -> int:
        return time.perf_counter_ns()

    def record(self, ns: int) -> None:
        self._ns.append(ns)
        self.count += 1

    def stats(self) -> dict[str, Any]:
        """``{"ticks", "window", "p50_us", "p99_us", "max_us"}`` over the kept durations."""
        ns = sorted(self._ns)
        n = len(ns)
        if not n:
            return {
                "ticks": self.count,
                "window": 0,
                "p50_us": None,
                "p99_us": None,
                "max_us": None,
            }
        return {
            "ticks": self.count,
            "window": n,
            "p50_us": round(ns[n // 2] / 1000, 1),
            "p99_us": round(ns[min(n - 1, n * 99 // 100)] / 1000, 1),
            "max_us": round(ns[-1] / 1000, 1),
        }


def freeze_startup_objects(threshold: tuple[int, int, int] = GC_THRESHOLD) -> None:
    """Collect once, move every surviving object out of the collector's way, set the threshold."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)
