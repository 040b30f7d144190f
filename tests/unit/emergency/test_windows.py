"""E1 windows: drop_Nm = mark / highest mark of the last N minutes - 1 (and the rise mirror)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.emergency.windows import (
    FIVE_MINUTES_MS,
    ONE_MINUTE_MS,
    MarkWindows,
    RollingExtremes,
)

T0 = 1_700_000_000_000
S = 1_000


def test_e1_drop_1m_worked_example():
    # marks 100 at t0, 105 at +20 s, 94.5 at +50 s: highest of the last minute is 105,
    # drop_1m = 94.5 / 105 - 1 = -0.1 exactly.
    w = MarkWindows()
    w.on_mark(T0, D(100))
    w.on_mark(T0 + 20 * S, D(105))
    moves = w.on_mark(T0 + 50 * S, D("94.5"))

    assert moves.high_1m == D(105)
    assert moves.drop_1m == D("-0.1")
    assert moves.drop_5m == D("-0.1")


def test_e1_window_is_inclusive_at_exactly_one_minute():
    # A mark stamped exactly 60 s before now still counts; 1 ms later it has left the window.
    w = MarkWindows()
    w.on_mark(T0, D(200))
    w.on_mark(T0 + ONE_MINUTE_MS, D(190))

    assert w.moves(T0 + ONE_MINUTE_MS).drop_1m == D(190) / D(200) - 1  # -0.05
    assert w.moves(T0 + ONE_MINUTE_MS + 1).drop_1m == D(0)  # only 190 is left in the 1m window
    assert w.moves(T0 + ONE_MINUTE_MS + 1).drop_5m == D("-0.05")  # 200 is still in the 5m one


def test_e1_drop_5m_sees_the_high_the_1m_window_lost():
    # 100 at t0, then 85 four minutes later: 1m window holds only 85 (drop 0);
    # 5m window holds 100: drop_5m = 85/100 - 1 = -0.15.
    w = MarkWindows()
    w.on_mark(T0, D(100))
    moves = w.on_mark(T0 + 4 * ONE_MINUTE_MS, D(85))

    assert moves.drop_1m == 0
    assert moves.drop_5m == D("-0.15")
    assert w.moves(T0 + 5 * ONE_MINUTE_MS + 1).drop_5m == 0  # 100 has left the 5m window


def test_e1_mirror_rise_uses_lowest_mark():
    # 50 then 56: rise_1m = 56 / 50 - 1 = 0.12; the drop is 0 (56 is the high).
    w = MarkWindows()
    w.on_mark(T0, D(50))
    moves = w.on_mark(T0 + 10 * S, D(56))

    assert moves.rise_1m == D("0.12")
    assert moves.rise_5m == D("0.12")
    assert moves.drop_1m == 0


def test_e1_current_mark_is_never_evicted():
    # The latest mark stays the window's value even after long silence: drop is 0, not None.
    w = MarkWindows()
    w.on_mark(T0, D(100))

    moves = w.moves(T0 + 3_600_000)

    assert moves.mark == D(100) and moves.high_5m == D(100) and moves.drop_5m == 0


def test_e1_clock_step_back_keeps_windows_ordered():
    # A mark stamped 5 s earlier than the previous one is treated as arriving at the same time.
    w = MarkWindows()
    w.on_mark(T0 + 10 * S, D(100))
    moves = w.on_mark(T0 + 5 * S, D(80))

    assert moves.ts_ms == T0 + 10 * S
    assert moves.drop_1m == D("-0.2")


@pytest.mark.parametrize("bad", [D(0), D(-1), D("NaN"), D("Infinity"), 100.0, "100"])
def test_e1_invalid_mark_is_a_bug_and_raises(bad):
    with pytest.raises(ValueError):
        MarkWindows().on_mark(T0, bad)


def test_e1_rolling_extremes_deques_stay_small_on_falling_prices():
    # Monotonic deques: a falling series keeps every value in the max-deque while in window,
    # but pushes older ones out once they leave it (no unbounded growth).
    r = RollingExtremes(10 * S)
    for i in range(1000):
        r.push(T0 + i * S, D(10_000 - i))

    assert len(r) <= 11  # values stamped within the last 10 s (inclusive), nothing older
    assert r.highest(T0 + 999 * S) == D(10_000 - 989)
    assert r.lowest(T0 + 999 * S) == D(10_000 - 999)


marks = st.lists(
    st.tuples(st.integers(0, 40 * S), st.integers(1, 10_000)),
    min_size=1,
    max_size=120,
)


@given(marks)
def test_e1_windows_match_brute_force_over_random_paths(steps):
    w = MarkWindows()
    history: list[tuple[int, D]] = []
    t = T0
    for gap, price in steps:
        t += gap
        moves = w.on_mark(t, D(price))
        history.append((t, D(price)))
        in_1m = [p for ts, p in history if t - ts <= ONE_MINUTE_MS]
        in_5m = [p for ts, p in history if t - ts <= FIVE_MINUTES_MS]

        assert moves.high_1m == max(in_1m) and moves.low_1m == min(in_1m)
        assert moves.high_5m == max(in_5m) and moves.low_5m == min(in_5m)
        assert moves.drop_1m == D(price) / max(in_1m) - 1
        assert moves.drop_5m <= moves.drop_1m <= 0 <= moves.rise_1m <= moves.rise_5m
