"""G10 fee spike detection and the D8 24-hour window."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.risk.fee_spike import FeeSpike, fee_ratio, is_spike

HOUR = 3_600_000
T0 = 1_767_225_600_000


def test_g10_ratio_above_1_5_is_a_spike():
    # estimated 0.00000053 BTC; 1.5 × = 0.000000795
    assert fee_ratio(D("0.000000795"), D("0.00000053")) == D("1.5")
    assert not is_spike(D("0.000000795"), D("0.00000053"))  # exactly 1.5 is not above
    assert is_spike(D("0.000000796"), D("0.00000053"))


def test_g10_rebate_estimate_any_charge_is_a_spike():
    assert fee_ratio(D("0.0000001"), D("-0.0000001")) is None
    assert is_spike(D("0.0000001"), D("-0.0000001"))
    assert not is_spike(D("-0.0000001"), D("-0.0000001"))


def test_d8_spike_starts_a_24_hour_window():
    spike = FeeSpike().on_fill(D(2), D(1), T0)

    assert spike.until_ms == T0 + 24 * HOUR and spike.last_ratio == D(2)
    assert spike.active(T0 + 24 * HOUR - 1)
    assert not spike.active(T0 + 24 * HOUR)


def test_d8_normal_fee_changes_nothing():
    spike = FeeSpike().on_fill(D(2), D(1), T0)

    assert spike.on_fill(D(1), D(1), T0 + HOUR) == spike


def test_d8_new_spike_restarts_the_window():
    spike = FeeSpike().on_fill(D(2), D(1), T0).on_fill(D(3), D(1), T0 + 10 * HOUR)

    assert spike.until_ms == T0 + 34 * HOUR


def test_d8_state_round_trips():
    spike = FeeSpike().on_fill(D(2), D(1), T0, hours=48)

    assert FeeSpike.from_dict(spike.to_dict()) == spike
