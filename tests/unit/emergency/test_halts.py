"""HALT transitions: raise and escalate (E1-E6), E4 auto-recovery, E5 manual reset."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.emergency.checker import EmergencyChecker
from accountbuilder.emergency.halts import (
    CALM_WINDOW_MS,
    COOLDOWN_MS,
    HaltLogEvent,
    HaltPhase,
    HaltState,
    manual_reset,
    observe,
    raise_halt,
    step,
)
from accountbuilder.emergency.rules import Finding, halt

T0 = 1_700_000_000_000
S = 1_000
MIN = 60_000
TEMP = HaltKind.TEMPORARY
MANUAL = HaltKind.MANUAL


def drop_halt(t=T0):
    state, _ = raise_halt(HaltState(), t, ReasonCode.DROP_1M, TEMP, {"drop_1m": D("-0.11")})
    return state


def events(entries):
    return [e.event for e in entries]


# --- raising --------------------------------------------------------------------------------
def test_e1_raise_from_normal_enters_temporary_halt_and_logs_it():
    state, entries = raise_halt(HaltState(), T0, ReasonCode.DROP_1M, TEMP, {"drop_1m": D("-0.11")})

    assert state == HaltState(HaltPhase.HALT, TEMP, (ReasonCode.DROP_1M,), since_ms=T0)
    assert state.entry_denial(T0 + 1).reason is ReasonCode.HALTED
    (entry,) = entries
    assert (entry.event, entry.reason, entry.kind, entry.ts_ms) == (
        HaltLogEvent.RAISED,
        ReasonCode.DROP_1M,
        TEMP,
        T0,
    )
    assert entry.figures["drop_1m"] == D("-0.11")


def test_e5_manual_reason_escalates_a_temporary_halt():
    state, entries = raise_halt(drop_halt(), T0 + S, ReasonCode.EQUITY_BELOW_80, MANUAL)

    assert state.kind is MANUAL
    assert state.reasons == (ReasonCode.DROP_1M, ReasonCode.EQUITY_BELOW_80)
    assert state.since_ms == T0  # the halt's start does not move
    assert events(entries) == [HaltLogEvent.ESCALATED]


def test_e5_temporary_reason_never_downgrades_a_manual_halt():
    manual, _ = raise_halt(HaltState(), T0, ReasonCode.BALANCE_ANOMALY, MANUAL)

    state, entries = raise_halt(manual, T0 + S, ReasonCode.DROP_5M, TEMP)

    assert state.kind is MANUAL
    assert state.reasons == (ReasonCode.BALANCE_ANOMALY, ReasonCode.DROP_5M)
    assert events(entries) == [HaltLogEvent.RAISED] and entries[0].kind is MANUAL


def test_e1_same_reason_again_logs_nothing_but_restarts_calm():
    state, _ = observe(drop_halt(), T0 + S, calm=True)
    assert state.calm_since_ms == T0 + S

    state, entries = raise_halt(state, T0 + 2 * S, ReasonCode.DROP_1M, TEMP)

    assert entries == () and state.calm_since_ms is None


# --- E4 ----------------------------------------------------------------------------------------
def test_e4_five_calm_minutes_then_cooldown_30_min_then_normal():
    state = drop_halt()
    log = []
    # calm from t0+10s: calm_since = t0+10s; at t0+10s+4:59 not yet; at +5:00 -> COOLDOWN.
    for t in (T0 + 10 * S, T0 + 10 * S + CALM_WINDOW_MS - 1):
        state, entries = observe(state, t, calm=True)
        log += entries
    assert state.phase is HaltPhase.HALT and state.calm_since_ms == T0 + 10 * S

    t_cool = T0 + 10 * S + CALM_WINDOW_MS
    state, entries = observe(state, t_cool, calm=True)
    log += entries
    assert state.phase is HaltPhase.COOLDOWN and state.cooldown_until_ms == t_cool + COOLDOWN_MS
    assert state.entry_denial(t_cool).reason is ReasonCode.COOLDOWN

    state, entries = observe(state, t_cool + COOLDOWN_MS - 1, calm=False)  # calm no longer matters
    assert state.phase is HaltPhase.COOLDOWN and entries == ()
    state, entries = observe(state, t_cool + COOLDOWN_MS, calm=False)
    log += entries
    assert state == HaltState() and state.entry_denial(t_cool + COOLDOWN_MS) is None
    assert events(log) == [
        HaltLogEvent.CALM_STARTED,
        HaltLogEvent.COOLDOWN_STARTED,
        HaltLogEvent.LIFTED,
    ]
    assert log[1].figures["calm_ms"] == CALM_WINDOW_MS


def test_e4_a_breach_of_the_calm_bounds_restarts_the_five_minutes():
    state = drop_halt()
    state, _ = observe(state, T0 + MIN, calm=True)  # calm since t0+1m
    state, _ = observe(state, T0 + 5 * MIN, calm=False)  # breach at t0+5m
    state, _ = observe(state, T0 + 5 * MIN + S, calm=True)  # calm again since t0+5m+1s
    state, _ = observe(state, T0 + 6 * MIN + S, calm=True)  # 5 min after the first calm: no

    assert state.phase is HaltPhase.HALT
    state, entries = observe(state, T0 + 10 * MIN + S, calm=True)  # 5 min after the restart
    assert state.phase is HaltPhase.COOLDOWN
    assert entries[0].figures["calm_since_ms"] == T0 + 5 * MIN + S


def test_e4_e1_breach_during_cooldown_halts_again():
    cooling = HaltState(
        HaltPhase.COOLDOWN, reasons=(ReasonCode.DROP_1M,), cooldown_until_ms=T0 + COOLDOWN_MS
    )

    state, entries = raise_halt(cooling, T0 + MIN, ReasonCode.DROP_5M, TEMP)

    assert state.phase is HaltPhase.HALT and state.reasons == (ReasonCode.DROP_5M,)
    assert entries[0].figures["interrupted_cooldown_until_ms"] == T0 + COOLDOWN_MS


def test_e5_manual_halt_is_never_lifted_by_calm():
    manual, _ = raise_halt(HaltState(), T0, ReasonCode.LIQUIDATION_WARNING, MANUAL)
    state = manual
    for minute in range(1, 24 * 60):
        state, entries = observe(state, T0 + minute * MIN, calm=True)
        assert entries == ()

    assert state == manual


# --- step (one check) -------------------------------------------------------------------------
def test_e4_step_with_a_halt_finding_is_never_calm():
    state = drop_halt()
    state, _ = step(state, T0 + S, [], calm=True)
    assert state.calm_since_ms == T0 + S
    finding = halt(ReasonCode.DROP_1M, TEMP, {})

    state, entries = step(state, T0 + 2 * S, [finding], calm=True)

    assert state.calm_since_ms is None and entries == ()


def test_e2_step_ignores_non_halt_findings():
    latency = Finding(ReasonCode.LATENCY_HIGH, None, halt(ReasonCode.LATENCY_HIGH, TEMP, {}).action)

    state, entries = step(HaltState(), T0, [latency], calm=True)

    assert state == HaltState() and entries == ()


# --- E5 manual reset ----------------------------------------------------------------------------
def test_e5_manual_reset_records_who_why_previous_reason_and_context():
    manual, _ = raise_halt(HaltState(), T0, ReasonCode.EQUITY_BELOW_80, MANUAL)
    context = {"account": {"equity_usd": "79"}, "market": {"mark": "100000"}}

    got = manual_reset(manual, "  topped up the account  ", "alice", T0 + 10 * MIN, context)

    state, entry = got
    assert state.phase is HaltPhase.NORMAL and state.reset_at_ms == T0 + 10 * MIN
    assert entry.event is HaltLogEvent.RESET
    assert (entry.reason, entry.kind) == (ReasonCode.EQUITY_BELOW_80, MANUAL)
    assert (entry.who, entry.why) == ("alice", "topped up the account")
    assert entry.figures["previous_reasons"] == "EQUITY_BELOW_80"
    assert entry.figures["halted_for_ms"] == 10 * MIN
    assert entry.context == context


@pytest.mark.parametrize(
    ("why", "who", "field"),
    [("", "alice", "reason"), ("   ", "alice", "reason"), ("ok", "", "who")],
)
def test_e5_manual_reset_refuses_an_empty_reason_or_name(why, who, field):
    manual, _ = raise_halt(HaltState(), T0, ReasonCode.EQUITY_BELOW_80, MANUAL)

    got = manual_reset(manual, why, who, T0 + MIN)

    assert got == Denial(ReasonCode.RESET_REASON_MISSING, {"field": field})


def test_e5_manual_reset_refuses_when_not_halted():
    got = manual_reset(HaltState(), "why", "alice", T0)

    assert isinstance(got, Denial) and got.reason is ReasonCode.NOT_HALTED


def test_e5_reset_never_clears_a_condition_that_still_holds():
    # Equity is $79 (0.00079 BTC x 100,000) and stays there: reset, then the next check
    # halts again at once and its log entry says the condition still holds after the reset.
    checker = EmergencyChecker()
    checker.on_mark(T0, D(100_000))
    poor = AccountSnapshot(T0, D("0.00079"))
    report = checker.check(T0, poor, None)
    state, _ = step(HaltState(), T0, report.findings, report.calm)
    assert state.kind is MANUAL

    state, _ = manual_reset(state, "I think it is fine", "bob", T0 + MIN)
    report = checker.check(T0 + MIN + S, poor, None)
    state, entries = step(state, T0 + MIN + S, report.findings, report.calm)

    assert state.phase is HaltPhase.HALT and state.reasons == (ReasonCode.EQUITY_BELOW_80,)
    (entry,) = entries
    assert entry.event is HaltLogEvent.RAISED
    assert entry.figures["still_holds_after_reset"] is True
    assert entry.figures["reset_at_ms"] == T0 + MIN


def test_e5_reset_with_the_condition_gone_stays_normal():
    manual, _ = raise_halt(HaltState(), T0, ReasonCode.BALANCE_ANOMALY, MANUAL)
    state, _ = manual_reset(manual, "wallet answer fixed", "bob", T0 + MIN)

    state, entries = step(state, T0 + MIN + S, [], calm=True)

    assert state == HaltState() and entries == ()  # the reset marker is cleared after one check


# --- persistence --------------------------------------------------------------------------------
def test_i4_halt_state_round_trips_through_dict():
    state = HaltState(
        HaltPhase.HALT, TEMP, (ReasonCode.DROP_1M, ReasonCode.WS_DEGRADED_TIMEOUT), T0, T0 + MIN
    )

    data = state.to_dict()

    assert data == {
        "phase": "halt",
        "kind": "temporary",
        "reasons": ["DROP_1M", "WS_DEGRADED_TIMEOUT"],
        "since_ms": T0,
        "calm_since_ms": T0 + MIN,
        "cooldown_until_ms": None,
        "reset_at_ms": None,
    }
    assert HaltState.from_dict(data) == state


@pytest.mark.parametrize(
    "fields",
    [
        {"phase": HaltPhase.HALT},  # no kind, no reasons
        {"phase": HaltPhase.NORMAL, "kind": TEMP},
        {
            "phase": HaltPhase.HALT,
            "kind": MANUAL,
            "reasons": (ReasonCode.DROP_1M,),
            "since_ms": T0,
            "calm_since_ms": T0,
        },
        {"phase": HaltPhase.COOLDOWN, "reasons": (ReasonCode.DROP_1M,)},  # no end
    ],
)
def test_i4_inconsistent_halt_state_is_refused(fields):
    with pytest.raises(ValueError):
        HaltState(**fields)


# --- properties -------------------------------------------------------------------------------
# Segments of checks: (gap between checks, how many checks, halt finding kind or None, calm?).
# Gaps of 1 ms / 1 s below and at E4's lengths put checks right on and next to the boundaries.
BOUNDARY_GAPS = [S, CALM_WINDOW_MS - S, CALM_WINDOW_MS - 1, CALM_WINDOW_MS, COOLDOWN_MS - 1]
segments = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(BOUNDARY_GAPS), st.integers(1, 90 * S)),
        st.integers(1, 20),
        st.sampled_from([None, TEMP, MANUAL]),
        st.booleans(),
    ),
    min_size=1,
    max_size=20,
)


def checks(pattern):
    t = T0
    for gap, count, kind, calm in pattern:
        for _ in range(count):
            t += gap
            yield t, kind, calm


REASON = {TEMP: ReasonCode.DROP_1M, MANUAL: ReasonCode.EQUITY_BELOW_80}


@given(segments)
def test_e5_property_manual_halt_is_never_lifted_automatically(pattern):
    state = HaltState()
    for t, kind, calm in checks(pattern):
        was_manual = state.kind is MANUAL
        findings = [halt(REASON[kind], kind, {})] if kind else []
        state, _ = step(state, t, findings, calm)
        if was_manual:
            assert state.phase is HaltPhase.HALT and state.kind is MANUAL


@given(segments)
def test_e4_property_temporary_halt_lifts_only_after_5_calm_minutes_via_cooldown(pattern):
    state = HaltState()
    calm_since = None  # the test's own count of the current calm run
    cooldown_started = None
    for t, kind, calm in checks(pattern):
        before = state
        findings = [halt(REASON[kind], kind, {})] if kind else []
        state, _ = step(state, t, findings, calm)
        tick_calm = calm and not findings
        calm_since = (calm_since if calm_since is not None else t) if tick_calm else None
        if before.phase is HaltPhase.HALT and state.phase is not HaltPhase.HALT:
            assert before.kind is TEMP
            assert state.phase is HaltPhase.COOLDOWN  # never straight to NORMAL
            assert calm_since is not None and t - calm_since >= CALM_WINDOW_MS
            cooldown_started = t
        if before.phase is HaltPhase.COOLDOWN and state.phase is HaltPhase.NORMAL:
            assert cooldown_started is not None and t - cooldown_started >= COOLDOWN_MS
        if state.phase is HaltPhase.HALT:
            assert state.kind is not None and state.reasons
            if state.kind is TEMP:  # the calm run the halt counts is exactly the test's own
                assert state.calm_since_ms == calm_since
