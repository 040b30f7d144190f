"""G3 maker timeout and the G4 taker fallback."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.execution.entry import DAY_MS, MakerTimeouts, maker_timed_out


def test_g3_maker_timeout_after_60s():
    assert not maker_timed_out(0, 59_999, 60)
    assert maker_timed_out(0, 60_000, 60)


def test_g4_taker_allowed_after_3_timeouts_of_the_same_signal():
    t = MakerTimeouts()
    for _ in range(3):
        t.record_timeout("sig")

    # expected 1.00 USD >= 5 x 0.06 USD taker fee (100 contracts x 0.0006)
    assert t.taker_allowed("sig", Decimal("1.00"), Decimal("0.06"), now_ms=0) is None


def test_g4_timeouts_of_another_signal_restart_the_count():
    t = MakerTimeouts()
    t.record_timeout("a")
    t.record_timeout("a")
    t.record_timeout("b")

    denial = t.taker_allowed("b", Decimal(10), Decimal("0.01"), 0)
    assert denial.reason is ReasonCode.TAKER_NOT_ALLOWED and denial.figures["maker_timeouts"] == 1


def test_g4_taker_needs_ev_of_5x_taker_fee():
    t = MakerTimeouts()
    for _ in range(3):
        t.record_timeout("sig")

    denial = t.taker_allowed("sig", Decimal("0.29"), Decimal("0.06"), 0)  # need 0.30
    assert denial is not None and denial.figures["need"] == Decimal("0.30")


def test_g4_one_taker_entry_per_utc_day():
    t = MakerTimeouts()
    for _ in range(3):
        t.record_timeout("sig")
    t.record_taker(now_ms=DAY_MS + 5)
    for _ in range(3):
        t.record_timeout("sig")

    assert t.taker_allowed("sig", Decimal(5), Decimal("0.01"), DAY_MS + 10).figures == {
        "taker_used_today": True
    }
    assert t.taker_allowed("sig", Decimal(5), Decimal("0.01"), 2 * DAY_MS) is None


def test_g4_state_round_trips():
    t = MakerTimeouts()
    t.record_timeout("x")
    t.record_taker(7)

    assert MakerTimeouts.from_dict(t.to_dict()) == t
