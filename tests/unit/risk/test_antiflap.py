"""B5 anti-flap."""

from __future__ import annotations

from accountbuilder.domain.enums import Stage
from accountbuilder.risk.antiflap import AntiFlap

MIN = 60_000
T0 = 1_767_225_600_000


def _observe(flap: AntiFlap, *steps: tuple[int, Stage]) -> AntiFlap:
    for minute, stage in steps:
        flap = flap.observe(stage, T0 + minute * MIN)
    return flap


def test_b5_first_observation_is_not_a_change():
    flap = _observe(AntiFlap(), (0, Stage.S2))

    assert flap.changes_within_hour(T0) == 0 and flap.last_stage is Stage.S2


def test_b5_two_changes_within_an_hour_are_allowed():
    # S1 → S2 (10 min) → S1 (20 min): 2 changes
    flap = _observe(AntiFlap(), (0, Stage.S1), (10, Stage.S2), (20, Stage.S1))

    assert flap.changes_within_hour(T0 + 20 * MIN) == 2
    assert not flap.tripped(T0 + 20 * MIN)


def test_b5_third_change_within_an_hour_trips():
    flap = _observe(AntiFlap(), (0, Stage.S1), (10, Stage.S2), (20, Stage.S1), (59, Stage.S2))

    assert flap.tripped(T0 + 59 * MIN)


def test_b5_changes_older_than_an_hour_do_not_count():
    # changes at 10, 20 and 71 minutes: at 71 the one at 10 is 61 minutes old
    flap = _observe(AntiFlap(), (0, Stage.S1), (10, Stage.S2), (20, Stage.S1), (71, Stage.S2))

    assert flap.changes_within_hour(T0 + 71 * MIN) == 2
    assert not flap.tripped(T0 + 71 * MIN)


def test_b5_same_stage_again_is_not_a_change():
    flap = _observe(AntiFlap(), (0, Stage.S1), (1, Stage.S1), (2, Stage.S1))

    assert flap.changes_ms == ()


def test_b5_state_round_trips():
    flap = _observe(AntiFlap(), (0, Stage.S1), (10, Stage.S2))

    assert AntiFlap.from_dict(flap.to_dict()) == flap
