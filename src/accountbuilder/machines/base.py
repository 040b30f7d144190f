"""Common behaviour of both machines: guarded firing with reasons, and the transition table.

``fire(event, ctx)`` returns ``Moved`` (with the effects the transition taken asks for) or
``Refused`` (every guard that refused, with figures). An event that has no transition from
the current state is a bug and raises ``EventNotAllowed``; ``must`` also raises
``UnexpectedRefusal`` where a refusal means the caller and the machine disagree.

Effects are how a machine that decides tells the core what to do: a transition declared with
``on="place_stop"`` adds ``Effect.PLACE_STOP`` to the ``Moved`` it returns, and the core turns
each effect into commands. Effects never run I/O themselves.

``fire`` walks the table compiled from the declarations (``machines.compiled``: a few µs);
``fire_declared`` sends the event through python-statemachine itself (the reference the
compiled table is tested against on every state, event and guard outcome).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from statemachine import StateMachine
from statemachine.exceptions import TransitionNotAllowed

from accountbuilder.domain.reasons import Denial
from accountbuilder.machines import guards
from accountbuilder.machines.compiled import Branch, Table, compile_table
from accountbuilder.machines.context import MachineContext
from accountbuilder.machines.effects import Effect


class UnexpectedRefusal(Exception):
    """A transition the caller relied on was refused by every guard (a bug: never dropped)."""

    def __init__(self, refused: Refused):
        super().__init__(str(refused))
        self.refused = refused


class EventNotAllowed(Exception):
    """An event was fired in a state that has no transition for it (a bug in the caller)."""

    def __init__(self, machine: str, event: str, state: str):
        super().__init__(f"{machine}: event {event!r} is not allowed in state {state}")
        self.machine, self.event, self.state = machine, event, state


@dataclass(frozen=True, slots=True)
class Moved:
    machine: str
    event: str
    source: str
    target: str
    effects: tuple[Effect, ...] = ()
    accepted: bool = True

    @property
    def changed(self) -> bool:
        return self.source != self.target


@dataclass(frozen=True, slots=True)
class Refused:
    """Every candidate transition's guard refused; ``denials`` says why, with figures."""

    machine: str
    event: str
    source: str
    denials: tuple[Denial, ...] = field(default_factory=tuple)
    accepted: bool = False

    def __str__(self) -> str:
        why = "; ".join(str(d) for d in self.denials)
        return f"{self.machine}: {self.event} refused in {self.source}: {why}"


TransitionResult = Moved | Refused


@dataclass(frozen=True, slots=True)
class TransitionInfo:
    """One declared transition, derived from the machine class (for tests and diagrams)."""

    machine: str
    source: str
    event: str
    target: str
    guards: tuple[str, ...]
    effects: tuple[str, ...] = ()


def _guard_method(name: str):
    def method(self, ctx: MachineContext) -> bool:
        denial = self.guard_table[name](ctx)
        if denial is not None:
            self._refusals.append(denial)
        return denial is None

    method.__name__ = name
    method.__doc__ = guards.GUARDS[name].__doc__
    return method


_EFFECT_NAMES = frozenset(e.value for e in Effect)


def _effect_method(effect: Effect):
    def method(self, *args, **kwargs) -> None:
        self._effects.append(effect)

    method.__name__ = effect.value
    method.__doc__ = f"Ask the core for {effect.value} (see machines.effects)."
    return method


class GuardedMachine(StateMachine):
    """A ``StateMachine`` whose conditions are the pure guards of ``machines.guards``."""

    machine_name = "machine"

    def __init__(self, *args, **kwargs):
        self._refusals: list[Denial] = []
        self._effects: list[Effect] = []
        self.guard_table = guards.GUARDS  # name → pure guard (tests may swap in their own)
        self._audit = tuple(kwargs.get("listeners") or ())
        super().__init__(*args, **kwargs)

    @property
    def state(self) -> str:
        return str(self.current_state_value)

    def allows(self, event: str) -> bool:
        """True when the current state declares a transition for ``event`` (guards aside)."""
        return (self.current_state_value, event) in self._declared()

    def add_listener(self, *listeners):
        """Attach listeners later (the notifier); the compiled path calls them too."""
        self._audit = (*self._audit, *listeners)
        return super().add_listener(*listeners)

    @classmethod
    def compiled(cls) -> Table:
        """The transition table compiled from the declarations, once per class."""
        table = cls.__dict__.get("_compiled_table")
        if table is None:
            table = compile_table(cls)
            cls._compiled_table = table
        return table

    @classmethod
    def _declared(cls) -> frozenset[tuple[str, str]]:
        """Every declared ``(source state, event)`` pair, computed once per class."""
        declared = cls.__dict__.get("_declared_pairs")
        if declared is None:
            declared = frozenset((t.source, t.event) for t in cls.transition_table())
            cls._declared_pairs = declared
        return declared

    def fire(self, event: str, ctx: MachineContext) -> TransitionResult:
        """Fire ``event``; return ``Moved`` or ``Refused``; raise ``EventNotAllowed`` if undeclared."""
        source = self.state
        branches = self.compiled().get((source, event))
        if branches is None:
            raise EventNotAllowed(self.machine_name, event, source)
        refusals: list[Denial] = []
        table = self.guard_table
        for branch in branches:
            for name in branch.guards:
                denial = table[name](ctx)
                if denial is not None:
                    refusals.append(denial)
                    break
            else:
                self._take(event, source, branch)
                return Moved(self.machine_name, event, source, branch.target, branch.effects)
        return Refused(self.machine_name, event, source, tuple(refusals))

    def _take(self, event: str, source: str, branch: Branch) -> None:
        self.current_state_value = branch.target
        if self._audit:
            states = self.states_map
            for listener in self._audit:
                listener.after_transition(
                    event=event, source=states[source], target=states[branch.target]
                )

    def fire_declared(self, event: str, ctx: MachineContext) -> TransitionResult:
        """``fire`` through python-statemachine's own engine (the compiled table's reference)."""
        source = self.state
        if not self.allows(event):
            raise EventNotAllowed(self.machine_name, event, source)
        self._refusals, self._effects = [], []
        try:
            self.send(event, ctx=ctx)
        except TransitionNotAllowed:
            return Refused(self.machine_name, event, source, tuple(self._refusals))
        return Moved(self.machine_name, event, source, self.state, tuple(self._effects))

    def must(self, event: str, ctx: MachineContext) -> Moved:
        """Fire an event the caller knows must move; a refusal raises ``UnexpectedRefusal``."""
        result = self.fire(event, ctx)
        if isinstance(result, Refused):
            raise UnexpectedRefusal(result)
        return result

    @classmethod
    def transition_table(cls) -> list[TransitionInfo]:
        """Every declared transition, in declaration order."""
        rows = []
        for state in cls.states:
            for t in state.transitions:
                conds = tuple(str(c) for c in t.cond)
                effects = tuple(str(a) for a in t.on if str(a) in _EFFECT_NAMES)
                rows.append(
                    TransitionInfo(
                        cls.machine_name, state.value, t.event, t.target.value, conds, effects
                    )
                )
        return rows

    @classmethod
    def state_values(cls) -> list[str]:
        return [s.value for s in cls.states]

    @classmethod
    def event_names(cls) -> list[str]:
        return sorted({t.event for t in cls.transition_table()})


for _name in guards.GUARDS:
    setattr(GuardedMachine, _name, _guard_method(_name))
for _effect in Effect:
    setattr(GuardedMachine, _effect.value, _effect_method(_effect))
