"""F2/F3: WS health, DEGRADED mode with hysteresis, 1 s reconcile, 60 s -> HALT."""

from __future__ import annotations

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.health.ws_health import WsHealth, WsMode

T0 = 1_700_000_000_000
S = 1_000


def healthy_at(t0: int = T0) -> WsHealth:
    """A connection with traffic every 5 s from t0 that has become healthy by t0+30 s."""
    ws = WsHealth(t0)
    for k in range(7):
        ws.on_message(t0 + k * 5 * S)
    assert ws.status(t0 + 30 * S).healthy
    return ws


def test_f2_starts_degraded_until_30s_of_clean_traffic():
    ws = WsHealth(T0)
    assert ws.status(T0).mode is WsMode.DEGRADED
    assert ws.status(T0).causes == ("no_traffic_yet",)
    assert ws.status(T0).entry_denial().reason is ReasonCode.DEGRADED_MODE

    ws.on_message(T0 + 2 * S)  # first message: the clean period starts here
    ws.on_message(T0 + 20 * S)
    assert ws.status(T0 + 31_999).healthy is False  # 29.999 s clean
    status = ws.status(T0 + 32 * S)  # 30 s clean

    assert status.healthy and status.healthy_since_ms == T0 + 32 * S
    assert status.entry_denial() is None


def test_f2_silence_of_30s_is_unhealthy_from_the_exact_moment():
    # Last message at t0+30 s; silence reaches 30 s at t0+60 s; observed late at t0+64 s.
    ws = healthy_at()
    status = ws.status(T0 + 64 * S)

    assert status.mode is WsMode.DEGRADED and status.causes == ("silence",)
    assert status.degraded_since_ms == T0 + 60 * S
    assert status.degraded_for_ms == 4 * S


def test_f2_silence_just_under_30s_stays_healthy():
    ws = healthy_at()
    assert ws.status(T0 + 59_999).healthy  # 29.999 s since t0+30 s


def test_f2_silence_ended_by_a_message_is_still_noticed():
    # No status call during the gap: the message at t0+75 s ends a 45 s silence, which counts.
    ws = healthy_at()
    ws.on_message(T0 + 75 * S)

    status = ws.status(T0 + 75 * S)

    assert status.mode is WsMode.DEGRADED and status.degraded_since_ms == T0 + 60 * S
    assert status.clean_since_ms == T0 + 75 * S


def feed(ws: WsHealth, start: int, end: int) -> None:
    """A message every 5 s from ``start`` to ``end`` inclusive."""
    for t in range(start, end + 1, 5 * S):
        ws.on_message(t)


def test_f2_three_drops_within_5_min_is_unhealthy():
    ws = healthy_at()
    feed(ws, T0 + 35 * S, T0 + 340 * S)
    ws.on_drop(T0 + 40 * S)  # a reconnect
    ws.on_drop(T0 + 100 * S)  # a change REST found that WS never delivered
    assert ws.status(T0 + 338 * S).healthy  # 2 drops: still healthy

    ws.on_drop(T0 + 339 * S)  # third drop, 299 s after the first

    status = ws.status(T0 + 339 * S)
    assert status.mode is WsMode.DEGRADED and status.causes == ("drops",)
    assert status.drops_in_window == 3 and status.degraded_since_ms == T0 + 339 * S


def test_f2_drops_spread_over_more_than_5_min_stay_healthy():
    # Drops at t0+40 s, t0+100 s and t0+341 s: the first left the window (301 s > 300 s).
    ws = healthy_at()
    feed(ws, T0 + 35 * S, T0 + 345 * S)
    ws.on_drop(T0 + 40 * S)
    ws.on_drop(T0 + 100 * S)
    ws.on_drop(T0 + 341 * S)

    status = ws.status(T0 + 341 * S)
    assert status.healthy and status.drops_in_window == 2


def test_f3_drops_age_out_then_30s_clean_traffic_restores_normal():
    ws = healthy_at()
    feed(ws, T0 + 35 * S, T0 + 500 * S)
    for t in (T0 + 40 * S, T0 + 50 * S, T0 + 60 * S):
        ws.on_drop(t)
    assert ws.status(T0 + 60 * S).mode is WsMode.DEGRADED
    # The first drop leaves the window after t0+340 s; the clean period starts when that is
    # seen (t0+341 s here) and needs 30 s more.
    assert ws.status(T0 + 340 * S).healthy is False
    assert ws.status(T0 + 341 * S).clean_since_ms == T0 + 341 * S
    assert ws.status(T0 + 370_999).healthy is False
    assert ws.status(T0 + 371 * S).healthy is True


def test_f3_hysteresis_a_drop_restarts_the_clean_period():
    ws = healthy_at()
    ws.status(T0 + 61 * S)  # silent since t0+30 s -> DEGRADED at t0+60 s
    ws.on_message(T0 + 62 * S)  # clean from t0+62 s
    ws.on_message(T0 + 80 * S)
    ws.on_drop(T0 + 85 * S)  # one drop (count 1 < 3): the clean period restarts here
    ws.on_message(T0 + 86 * S)
    ws.on_message(T0 + 100 * S)

    assert ws.status(T0 + 92 * S).healthy is False  # would be 30 s clean without the drop
    assert ws.status(T0 + 114_999).healthy is False  # 29.999 s since the drop
    assert ws.status(T0 + 115 * S).healthy is True


def test_f3_reconcile_every_second_only_while_degraded_with_a_position():
    ws = WsHealth(T0)  # DEGRADED (no traffic yet)
    assert ws.reconcile_due(T0, position_open=False) is False
    assert ws.reconcile_due(T0, position_open=True) is True
    ws.on_reconcile(T0)
    assert ws.reconcile_due(T0 + 999, position_open=True) is False
    assert ws.reconcile_due(T0 + S, position_open=True) is True

    healthy = healthy_at()
    assert healthy.reconcile_due(T0 + 31 * S, position_open=True) is False


def test_f3_degraded_60s_in_a_row_sets_halt_due():
    ws = healthy_at()  # DEGRADED from t0+60 s (silence)

    assert ws.status(T0 + 119_999).halt_due is False
    assert ws.status(T0 + 120 * S).halt_due is True


def test_f3_recovery_ends_the_degraded_run():
    ws = healthy_at()
    ws.on_message(T0 + 70 * S)  # DEGRADED since t0+60 s, clean from t0+70 s
    ws.on_message(T0 + 90 * S)
    status = ws.status(T0 + 100 * S)

    assert status.healthy and status.degraded_since_ms is None and status.halt_due is False


def test_f2_ping_every_20s():
    ws = WsHealth(T0)
    assert ws.ping_due(T0)
    ws.on_ping_sent(T0)
    assert not ws.ping_due(T0 + 19_999)
    assert ws.ping_due(T0 + 20 * S) and ws.next_ping_ms(T0 + 5 * S) == T0 + 20 * S


def test_f2_timers_from_config():
    cfg = EmergencyConfig(ws_ping_s=10, ws_timeout_s=15, ws_drops_max=2, ws_drops_window_s=600)
    ws = WsHealth.from_config(cfg, T0)

    assert (ws.ping_ms, ws.timeout_ms, ws.drops_max, ws.drops_window_ms) == (
        10_000,
        15_000,
        2,
        600_000,
    )
