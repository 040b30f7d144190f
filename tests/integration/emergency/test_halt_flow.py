"""Checker + WS health + halt state on a 1 s tick loop: F3's DEGRADED halt and its E4 recovery."""

from __future__ import annotations

from decimal import Decimal as D

from tests.unit.emergency.halt_rig import Rig

from accountbuilder.domain.enums import HaltKind, Side, Stage
from accountbuilder.domain.models import AccountSnapshot, Position
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.checker import EmergencyChecker
from accountbuilder.emergency.halts import HaltLogEvent, HaltPhase
from accountbuilder.health.ws_health import WsHealth

T0 = 1_700_000_000_000
S = 1_000
RICH = AccountSnapshot(T0, D("0.01"))  # $1,000 at 100,000


def ws_traffic(t: int) -> bool:
    """Messages every 5 s, except a silence from t0+30 s to t0+200 s."""
    offset = t - T0
    return offset % (5 * S) == 0 and not (30 * S < offset < 200 * S)


def test_f3_degraded_halt_recovers_like_e4_once_ws_healthy_for_5_min():
    # WS: healthy at t0+30 s, silent from t0+30 s -> DEGRADED at t0+60 s -> HALT at t0+120 s.
    # Traffic again from t0+200 s -> healthy at t0+230 s (30 s clean) -> calm from t0+230 s
    # -> COOLDOWN at t0+530 s (5 min) -> normal at t0+2 330 s (30 min). The market is flat.
    checker, ws, rig = EmergencyChecker(), WsHealth(T0), Rig()
    position = Position(Side.LONG, 100, D(100_000), Stage.S1, D(3))
    log, reconciles = [], []
    for k in range(2_400):
        now = T0 + k * S
        checker.on_mark(now, D(100_000))
        if ws_traffic(now):
            ws.on_message(now)
        if ws.reconcile_due(now, position_open=True):
            ws.on_reconcile(now)
            reconciles.append(k)
        report = checker.check(now, RICH, position, ws=ws.status(now))
        entries = rig.check(now, report.findings, report.calm)
        log += [(k, e) for e in entries]

    summary = [(k, e.event, e.reason) for k, e in log]
    assert summary == [
        (120, HaltLogEvent.RAISED, ReasonCode.WS_DEGRADED_TIMEOUT),
        (230, HaltLogEvent.CALM_STARTED, ReasonCode.WS_DEGRADED_TIMEOUT),
        (530, HaltLogEvent.COOLDOWN_STARTED, ReasonCode.WS_DEGRADED_TIMEOUT),
        (2_330, HaltLogEvent.LIFTED, ReasonCode.WS_DEGRADED_TIMEOUT),
    ]
    assert log[0][1].kind is HaltKind.TEMPORARY
    assert rig.phase is HaltPhase.NORMAL
    # F3: a reconcile every second while DEGRADED with the position open:
    # t0..t0+29 s (no traffic yet) and t0+60 s..t0+229 s.
    assert reconciles == list(range(0, 30)) + list(range(60, 230))


def test_f3_ws_flapping_during_the_calm_minutes_restarts_them():
    # Same as above, but a second silence (t0+300 s .. t0+340 s) DEGRADES WS again while
    # halted: the calm count restarts once WS is healthy again.
    def traffic(t: int) -> bool:
        offset = t - T0
        return ws_traffic(t) and not (300 * S < offset < 340 * S)

    checker, ws, rig = EmergencyChecker(), WsHealth(T0), Rig()
    events = []
    for k in range(1_000):
        now = T0 + k * S
        checker.on_mark(now, D(100_000))
        if traffic(now):
            ws.on_message(now)
        report = checker.check(now, RICH, None, ws=ws.status(now))
        entries = rig.check(now, report.findings, report.calm)
        events += [(k, e.event) for e in entries]

    # Silent from t0+300 s -> DEGRADED at t0+330 s; traffic from t0+340 s -> healthy at
    # t0+370 s: calm again from there, COOLDOWN 5 min later at t0+670 s.
    assert events == [
        (120, HaltLogEvent.RAISED),
        (230, HaltLogEvent.CALM_STARTED),
        (370, HaltLogEvent.CALM_STARTED),
        (670, HaltLogEvent.COOLDOWN_STARTED),
    ]
