"""F1: the one REST budget every REST call passes through.

At most 90 calls (all endpoints together) in any rolling 60 s. Ordinary calls are granted
only while fewer than 80 calls are in the window; protective calls (stop place/amend,
reduce-only close, cancel entry) while fewer than 90. So ordinary traffic can never take the
last 10 slots, and protective calls always find one as long as at most 10 are made in any
60 s. A call that does not fit is never sent: the caller waits ``wait_time_ms`` (up to its
deadline, see ``acquire``) or drops it.

The window is closed: a call stamped ``t`` counts until ``t + 60 000`` inclusive, so any
closed 60 s interval holds at most 90 calls (Bybit's own window edge cannot catch us out).

Across restarts the window must not start empty (8 quick restarts once sent 131 calls in 60 s):
a budget is built from the ``history`` of calls a previous process made, and ``on_grant`` is
told of every grant before the call is sent, so the runner can record it first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from accountbuilder.constants import REST_BUDGET_MAX_CALLS, REST_BUDGET_WINDOW_MS
from accountbuilder.domain.reasons import Denial, ReasonCode

PROTECTIVE_RESERVE = 10  # SPEC F1: slots only protective calls may use


@dataclass(frozen=True, slots=True)
class Grant:
    """Permission to send one REST call now; it has been counted."""

    ts_ms: int
    protective: bool
    in_window: int  # calls in the window, this one included


class RestBudget:
    """Rolling-window call counter with a protective reserve; O(1) amortised (a deque)."""

    def __init__(
        self,
        max_calls: int = REST_BUDGET_MAX_CALLS,
        reserve: int = PROTECTIVE_RESERVE,
        window_ms: int = REST_BUDGET_WINDOW_MS,
        *,
        history: Iterable[int] = (),
        on_grant: Callable[[Grant], None] | None = None,
    ) -> None:
        """``history``: stamps (UTC ms) of calls already made, e.g. by the process before a
        restart; ``on_grant``: called with each grant, before the caller sends the call."""
        if not 0 <= reserve < max_calls or window_ms <= 0:
            raise ValueError("need 0 <= reserve < max_calls and a positive window")
        self.max_calls, self.reserve, self.window_ms = max_calls, reserve, window_ms
        self._sent: deque[int] = deque(sorted(history))
        self.on_grant = on_grant

    def limit(self, protective: bool) -> int:
        """How many calls may be in the window when a call of this class is granted."""
        return self.max_calls if protective else self.max_calls - self.reserve

    def in_window(self, now_ms: int) -> int:
        self._evict(self._now(now_ms))
        return len(self._sent)

    def try_acquire(self, now_ms: int, protective: bool) -> Grant | Denial:
        """Count and grant the call if it fits now; otherwise refuse it without counting it."""
        now = self._now(now_ms)
        self._evict(now)
        limit = self.limit(protective)
        if len(self._sent) >= limit:
            figures = {
                "protective": protective,
                "in_window": len(self._sent),
                "limit": limit,
                "wait_ms": self._wait(now, limit),
            }
            return Denial(ReasonCode.REST_BUDGET_EXHAUSTED, figures)
        self._sent.append(now)
        grant = Grant(now, protective, len(self._sent))
        if self.on_grant is not None:
            self.on_grant(grant)
        return grant

    def wait_time_ms(
        self, now_ms: int, protective: bool, deadline_ms: int | None = None
    ) -> int | None:
        """How long until a call of this class fits (0: now), if no other call is granted
        meanwhile; None when that is later than ``deadline_ms``."""
        now = self._now(now_ms)
        self._evict(now)
        wait = self._wait(now, self.limit(protective))
        if deadline_ms is not None and now + wait > deadline_ms:
            return None
        return wait

    def remaining(self, now_ms: int) -> tuple[int, int]:
        """Calls that would be granted now: ``(ordinary, protective)``, for status output."""
        used = self.in_window(now_ms)
        return max(self.limit(False) - used, 0), max(self.limit(True) - used, 0)

    def _wait(self, now: int, limit: int) -> int:
        excess = len(self._sent) - limit
        if excess < 0:
            return 0
        # The (excess+1)-th oldest call must leave; it counts until ts + window inclusive.
        return self._sent[excess] + self.window_ms + 1 - now

    def _now(self, now_ms: int) -> int:
        # A wall-clock step back must not let old calls look younger than they are.
        return max(now_ms, self._sent[-1]) if self._sent else now_ms

    def _evict(self, now: int) -> None:
        horizon = now - self.window_ms
        while self._sent and self._sent[0] < horizon:
            self._sent.popleft()


async def acquire(
    budget: RestBudget,
    clock: Callable[[], int],
    sleep: Callable[[float], Awaitable[object]],
    protective: bool,
    deadline_ms: int,
) -> Grant | Denial:
    """Wait (with the injected ``sleep``, in seconds) until the call fits, or give up.

    Returns the ``Grant`` once counted, or the ``REST_BUDGET_EXHAUSTED`` denial when the call
    cannot fit before ``deadline_ms`` (UTC ms, read from the injected ``clock``).
    """
    while True:
        now = clock()
        got = budget.try_acquire(now, protective)
        if isinstance(got, Grant):
            return got
        wait = budget.wait_time_ms(now, protective, deadline_ms)
        if wait is None:
            return Denial(got.reason, dict(got.figures) | {"deadline_ms": deadline_ms})
        await sleep(max(wait, 1) / 1000)
