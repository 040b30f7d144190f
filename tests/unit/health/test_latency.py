"""E2: latency >= 5.0 s blocks entries until latency has been below 5 s for 60 s."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.health.latency import LatencyTracker

T0 = 1_700_000_000_000
S = 1_000


def test_e2_no_samples_or_only_fast_ones_never_block():
    tracker = LatencyTracker()
    assert tracker.status(T0).blocked is False
    tracker.on_rest_round_trip(T0, 4_999)
    tracker.on_ws_event_age(T0, 120)

    assert tracker.status(T0 + S).blocked is False and tracker.status(T0).block() is None


def test_e2_block_until_clean_for_60s_counted_from_first_clean_sample():
    # High at t0 (5.2 s); clean samples from t0+3 s on: the block ends at t0+3 s+60 s.
    tracker = LatencyTracker()
    tracker.on_rest_round_trip(T0, 5_200)
    assert tracker.status(T0 + S).until_ms == T0 + S + 60 * S  # no clean sample: now + 60 s

    tracker.on_rest_round_trip(T0 + 3 * S, 300)
    tracker.on_ws_event_age(T0 + 30 * S, 200)
    status = tracker.status(T0 + 62_999)

    assert status.blocked and status.until_ms == T0 + 63 * S
    assert status.block().reason is ReasonCode.BLOCK_LATENCY
    assert status.block().cancel_entry_orders
    assert tracker.status(T0 + 63 * S).blocked is False


def test_e2_a_new_high_sample_restarts_the_60s():
    tracker = LatencyTracker()
    tracker.on_rest_round_trip(T0, 6_000)
    tracker.on_rest_round_trip(T0 + S, 100)
    tracker.on_ws_event_age(T0 + 50 * S, 5_000)  # exactly 5.0 s counts as high
    tracker.on_ws_event_age(T0 + 51 * S, 100)

    status = tracker.status(T0 + 70 * S)

    assert status.blocked and status.until_ms == T0 + 111 * S
    assert status.last_high_source == "ws" and status.last_high_ms == T0 + 50 * S


def test_e2_negative_ws_age_is_clock_skew_and_nan_is_high():
    tracker = LatencyTracker()
    tracker.on_ws_event_age(T0, -800)  # local clock behind the exchange: counts as 0
    assert tracker.status(T0).blocked is False
    tracker.on_rest_round_trip(T0 + S, float("nan"))
    assert tracker.status(T0 + S).blocked is True


def test_e2_config_may_tighten_limit_and_lengthen_recovery():
    cfg = EmergencyConfig(latency_block_s=D("2.5"), latency_recovery_s=120)
    tracker = LatencyTracker.from_config(cfg)
    tracker.on_rest_round_trip(T0, 2_500)
    tracker.on_rest_round_trip(T0 + S, 10)

    assert tracker.status(T0 + S).until_ms == T0 + S + 120 * S
