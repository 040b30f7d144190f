"""D5 streak multiplier."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.risk.streak import Streak


def _run(streak: Streak, outcomes: str) -> Streak:
    for c in outcomes:
        streak = streak.on_trade_closed(c == "W")
    return streak


def test_d5_three_losses_halve_the_multiplier():
    assert _run(Streak(), "LL").multiplier == D("1.0")
    assert _run(Streak(), "LLL").multiplier == D("0.5")


def test_d5_multiplier_floor_is_0_25():
    # 1.0 → 0.5 → 0.25 → max(0.125, 0.25) = 0.25
    assert _run(Streak(), "LLL" * 3).multiplier == D("0.25")


def test_d5_three_wins_raise_by_1_5_up_to_1():
    # 0.25 → 0.375 → 0.5625 → 0.84375 → min(1.265625, 1.0) = 1.0
    s = Streak(D("0.25"))

    assert _run(s, "WWW").multiplier == D("0.375")
    assert _run(s, "WWW" * 3).multiplier == D("0.84375")
    assert _run(s, "WWW" * 4).multiplier == D("1.0")


def test_d5_counter_restarts_after_each_change():
    # LLL → 0.5 and the count restarts: two more losses do nothing, the third halves again
    assert _run(Streak(), "LLLLL").multiplier == D("0.5")
    assert _run(Streak(), "LLLLLL").multiplier == D("0.25")


def test_d5_a_win_breaks_a_losing_run():
    assert _run(Streak(), "LLWLL").multiplier == D("1.0")


@given(st.text(alphabet="WL", max_size=60))
def test_d5_multiplier_always_within_bounds(outcomes):
    s = _run(Streak(), outcomes)

    assert D("0.25") <= s.multiplier <= D("1.0")
    assert Streak.from_dict(s.to_dict()) == s
