"""G3: the standing signal and its maker timeouts; G4: the taker price (issue 14)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accountbuilder.domain.enums import Side
from accountbuilder.execution.entry import (
    DAY_MS,
    MakerTimeouts,
    maker_timed_out,
    ran_through,
    taker_price,
    touched,
)
from accountbuilder.signal.source import Signal

SPACING = Decimal("0.02")


def signal(level: int, sid: str = "s", side: Side = Side.LONG, spacing=SPACING) -> Signal:
    price = Decimal(10_000) * (1 + spacing) ** level
    step = 1 if side is Side.LONG else -1
    target = Decimal(10_000) * (1 + spacing) ** (level + step)
    return Signal(sid, side, price, target, spacing, Decimal(level), 0)


def test_g3_maker_timeout_60s_after_the_touch():
    assert not maker_timed_out(0, 59_999, 60)
    assert maker_timed_out(0, 60_000, 60)


@pytest.mark.parametrize(
    ("side", "low", "high", "hit"),
    [
        (Side.LONG, Decimal(100), None, True),  # traded at the buy price
        (Side.LONG, Decimal("100.5"), None, False),
        (Side.SHORT, None, Decimal(100), True),
        (Side.SHORT, None, Decimal("99.5"), False),
    ],
)
def test_g3_touched_means_the_market_traded_at_the_entry_price(side, low, high, hit):
    assert touched(side, Decimal(100), low, high) is hit


def test_g3_a_new_time_bucket_alone_does_not_replace_the_standing_signal():
    t = MakerTimeouts()
    first = t.adopt(signal(50, "bucket1"))

    again = t.adopt(signal(50, "bucket2"))  # same side, level, spacing; a new bucket's id

    assert again is first and t.signal_id == "bucket1"
    assert t.stands(signal(50, "bucket3")) and not t.stands(signal(51, "x"))


def test_g3_a_changed_level_names_a_new_signal_and_restarts_the_count():
    t = MakerTimeouts()
    t.adopt(signal(50, "a"))
    t.record_timeout("a_L_en0")

    moved_up = t.adopt(signal(51, "b"))  # the market went away from the level: a new signal

    assert moved_up.signal_id == "b" and t.count == 0


def test_g3_g4_after_a_timeout_the_signal_stands_one_level_through():
    t = MakerTimeouts()
    t.adopt(signal(50, "a"))
    t.record_timeout("a_L_en0")  # reached and unfilled

    kept = t.adopt(signal(49, "b"))  # the market ran through the level by one step

    assert kept.signal_id == "a" and t.count == 1
    assert t.adopt(signal(48, "c")).signal_id == "c"  # two steps: a new signal


def test_g3_a_timeout_counts_once_per_entry_order():
    t = MakerTimeouts()
    t.adopt(signal(50, "a"))

    t.record_timeout("a_L_en0")
    t.record_timeout("a_L_en0")  # the PostOnly answer and its order event both say so

    assert t.count == 1


def test_g4_taker_due_after_3_timeouts_of_the_standing_signal():
    t = MakerTimeouts()
    s = t.adopt(signal(50, "a"))
    for n in range(3):
        assert not t.taker_due(s)
        t.record_timeout(f"a_L_en{n}")

    assert t.taker_due(s) and not t.taker_due(signal(50, "other"))
    t.record_taker(DAY_MS + 5)
    assert not t.taker_due(s) and t.taker_day == 1


def test_g4_ran_through_needs_the_same_side_and_spacing():
    assert ran_through(signal(50), signal(49))
    assert not ran_through(signal(50), signal(51))
    assert ran_through(signal(50, side=Side.SHORT), signal(51, side=Side.SHORT))
    assert not ran_through(signal(50), signal(49, spacing=Decimal("0.03")))


@pytest.mark.parametrize(
    ("side", "mark", "expected"),
    [
        (Side.LONG, Decimal("50000"), Decimal("50100.0")),  # 50,000 x 1.002
        (Side.LONG, Decimal("50000.3"), Decimal("50100.0")),  # 50,100.3006 → rounded down
        (Side.SHORT, Decimal("50000"), Decimal("49900.0")),
        (Side.SHORT, Decimal("50000.3"), Decimal("49900.5")),  # 49,900.2994 → rounded up
    ],
)
def test_g4_taker_price_is_the_cap_rounded_inside_it(side, mark, expected):
    price = taker_price(side, mark, Decimal("0.002"), Decimal("0.5"))

    assert price == expected
    assert (
        price <= mark * Decimal("1.002") if side is Side.LONG else price >= mark * Decimal("0.998")
    )


def test_g3_standing_signal_round_trips():
    t = MakerTimeouts()
    t.adopt(signal(50, "a"))
    t.record_timeout("a_L_en0")
    t.record_taker(7)

    assert MakerTimeouts.from_dict(t.to_dict()) == t
