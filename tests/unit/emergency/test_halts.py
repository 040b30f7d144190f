"""HALT as the main machine decides it (issue 13: one halt machine), with its facts and log:
raise and escalate (E1-E6), E4 auto-recovery through COOLDOWN, E5 manual reset."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.emergency.halt_rig import Rig

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.checker import EmergencyChecker
from accountbuilder.emergency.halts import (
    CALM_WINDOW_MS,
    COOLDOWN_MS,
    HaltFacts,
    HaltLogEvent,
    HaltPhase,
)
from accountbuilder.emergency.rules import Finding, halt

T0 = 1_700_000_000_000
S = 1_000
MIN = 60_000
TEMP = HaltKind.TEMPORARY
MANUAL = HaltKind.MANUAL


def drop_halt(t=T0) -> Rig:
    rig = Rig()
    rig.raise_(t, ReasonCode.DROP_1M, TEMP, {"drop_1m": D("-0.11")})
    return rig


def events(entries):
    return [e.event for e in entries]


# --- raising --------------------------------------------------------------------------------
def test_e1_raise_from_normal_enters_temporary_halt_and_logs_it():
    rig = Rig()

    entries = rig.raise_(T0, ReasonCode.DROP_1M, TEMP, {"drop_1m": D("-0.11")})

    assert rig.machine.state == "HALT"
    assert rig.facts == HaltFacts(TEMP, (ReasonCode.DROP_1M,), since_ms=T0)
    assert rig.view.entry_denial(T0 + 1).reason is ReasonCode.HALTED
    (entry,) = entries
    assert (entry.event, entry.reason, entry.kind, entry.ts_ms) == (
        HaltLogEvent.RAISED,
        ReasonCode.DROP_1M,
        TEMP,
        T0,
    )
    assert entry.figures["drop_1m"] == D("-0.11")


def test_e5_manual_reason_escalates_a_temporary_halt():
    rig = drop_halt()

    entries = rig.raise_(T0 + S, ReasonCode.EQUITY_BELOW_80, MANUAL)

    assert rig.facts.kind is MANUAL
    assert rig.facts.reasons == (ReasonCode.DROP_1M, ReasonCode.EQUITY_BELOW_80)
    assert rig.facts.since_ms == T0  # the halt's start does not move
    assert events(entries) == [HaltLogEvent.ESCALATED]


def test_e5_temporary_reason_never_downgrades_a_manual_halt():
    rig = Rig()
    rig.raise_(T0, ReasonCode.BALANCE_ANOMALY, MANUAL)

    entries = rig.raise_(T0 + S, ReasonCode.DROP_5M, TEMP)

    assert rig.facts.kind is MANUAL
    assert rig.facts.reasons == (ReasonCode.BALANCE_ANOMALY, ReasonCode.DROP_5M)
    assert events(entries) == [HaltLogEvent.RAISED] and entries[0].kind is MANUAL


def test_e1_same_reason_again_logs_nothing_but_restarts_calm():
    rig = drop_halt()
    rig.observe(T0 + S, calm=True)
    assert rig.facts.calm_since_ms == T0 + S

    entries = rig.raise_(T0 + 2 * S, ReasonCode.DROP_1M, TEMP)

    assert entries == () and rig.facts.calm_since_ms is None


# --- E4 ----------------------------------------------------------------------------------------
def test_e4_five_calm_minutes_then_cooldown_30_min_then_normal():
    rig = drop_halt()
    log = []
    # calm from t0+10s: calm_since = t0+10s; at t0+10s+4:59 not yet; at +5:00 -> COOLDOWN.
    for t in (T0 + 10 * S, T0 + 10 * S + CALM_WINDOW_MS - 1):
        log += rig.observe(t, calm=True)
    assert rig.phase is HaltPhase.HALT and rig.facts.calm_since_ms == T0 + 10 * S

    t_cool = T0 + 10 * S + CALM_WINDOW_MS
    log += rig.observe(t_cool, calm=True)
    assert rig.phase is HaltPhase.COOLDOWN and rig.facts.cooldown_until_ms == t_cool + COOLDOWN_MS
    assert rig.machine.state == "COOLDOWN"
    assert rig.view.entry_denial(t_cool).reason is ReasonCode.COOLDOWN

    entries = rig.observe(t_cool + COOLDOWN_MS - 1, calm=False)  # calm no longer matters
    assert rig.phase is HaltPhase.COOLDOWN and entries == ()
    log += rig.observe(t_cool + COOLDOWN_MS, calm=False)
    assert rig.facts == HaltFacts() and rig.machine.state == "FLAT"  # E7: the exchange's state
    assert rig.view.entry_denial(t_cool + COOLDOWN_MS) is None
    assert events(log) == [
        HaltLogEvent.CALM_STARTED,
        HaltLogEvent.COOLDOWN_STARTED,
        HaltLogEvent.LIFTED,
    ]
    assert log[1].figures["calm_ms"] == CALM_WINDOW_MS


def test_e4_a_breach_of_the_calm_bounds_restarts_the_five_minutes():
    rig = drop_halt()
    rig.observe(T0 + MIN, calm=True)  # calm since t0+1m
    rig.observe(T0 + 5 * MIN, calm=False)  # breach at t0+5m
    rig.observe(T0 + 5 * MIN + S, calm=True)  # calm again since t0+5m+1s
    rig.observe(T0 + 6 * MIN + S, calm=True)  # 5 min after the first calm: no

    assert rig.phase is HaltPhase.HALT
    entries = rig.observe(T0 + 10 * MIN + S, calm=True)  # 5 min after the restart
    assert rig.phase is HaltPhase.COOLDOWN
    assert entries[0].figures["calm_since_ms"] == T0 + 5 * MIN + S


def test_e4_e1_breach_during_cooldown_halts_again():
    rig = drop_halt()
    rig.observe(T0 + S, calm=True)
    rig.observe(T0 + S + CALM_WINDOW_MS, calm=True)
    until = rig.facts.cooldown_until_ms
    assert rig.phase is HaltPhase.COOLDOWN

    entries = rig.raise_(T0 + 10 * MIN, ReasonCode.DROP_5M, TEMP)

    assert rig.phase is HaltPhase.HALT and rig.facts.reasons == (ReasonCode.DROP_5M,)
    assert entries[0].figures["interrupted_cooldown_until_ms"] == until


def test_e5_manual_halt_is_never_lifted_by_calm():
    rig = Rig()
    rig.raise_(T0, ReasonCode.LIQUIDATION_WARNING, MANUAL)
    facts = rig.facts
    for minute in range(1, 24 * 60):
        assert rig.observe(T0 + minute * MIN, calm=True) == ()

    assert rig.facts == facts and rig.machine.state == "HALT"


# --- one check --------------------------------------------------------------------------------
def test_e4_check_with_a_halt_finding_is_never_calm():
    rig = drop_halt()
    rig.check(T0 + S, [], calm=True)
    assert rig.facts.calm_since_ms == T0 + S
    finding = halt(ReasonCode.DROP_1M, TEMP, {})

    entries = rig.check(T0 + 2 * S, [finding], calm=True)

    assert rig.facts.calm_since_ms is None and entries == ()


def test_e2_check_ignores_non_halt_findings():
    latency = Finding(ReasonCode.LATENCY_HIGH, None, halt(ReasonCode.LATENCY_HIGH, TEMP, {}).action)
    rig = Rig()

    entries = rig.check(T0, [latency], calm=True)

    assert rig.facts == HaltFacts() and rig.machine.state == "FLAT" and entries == ()


# --- E5 manual reset ----------------------------------------------------------------------------
def test_e5_manual_reset_records_who_why_previous_reason_and_context():
    rig = Rig()
    rig.raise_(T0, ReasonCode.EQUITY_BELOW_80, MANUAL)
    context = {"account": {"equity_usd": "79"}, "market": {"mark": "100000"}}

    (entry,), denial = rig.reset(T0 + 10 * MIN, "  topped up the account  ", "alice", context)

    assert denial is None
    assert rig.phase is HaltPhase.NORMAL and rig.facts.reset_at_ms == T0 + 10 * MIN
    assert entry.event is HaltLogEvent.RESET
    assert (entry.reason, entry.kind) == (ReasonCode.EQUITY_BELOW_80, MANUAL)
    assert (entry.who, entry.why) == ("alice", "topped up the account")
    assert entry.figures["previous_reasons"] == "EQUITY_BELOW_80"
    assert entry.figures["halted_for_ms"] == 10 * MIN
    assert entry.context == context


@pytest.mark.parametrize(
    ("why", "who", "field"),
    [("", "alice", "reason"), ("   ", "alice", "reason"), ("ok", "", "who"), ("ok", "  ", "who")],
)
def test_e5_manual_reset_refuses_an_empty_reason_or_name_and_records_the_refusal(why, who, field):
    rig = Rig()
    rig.raise_(T0, ReasonCode.EQUITY_BELOW_80, MANUAL)

    (entry,), denial = rig.reset(T0 + MIN, why, who)

    assert denial.reason is ReasonCode.RESET_REASON_MISSING and denial.figures["field"] == field
    assert rig.machine.state == "HALT"  # still halted
    assert (
        entry.event is HaltLogEvent.RESET_REFUSED
        and "RESET_REASON_MISSING" in entry.figures["denial"]
    )


def test_e5_manual_reset_refuses_when_not_halted():
    (entry,), denial = Rig().reset(T0, "why", "alice")

    assert denial.reason is ReasonCode.NOT_HALTED
    assert entry.event is HaltLogEvent.RESET_REFUSED


def test_e5_reset_never_clears_a_condition_that_still_holds():
    # Equity is $79 (0.00079 BTC x 100,000) and stays there: reset, then the next check
    # halts again at once and its log entry says the condition still holds after the reset.
    checker = EmergencyChecker()
    checker.on_mark(T0, D(100_000))
    poor = AccountSnapshot(T0, D("0.00079"))
    rig = Rig()
    report = checker.check(T0, poor, None)
    rig.check(T0, report.findings, report.calm)
    assert rig.facts.kind is MANUAL

    rig.reset(T0 + MIN, "I think it is fine", "bob")
    report = checker.check(T0 + MIN + S, poor, None)
    entries = rig.check(T0 + MIN + S, report.findings, report.calm)

    assert rig.phase is HaltPhase.HALT and rig.facts.reasons == (ReasonCode.EQUITY_BELOW_80,)
    (entry,) = entries
    assert entry.event is HaltLogEvent.RAISED
    assert entry.figures["still_holds_after_reset"] is True
    assert entry.figures["reset_at_ms"] == T0 + MIN


def test_e5_reset_with_the_condition_gone_stays_normal():
    rig = Rig()
    rig.raise_(T0, ReasonCode.BALANCE_ANOMALY, MANUAL)
    rig.reset(T0 + MIN, "wallet answer fixed", "bob")

    entries = rig.check(T0 + MIN + S, [], calm=True)

    # the reset marker is cleared after one check
    assert rig.facts == HaltFacts() and rig.phase is HaltPhase.NORMAL and entries == ()


# --- persistence --------------------------------------------------------------------------------
def test_i4_halt_facts_round_trip_through_dict():
    facts = HaltFacts(TEMP, (ReasonCode.DROP_1M, ReasonCode.WS_DEGRADED_TIMEOUT), T0, T0 + MIN)

    data = facts.to_dict()

    assert data == {
        "kind": "temporary",
        "reasons": ["DROP_1M", "WS_DEGRADED_TIMEOUT"],
        "since_ms": T0,
        "calm_since_ms": T0 + MIN,
        "cooldown_until_ms": None,
        "reset_at_ms": None,
    }
    assert HaltFacts.from_dict(data) == facts


def test_e4_the_phase_is_the_main_machines_state_never_a_second_copy():
    rig = drop_halt()
    for state, phase in (
        ("HALT", HaltPhase.HALT),
        ("COOLDOWN", HaltPhase.COOLDOWN),
        ("FLAT", HaltPhase.NORMAL),
        ("IN_POSITION", HaltPhase.NORMAL),
    ):
        assert HaltPhase.of(state) is phase
    assert rig.view.phase is HaltPhase.HALT and not hasattr(rig.facts, "phase")


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
    rig = Rig()
    for t, kind, calm in checks(pattern):
        was_manual = rig.phase is HaltPhase.HALT and rig.facts.kind is MANUAL
        findings = [halt(REASON[kind], kind, {})] if kind else []
        rig.check(t, findings, calm)
        if was_manual:
            assert rig.phase is HaltPhase.HALT and rig.facts.kind is MANUAL


@given(segments)
def test_e4_property_temporary_halt_lifts_only_after_5_calm_minutes_via_cooldown(pattern):
    rig = Rig()
    calm_since = None  # the test's own count of the current calm run
    cooldown_started = None
    for t, kind, calm in checks(pattern):
        before_phase, before_kind = rig.phase, rig.facts.kind
        findings = [halt(REASON[kind], kind, {})] if kind else []
        rig.check(t, findings, calm)
        tick_calm = calm and not findings
        calm_since = (calm_since if calm_since is not None else t) if tick_calm else None
        if before_phase is HaltPhase.HALT and rig.phase is not HaltPhase.HALT:
            assert before_kind is TEMP
            assert rig.phase is HaltPhase.COOLDOWN  # never straight to NORMAL
            assert calm_since is not None and t - calm_since >= CALM_WINDOW_MS
            cooldown_started = t
        if before_phase is HaltPhase.COOLDOWN and rig.phase is HaltPhase.NORMAL:
            assert cooldown_started is not None and t - cooldown_started >= COOLDOWN_MS
        if rig.phase is HaltPhase.HALT:
            assert rig.facts.kind is not None and rig.facts.reasons
            if rig.facts.kind is TEMP:  # the calm run the halt counts is exactly the test's own
                assert rig.facts.calm_since_ms == calm_since
