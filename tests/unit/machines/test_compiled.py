"""The compiled transition table agrees with python-statemachine (issue 19; SPEC G8, E4, E7).

For both machines, every declared (state, event) and every combination of its guards'
outcomes, the compiled ``fire`` and python-statemachine's own ``fire_declared`` must take the
same branch: the same result (target, effects, or every refusal with its figures), the same
state after, and the same listener calls. An undeclared event raises in both.
"""

from __future__ import annotations

from itertools import product

import pytest

from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.machines.base import EventNotAllowed, GuardedMachine
from accountbuilder.machines.context import MachineContext
from accountbuilder.machines.listeners import TransitionRecorder
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine

MACHINES = (TradingMachine, StopStatusMachine)
CTX = MachineContext(now_ms=1_000)


def _cases():
    for cls in MACHINES:
        for (state, event), branches in sorted(cls.compiled().items()):
            names = sorted({g for b in branches for g in b.guards})
            for outcome in product((True, False), repeat=len(names)):
                yield cls, state, event, dict(zip(names, outcome, strict=True))


def _guards(outcome: dict[str, bool]):
    def guard(name: str, passes: bool):
        return lambda ctx: None if passes else Denial(ReasonCode.INVALID_INPUT, {"guard": name})

    return {name: guard(name, passes) for name, passes in outcome.items()}


def _machine(cls: type[GuardedMachine], state: str, outcome: dict[str, bool]):
    recorder = TransitionRecorder()
    machine = cls(start_value=state, listeners=[recorder])
    machine.guard_table = _guards(outcome)
    return machine, recorder


CASES = list(_cases())


@pytest.mark.parametrize(
    ("cls", "state", "event", "outcome"),
    CASES,
    ids=[
        f"{c.machine_name}-{s}-{e}-{''.join('1' if v else '0' for v in o.values())}"
        for c, s, e, o in CASES
    ],
)
def test_g8_e4_compiled_table_takes_the_declared_branch(cls, state, event, outcome):
    declared, seen_declared = _machine(cls, state, outcome)
    compiled, seen_compiled = _machine(cls, state, outcome)

    expected = declared.fire_declared(event, CTX)
    got = compiled.fire(event, CTX)

    assert got == expected
    assert compiled.state == declared.state
    assert seen_compiled.seen == seen_declared.seen


def test_every_declared_transition_is_in_the_compiled_table():
    for cls in MACHINES:
        rows = cls.transition_table()
        compiled = [(k, b.target) for k, branches in cls.compiled().items() for b in branches]
        assert sorted(compiled) == sorted(((t.source, t.event), t.target) for t in rows)
    cased = {(c.machine_name, state, event) for c, state, event, _ in CASES}
    assert cased == {
        (c.machine_name, t.source, t.event) for c in MACHINES for t in c.transition_table()
    }


@pytest.mark.parametrize("cls", MACHINES)
def test_an_undeclared_event_raises_in_both(cls):
    state = cls.state_values()[0]
    event = next(e for e in cls.event_names() if (state, e) not in cls.compiled())
    for fire in ("fire", "fire_declared"):
        machine = cls(start_value=state)
        with pytest.raises(EventNotAllowed):
            getattr(machine, fire)(event, CTX)
