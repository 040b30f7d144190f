"""Machine state is saved and restored exactly; a corrupt stored state is refused (SPEC I4)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import MainState, StopStatus
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.persistence import (
    CorruptMachineState,
    restore_machines,
    save_machines,
    validate_machines,
)
from accountbuilder.machines.stop_status import StopStatusMachine

CONSISTENT = [
    (m.value, s.value)
    for m in MainState
    for s in StopStatus
    if not (m is MainState.FLAT and s is not StopStatus.NO_POSITION)
]


@given(st.sampled_from(CONSISTENT))
def test_i4_saved_machines_restore_to_the_same_states(pair):
    main_state, stop_state = pair
    doc = save_machines(
        TradingMachine(start_value=main_state), StopStatusMachine(start_value=stop_state)
    )

    main, stop = restore_machines(json.loads(json.dumps(doc)))

    assert (main.state, stop.state) == pair


def test_i4_restored_machine_keeps_working_from_the_restored_state():
    from tests.unit.machines.cases import ctx

    doc = save_machines(TradingMachine(start_value="HALT"), StopStatusMachine(start_value="ACTIVE"))
    main, stop = restore_machines(doc)

    stop.fire("stop_ended", ctx(position_contracts=5))
    main.fire("reset", ctx(reset_reason="checked", position_contracts=5))

    assert (main.state, stop.state) == ("IN_POSITION", "MISSING")


def _good() -> dict:
    return save_machines(
        TradingMachine(start_value="IN_POSITION"), StopStatusMachine(start_value="ACTIVE")
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("checksum"), "lacks checksum"),
        (lambda d: d.update(main="IN_POSTION"), "main state 'IN_POSTION' is not one of"),
        (lambda d: d.update(stop="GONE"), "stop_status 'GONE' is not one of"),
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d.update(main="FLAT"), "fails its checksum"),
        (lambda d: d.update(checksum="0" * 64), "fails its checksum"),
    ],
    ids=[
        "missing-checksum",
        "unknown-main",
        "unknown-stop",
        "future-version",
        "edited-state",
        "bad-checksum",
    ],
)
def test_i4_corrupt_stored_state_is_refused_with_a_clear_error(mutate, message):
    doc = _good()
    mutate(doc)

    with pytest.raises(CorruptMachineState, match=message):
        restore_machines(doc)


def test_i4_contradictory_state_flat_with_live_stop_is_refused():
    doc = save_machines(TradingMachine(start_value="FLAT"), StopStatusMachine(start_value="ACTIVE"))

    with pytest.raises(
        CorruptMachineState, match="contradictory: main FLAT with stop_status ACTIVE"
    ):
        validate_machines(doc)


@pytest.mark.parametrize("doc", [None, [], "IN_POSITION", 3])
def test_i4_non_mapping_state_is_refused(doc):
    with pytest.raises(CorruptMachineState, match="not a mapping"):
        validate_machines(doc)
