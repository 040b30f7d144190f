"""Wilder ATR(14) of daily candles (SPEC D2), worked by hand."""

from __future__ import annotations

import pytest

from accountbuilder.marketdata.atr import WilderAtr
from accountbuilder.marketdata.daily import DAY_MS, DailyRoller


def test_d2_atr_is_none_until_14_days_then_the_mean_true_range():
    atr = WilderAtr()
    # Day i: high 100+i+2, low 100+i-2, close 100+i -> TR = max(4, |h - prev c| = 3, |l - prev c| = 1) = 4
    values = [atr.update(i * DAY_MS, 102.0 + i, 98.0 + i, 100.0 + i) for i in range(14)]

    assert values[:13] == [None] * 13
    assert values[13] == pytest.approx(4.0)


def test_d2_wilder_smoothing_uses_prev_close_gaps():
    atr = WilderAtr()
    for i in range(14):
        atr.update(i * DAY_MS, 102.0, 98.0, 100.0)  # TR 4 each day -> ATR 4
    # Gap up: high 130, low 120, prev close 100 -> TR = max(10, 30, 20) = 30
    value = atr.update(14 * DAY_MS, 130.0, 120.0, 125.0)

    assert value == pytest.approx((4.0 * 13 + 30.0) / 14)  # 5.857...
    assert atr.pct_of(125.0) == pytest.approx(value / 125.0)


def test_d2_repeated_candle_is_not_counted_twice():
    atr = WilderAtr()
    for i in range(15):
        atr.update(i * DAY_MS, 110.0, 90.0, 100.0)
    before = atr.value

    atr.update(14 * DAY_MS, 500.0, 1.0, 100.0)

    assert atr.value == before


def test_d2_atr_state_round_trips():
    atr = WilderAtr()
    for i in range(5):
        atr.update(i * DAY_MS, 110.0, 90.0, 100.0)

    restored = WilderAtr.from_dict(atr.to_dict())
    for i in range(5, 20):
        assert restored.update(i * DAY_MS, 120.0, 95.0, 101.0) == atr.update(
            i * DAY_MS, 120.0, 95.0, 101.0
        )


def test_d2_daily_roller_builds_utc_days_from_minutes():
    roller = DailyRoller()
    assert roller.add(0, 10.0, 12.0, 9.0, 11.0) is None
    assert roller.add(60_000, 11.0, 15.0, 8.0, 14.0) is None

    finished = roller.add(DAY_MS, 14.0, 14.5, 13.0, 14.2)

    assert finished == (0, 10.0, 15.0, 8.0, 14.0)


def test_g3_the_grid_volatility_is_the_atr_over_the_last_daily_close_not_the_mark():
    """The grid spacing reads ATR ÷ the last daily close: fixed until the next daily candle,
    whatever the mark does meanwhile (D2's ATR_pct_24h, over the mark, still moves)."""
    atr = WilderAtr()
    assert atr.pct_of_close() is None
    for i in range(14):
        atr.update(i * DAY_MS, 102.0, 98.0, 100.0)  # ATR 4, last close 100

    assert atr.pct_of_close() == pytest.approx(0.04)
    assert atr.pct_of(80.0) == pytest.approx(0.05)  # over the mark: moves with it
    atr.update(14 * DAY_MS, 130.0, 120.0, 125.0)
    assert atr.pct_of_close() == pytest.approx(atr.value / 125.0)
