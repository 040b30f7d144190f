"""The fast path: find the next candle that can touch a resting order, stop or liquidation.

Everything the simulator can trigger is a price level that the path reaches from above
(a buy limit, a falling stop, a long's liquidation) or from below (a sell limit, a rising
stop, a short's liquidation). A candle can only act if ``low ≤ max(levels below)`` or
``high ≥ min(levels above)``; a gap from the previous close is covered too, since the open
lies inside the candle's range. The test is conservative (a touch without a trade-through
is still processed, and does nothing), so skipping the other candles changes nothing.
"""

from __future__ import annotations

import numpy as np

_FIRST_CHUNK = 256
_MAX_CHUNK = 1 << 16


def next_touch(
    low: np.ndarray, high: np.ndarray, start: int, end: int, below: float, above: float
) -> int:
    """First index in ``[start, end)`` with ``low ≤ below`` or ``high ≥ above``, else ``end``.

    Searches in growing chunks, so the cost follows the distance to the hit, not the data size.
    """
    if below == -np.inf and above == np.inf:
        return end
    i, chunk = start, _FIRST_CHUNK
    while i < end:
        j = min(end, i + chunk)
        hit = low[i:j] <= below
        hit |= high[i:j] >= above
        k = int(hit.argmax())
        if hit[k]:
            return i + k
        i, chunk = j, min(chunk * 4, _MAX_CHUNK)
    return end


def boundary_indices(
    close_ts_ms: np.ndarray, first_ms: int, step_ms: int
) -> tuple[np.ndarray, np.ndarray]:
    """Times ``first_ms + k·step_ms`` up to the last close, and the first candle closing at or after each.

    Used for funding times (8 h) and UTC day ends: the event belongs to that candle.
    """
    if close_ts_ms.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    last = int(close_ts_ms[-1])
    times = np.arange(first_ms, last + 1, step_ms, dtype=np.int64)
    return times, np.searchsorted(close_ts_ms, times, "left").astype(np.int64)
