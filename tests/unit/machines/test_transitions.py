"""One named test per declared transition and per guard refusal, plus the meta-test.

Test ids read ``<rule>-<machine>-<source>-<event>-<target>`` (and ``-refused-by-<guard>``).
"""

from __future__ import annotations

import pytest
from tests.unit.machines.cases import PASS, REFUSE, ctx

from accountbuilder.domain.enums import HaltKind
from accountbuilder.machines import EventNotAllowed, Moved, Refused
from accountbuilder.machines.base import GuardedMachine
from accountbuilder.machines.effects import Effect
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine

MACHINES: dict[str, type[GuardedMachine]] = {
    "main": TradingMachine,
    "stop_status": StopStatusMachine,
}


def _key(t) -> tuple[str, str, str, str, str]:
    return (t.machine, t.source, t.event, t.target, "+".join(t.guards))


def _declared() -> dict[tuple[str, str, str, str, str], tuple[str, ...]]:
    """Every declared transition and its effects."""
    return {_key(t): t.effects for m in MACHINES.values() for t in m.transition_table()}


def _declared_guards() -> set[tuple[str, str, str, str, str, str]]:
    return {
        (*_key(t), g) for m in MACHINES.values() for t in m.transition_table() for g in t.guards
    }


def _id(key, rule: str) -> str:
    return f"{rule.replace(' ', '_')}-" + "-".join(key)


@pytest.mark.parametrize(
    ("key", "case"), PASS.items(), ids=[_id(k, c.rule) for k, c in PASS.items()]
)
def test_transition_taken_when_guards_pass(key, case):
    machine_name, source, event, target, _ = key
    machine = MACHINES[machine_name](start_value=source)

    result = machine.fire(event, case.ctx)

    effects = tuple(Effect(e) for e in _declared()[key])
    assert result == Moved(machine_name, event, source, target, effects)
    assert machine.state == target


@pytest.mark.parametrize(
    ("key", "case"),
    REFUSE.items(),
    ids=[_id(k[:5], c.rule) + f"-refused-by-{k[5]}" for k, c in REFUSE.items()],
)
def test_guard_refusal_blocks_transition(key, case):
    machine_name, source, event, target, guards, guard = key
    machine = MACHINES[machine_name](start_value=source)

    result = machine.fire(event, case.ctx)

    if case.lands_in is not None:
        # another branch was taken: not this one (different target or different effects)
        assert isinstance(result, Moved) and result.target == case.lands_in
        assert result.effects == tuple(Effect(e) for e in case.effects)
        assert (result.target, result.effects) != (target, tuple(_declared()[key[:5]]))
    else:
        assert isinstance(result, Refused)
        assert machine.state == source
        assert case.reason in {d.reason for d in result.denials}
        assert str(result).startswith(f"{machine_name}: {event} refused in {source}: ")


def test_meta_every_declared_transition_has_a_pass_test():
    assert set(PASS) == set(_declared())


def test_meta_every_guard_of_every_transition_has_a_refusal_test():
    assert set(REFUSE) == _declared_guards()


def _undeclared_pairs():
    for name, machine in MACHINES.items():
        events = machine.event_names()
        declared = {(t.source, t.event) for t in machine.transition_table()}
        for state in machine.state_values():
            for event in events:
                if (state, event) not in declared:
                    yield name, state, event


@pytest.mark.parametrize(
    ("machine_name", "state", "event"), list(_undeclared_pairs()), ids=lambda v: str(v)
)
def test_every_undeclared_state_event_pair_raises(machine_name, state, event):
    machine = MACHINES[machine_name](start_value=state)

    with pytest.raises(EventNotAllowed, match=f"{event!r} is not allowed in state {state}"):
        machine.fire(event, ctx(position_contracts=10))

    assert machine.state == state


def test_g8_e7_stop_supervision_runs_while_main_is_halted():
    main = TradingMachine(start_value="IN_POSITION")
    stop = StopStatusMachine(start_value="ACTIVE")
    open_ = ctx(position_contracts=40)

    main.fire("halt_raised", open_)
    stop.fire("stop_ended", open_)
    replaced = stop.fire("tick", open_)

    assert main.state == "HALT"
    assert replaced.target == "PENDING" and replaced.effects == (Effect.PLACE_STOP,)


def test_e7_leaving_cooldown_lands_in_the_exchange_state_not_the_pre_halt_state():
    # In position when halted; the stop fired during HALT, so the exchange is flat afterwards.
    main = TradingMachine(start_value="IN_POSITION")
    main.fire("halt_raised", ctx(position_contracts=40))

    main.fire("tick", ctx(halt_kind=HaltKind.TEMPORARY, calm_since_ms=0))
    result = main.fire("tick", ctx(cooldown_until_ms=0, position_contracts=0))

    assert result.target == "FLAT" and result.effects == (Effect.LIFT_HALT,)
