"""H2 time targets and H3 hard stop."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.domain.enums import Outcome
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.targets import Targets

DAY = 86_400_000
T0 = 1_767_225_600_000


def test_h2_start_time_is_fixed_by_the_first_observation():
    targets = Targets().observe(D(100), T0).observe(D(120), T0 + DAY)

    assert targets.start_ms == T0 and targets.peak_equity_usd == D(120)


def test_h2_review_flag_after_12_months_without_200():
    targets = Targets(T0, D(199))

    assert not targets.assess(D(150), T0 + 364 * DAY).review_required
    assert targets.assess(D(150), T0 + 365 * DAY).review_required


def test_h2_no_review_once_200_was_reached():
    status = Targets(T0, D(200)).assess(D(150), T0 + 400 * DAY)

    assert not status.review_required and status.halt is None


def test_h2_failure_halt_after_18_months_without_1000():
    # 18 months = 548 days (constants.FAILURE_AFTER_DAYS)
    targets = Targets(T0, D(900))

    assert targets.assess(D(900), T0 + 547 * DAY).halt is None
    status = targets.assess(D(900), T0 + 548 * DAY)
    assert status.outcome is Outcome.FAILURE
    assert status.halt is ReasonCode.EIGHTEEN_MONTH_FAILURE


def test_h2_success_at_1000_and_it_sticks():
    targets = Targets(T0).observe(D(1000), T0 + DAY)

    assert targets.success_ms == T0 + DAY
    assert targets.assess(D(950), T0 + 600 * DAY).outcome is Outcome.SUCCESS
    assert Targets(T0).assess(D(1000), T0).outcome is Outcome.SUCCESS


def test_h3_equity_below_80_halts():
    targets = Targets(T0, D(100))

    assert targets.assess(D("79.99"), T0).halt is ReasonCode.EQUITY_BELOW_80
    assert targets.assess(D(80), T0).halt is None


def test_h2_state_round_trips():
    targets = Targets(T0).observe(D(1000), T0 + DAY)

    assert Targets.from_dict(targets.to_dict()) == targets
