"""Report figures (runner/reporting/summary.py): outcome by SPEC H2/E5, targets, halts."""

from __future__ import annotations

import numpy as np

from accountbuilder.domain.enums import HaltKind, Outcome
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder.emergency.halts import HaltPhase, HaltState
from accountbuilder_runner.reporting.collector import Collector, EquityPath
from accountbuilder_runner.reporting.summary import (
    first_at_or_above,
    halts_by_reason,
    outcome,
)

DAY = 86_400_000
T0 = 1_609_459_200_000  # 2021-01-01T00:00:00Z
NORMAL = HaltState()


def manual(reason=ReasonCode.EQUITY_BELOW_80, since=T0 + DAY):
    return HaltState(HaltPhase.HALT, HaltKind.MANUAL, (reason,), since_ms=since)


def test_h2_success_when_1000_is_reached_within_18_months():
    # reached on day 300 (< 548): SUCCESS, even though the data runs 700 days
    verdict = outcome(NORMAL, T0 + 300 * DAY, T0, T0 + 700 * DAY)
    assert verdict.outcome is Outcome.SUCCESS and "2021-10-28" in verdict.why


def test_h2_failure_after_18_months_without_1000():
    # 548 days (18 months, rounded up) pass without $1,000 and without a manual halt
    assert outcome(NORMAL, None, T0, T0 + 548 * DAY).outcome is Outcome.FAILURE
    assert outcome(NORMAL, None, T0, T0 + 547 * DAY).outcome is Outcome.RUNNING


def test_h2_failure_halt_reason_is_failure_not_halted():
    halt = manual(ReasonCode.EIGHTEEN_MONTH_FAILURE)
    assert outcome(halt, None, T0, T0 + 600 * DAY).outcome is Outcome.FAILURE


def test_e5_run_ending_in_a_manual_halt_is_halted():
    verdict = outcome(manual(), None, T0, T0 + 30 * DAY)
    assert verdict.outcome is Outcome.HALTED
    assert verdict.why == "manual HALT since 2021-01-02T00:00:00Z: EQUITY_BELOW_80"


def test_e4_temporary_halt_or_cooldown_at_the_end_is_running():
    temporary = HaltState(HaltPhase.HALT, HaltKind.TEMPORARY, (ReasonCode.DROP_1M,), since_ms=T0)
    cooldown = HaltState(
        HaltPhase.COOLDOWN, reasons=(ReasonCode.DROP_1M,), cooldown_until_ms=T0 + DAY
    )
    assert outcome(temporary, None, T0, T0 + DAY).outcome is Outcome.RUNNING
    assert outcome(cooldown, None, T0, T0 + DAY).outcome is Outcome.RUNNING


def test_h2_reaching_200_or_1000_counts_only_while_the_account_could_trade():
    # equity 150, 210, 1100 at days 1..3; a manual halt on day 2: 210 counts, 1100 does not
    path = EquityPath(
        np.array([T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY]),
        np.array([1.0, 1.0, 1.0]),
        np.array([150.0, 210.0, 1100.0]),
    )
    assert first_at_or_above(path, 200, until_ms=T0 + 2 * DAY) == T0 + 2 * DAY
    assert first_at_or_above(path, 1000, until_ms=T0 + 2 * DAY) is None
    assert first_at_or_above(path, 1000) == T0 + 3 * DAY


def test_i2_halts_by_reason_counts_raised_and_escalated_only():
    c = Collector()
    e = HaltLogEvent
    c.halts = [
        HaltLogEntry(T0, e.RAISED, ReasonCode.DROP_1M, HaltKind.TEMPORARY),
        HaltLogEntry(T0 + 1, e.CALM_STARTED, ReasonCode.DROP_1M, HaltKind.TEMPORARY),
        HaltLogEntry(T0 + 2, e.ESCALATED, ReasonCode.EQUITY_BELOW_80, HaltKind.MANUAL),
        HaltLogEntry(T0 + 3, e.RAISED, ReasonCode.DROP_1M, HaltKind.MANUAL),
    ]
    assert halts_by_reason(c) == {"DROP_1M": 2, "EQUITY_BELOW_80": 1}
