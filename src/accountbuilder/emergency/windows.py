"""Rolling mark-price extremes over 1 and 5 minutes (SPEC E1, E4).

``drop_Nm = mark / highest mark of the last N minutes - 1`` (always <= 0) and, for the short
mirror, ``rise_Nm = mark / lowest mark of the last N minutes - 1`` (always >= 0).

The window is inclusive: a mark stamped exactly ``N`` minutes before ``now`` still counts (the
larger window can only make a drop deeper, the safe side). The current mark is always in the
window, so one mark is enough to give a drop of 0.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

ONE_MINUTE_MS = 60_000
FIVE_MINUTES_MS = 300_000


class RollingExtremes:
    """Highest and lowest value of the last ``window_ms``, O(1) amortised per update.

    Two monotonic deques of ``(ts_ms, price)``: the max-deque keeps strictly falling prices,
    the min-deque strictly rising ones, so the front of each is the extreme and nothing is ever
    rescanned. The newest value is at the back of both and is never evicted.
    """

    __slots__ = ("window_ms", "_max", "_min")

    def __init__(self, window_ms: int) -> None:
        if window_ms <= 0:
            raise ValueError(f"window_ms must be positive, got {window_ms}")
        self.window_ms = window_ms
        self._max: deque[tuple[int, Decimal]] = deque()
        self._min: deque[tuple[int, Decimal]] = deque()

    def push(self, ts_ms: int, price: Decimal) -> None:
        """Add a value; ``ts_ms`` must not be earlier than the previous one."""
        while self._max and self._max[-1][1] <= price:
            self._max.pop()
        self._max.append((ts_ms, price))
        while self._min and self._min[-1][1] >= price:
            self._min.pop()
        self._min.append((ts_ms, price))
        self._evict(ts_ms)

    def highest(self, now_ms: int) -> Decimal | None:
        """The highest value stamped within ``[now - window, now]`` (None before any push)."""
        self._evict(now_ms)
        return self._max[0][1] if self._max else None

    def lowest(self, now_ms: int) -> Decimal | None:
        """The lowest value stamped within ``[now - window, now]`` (None before any push)."""
        self._evict(now_ms)
        return self._min[0][1] if self._min else None

    def __len__(self) -> int:
        return max(len(self._max), len(self._min))

    def _evict(self, now_ms: int) -> None:
        horizon = now_ms - self.window_ms
        for dq in (self._max, self._min):
            while len(dq) > 1 and dq[0][0] < horizon:
                dq.popleft()


@dataclass(frozen=True, slots=True)
class Moves:
    """The current mark against the 1- and 5-minute extremes at ``ts_ms``.

    The four moves are computed once, when the ``Moves`` is made (exact decimals).
    """

    ts_ms: int
    mark: Decimal
    high_1m: Decimal
    high_5m: Decimal
    low_1m: Decimal
    low_5m: Decimal
    drop_1m: Decimal = field(init=False)
    drop_5m: Decimal = field(init=False)
    rise_1m: Decimal = field(init=False)
    rise_5m: Decimal = field(init=False)

    def __post_init__(self) -> None:
        m, put = self.mark, object.__setattr__
        put(self, "drop_1m", m / self.high_1m - 1)
        put(self, "drop_5m", m / self.high_5m - 1)
        put(self, "rise_1m", m / self.low_1m - 1)
        put(self, "rise_5m", m / self.low_5m - 1)


class MarkWindows:
    """The 1- and 5-minute windows of mark prices, fed one mark at a time.

    A mark stamped earlier than the previous one (a wall-clock step back) is stamped with the
    previous time instead, so the windows stay ordered and the emergency check never stops.
    """

    __slots__ = ("_one", "_five", "_last_ts", "_last_mark")

    def __init__(self) -> None:
        self._one = RollingExtremes(ONE_MINUTE_MS)
        self._five = RollingExtremes(FIVE_MINUTES_MS)
        self._last_ts: int | None = None
        self._last_mark: Decimal | None = None

    @property
    def last_mark(self) -> Decimal | None:
        return self._last_mark

    @property
    def last_ts_ms(self) -> int | None:
        return self._last_ts

    def on_mark(self, now_ms: int, price: Decimal) -> Moves:
        """Record a mark and return the moves it makes; a mark must be a finite Decimal > 0."""
        if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
            raise ValueError(f"mark price must be a finite Decimal > 0, got {price!r}")
        ts = now_ms if self._last_ts is None else max(now_ms, self._last_ts)
        self._one.push(ts, price)
        self._five.push(ts, price)
        self._last_ts, self._last_mark = ts, price
        return self._moves(ts, price)

    def extremes_5m(self, now_ms: int) -> tuple[float, float]:
        """The highest and lowest mark of the 5-minute window at ``now_ms`` (after a mark)."""
        ts = now_ms if self._last_ts is None else max(now_ms, self._last_ts)
        return float(self._five.highest(ts)), float(self._five.lowest(ts))  # type: ignore[arg-type]

    def moves(self, now_ms: int) -> Moves | None:
        """The latest mark against the windows as they stand at ``now_ms`` (None before a mark)."""
        if self._last_mark is None or self._last_ts is None:
            return None
        return self._moves(max(now_ms, self._last_ts), self._last_mark)

    def _moves(self, now_ms: int, mark: Decimal) -> Moves:
        return Moves(
            ts_ms=now_ms,
            mark=mark,
            high_1m=self._one.highest(now_ms),  # type: ignore[arg-type]
            high_5m=self._five.highest(now_ms),  # type: ignore[arg-type]
            low_1m=self._one.lowest(now_ms),  # type: ignore[arg-type]
            low_5m=self._five.lowest(now_ms),  # type: ignore[arg-type]
        )
