"""F1: at most 90 REST calls in any rolling 60 s; ordinary calls may use 80, 10 are reserved."""

from __future__ import annotations

import bisect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.health.rest_budget import Grant, RestBudget, acquire

T0 = 1_700_000_000_000
S = 1_000
WINDOW = 60_000


def fill(budget: RestBudget, n: int, t: int, protective: bool = False) -> None:
    for _ in range(n):
        assert isinstance(budget.try_acquire(t, protective), Grant)


def test_f1_ordinary_calls_stop_at_80_and_leave_10_for_protective():
    budget = RestBudget()
    fill(budget, 80, T0)

    ordinary = budget.try_acquire(T0, protective=False)

    assert isinstance(ordinary, Denial) and ordinary.reason is ReasonCode.REST_BUDGET_EXHAUSTED
    assert ordinary.figures["in_window"] == 80 and ordinary.figures["limit"] == 80
    assert budget.remaining(T0) == (0, 10)
    fill(budget, 10, T0, protective=True)  # the reserve: calls 81..90
    assert isinstance(budget.try_acquire(T0, protective=True), Denial)  # the 91st, never sent
    assert budget.in_window(T0) == 90
    assert budget.remaining(T0) == (0, 0)


def test_f1_refused_calls_are_not_counted():
    budget = RestBudget()
    fill(budget, 80, T0)
    for _ in range(50):
        budget.try_acquire(T0, protective=False)

    assert budget.in_window(T0) == 80


def test_f1_window_is_closed_at_60s():
    # 80 calls at t0 still count at t0+60 000 ms (inclusive) and leave at t0+60 001 ms.
    budget = RestBudget()
    fill(budget, 80, T0)

    assert budget.wait_time_ms(T0, protective=False) == WINDOW + 1
    assert isinstance(budget.try_acquire(T0 + WINDOW, protective=False), Denial)
    assert budget.wait_time_ms(T0 + WINDOW, protective=False) == 1
    assert isinstance(budget.try_acquire(T0 + WINDOW + 1, protective=False), Grant)


def test_f1_wait_time_points_at_the_call_that_must_leave():
    # 40 calls at t0, 40 at t0+30 s. At t0+45 s an ordinary call needs one to leave: the
    # oldest leaves at t0+60.001 s -> wait 15 001 ms. A protective call fits now (80 < 90).
    budget = RestBudget()
    fill(budget, 40, T0)
    fill(budget, 40, T0 + 30 * S)
    now = T0 + 45 * S

    assert budget.wait_time_ms(now, protective=False) == 15_001
    assert budget.wait_time_ms(now, protective=True) == 0
    assert budget.wait_time_ms(now, protective=False, deadline_ms=now + 15_000) is None
    assert budget.wait_time_ms(now, protective=False, deadline_ms=now + 15_001) == 15_001


def test_f1_protective_calls_eat_into_ordinary_room_not_the_reverse():
    # 30 protective calls (a stop-retry storm) leave 50 ordinary slots: 30 + 50 = 80.
    budget = RestBudget()
    fill(budget, 30, T0, protective=True)

    assert budget.remaining(T0) == (50, 60)


def test_f1_clock_step_back_does_not_free_slots():
    budget = RestBudget()
    fill(budget, 80, T0 + 10 * S)

    assert isinstance(budget.try_acquire(T0, protective=False), Denial)
    assert budget.in_window(T0) == 80


def test_f1_bad_budget_shape_is_refused():
    with pytest.raises(ValueError):
        RestBudget(max_calls=10, reserve=10)


# --- async helper -----------------------------------------------------------------------------
class FakeClock:
    def __init__(self, now: int) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += round(seconds * 1000)


async def test_f1_acquire_waits_for_a_slot_then_counts_it():
    budget = RestBudget()
    fill(budget, 80, T0)
    clock = FakeClock(T0 + 50 * S)

    got = await acquire(budget, clock, clock.sleep, protective=False, deadline_ms=T0 + 90 * S)

    assert isinstance(got, Grant) and got.ts_ms == T0 + WINDOW + 1
    assert clock.slept == [10.001]  # 60 001 - 50 000 ms


async def test_f1_acquire_gives_up_when_the_deadline_comes_first():
    budget = RestBudget()
    fill(budget, 80, T0)
    clock = FakeClock(T0 + 50 * S)

    got = await acquire(budget, clock, clock.sleep, protective=False, deadline_ms=T0 + 55 * S)

    assert isinstance(got, Denial) and got.figures["deadline_ms"] == T0 + 55 * S
    assert clock.slept == [] and budget.in_window(clock.now) == 80


async def test_f1_acquire_protective_uses_the_reserve_without_waiting():
    budget = RestBudget()
    fill(budget, 80, T0)
    clock = FakeClock(T0 + S)

    got = await acquire(budget, clock, clock.sleep, protective=True, deadline_ms=T0 + S)

    assert isinstance(got, Grant) and got.in_window == 81 and clock.slept == []


# --- properties -------------------------------------------------------------------------------
# Bursts of requests: (gap before the burst, ms between its requests, size, protective?).
# Dense enough to saturate the budget in many examples; gaps of exactly one window (and 1 ms
# either side) probe the window's edge.
edge_gaps = st.sampled_from([WINDOW - 1, WINDOW, WINDOW + 1])
bursts = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 5 * S), edge_gaps),
        st.one_of(st.just(0), st.integers(0, 300)),
        st.integers(1, 100),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


def requests(pattern) -> list[tuple[int, bool]]:
    """Absolute request times and classes from the bursts."""
    out, t = [], T0
    for gap, spacing, size, protective in pattern:
        t += gap
        for _ in range(size):
            out.append((t, protective))
            t += spacing
    return out


def max_in_closed_window(times: list[int]) -> int:
    """Independent count: the most calls in any closed 60 s interval [t, t + 60 000]."""
    return max(bisect.bisect_right(times, t + WINDOW) - i for i, t in enumerate(times))


@given(bursts)
def test_f1_property_budget_never_exceeded_in_any_rolling_60s(pattern):
    budget = RestBudget()
    granted: list[int] = []
    ordinary: list[int] = []
    for t, protective in requests(pattern):
        got = budget.try_acquire(t, protective)
        if isinstance(got, Grant):
            granted.append(t)
            if not protective:
                ordinary.append(t)

    assert max_in_closed_window(granted) <= 90
    if ordinary:
        assert max_in_closed_window(ordinary) <= 80


def thin_protective(reqs: list[tuple[int, bool]]) -> list[tuple[int, bool]]:
    """Protective requests kept only while <= 10 fall in any closed 60 s interval."""
    out, kept = [], []
    for t, protective in reqs:
        if protective:
            if len(kept) - bisect.bisect_left(kept, t - WINDOW) >= 10:
                continue
            kept.append(t)
        out.append((t, protective))
    return out


@given(bursts)
def test_f1_property_protective_calls_always_get_a_slot_when_at_most_10_per_60s(pattern):
    budget = RestBudget()
    for t, protective in thin_protective(requests(pattern)):
        got = budget.try_acquire(t, protective)
        if protective:
            assert isinstance(got, Grant), f"protective call refused at {t - T0} ms: {got}"
