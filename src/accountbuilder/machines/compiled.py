"""The machines' transition tables compiled from their python-statemachine declarations.

python-statemachine stays the declaration (the class bodies of ``main`` and ``stop_status``),
the diagram and the per-edge tests; this module reads every declared transition once per
class (``GuardedMachine.transition_table``) into a dict ``(source, event) → branches`` that
the hot path walks directly: the branches of an event in declaration order, each with its
guards (all must pass; the first refusal ends the branch, as python-statemachine does) and its
effects. ``tests/unit/machines/test_compiled.py`` checks that both take the same branch, with
the same effects, refusals and listener calls, for every (state, event, guard outcome).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accountbuilder.machines.effects import Effect

if TYPE_CHECKING:
    from accountbuilder.machines.base import GuardedMachine


@dataclass(frozen=True, slots=True)
class Branch:
    """One declared transition of an event from a state."""

    target: str
    guards: tuple[str, ...]
    effects: tuple[Effect, ...]


Table = Mapping[tuple[str, str], tuple[Branch, ...]]


def compile_table(machine: type[GuardedMachine]) -> Table:
    """``(source, event) → branches`` in declaration order, from the machine class."""
    table: dict[tuple[str, str], list[Branch]] = {}
    for t in machine.transition_table():
        branch = Branch(t.target, t.guards, tuple(Effect(e) for e in t.effects))
        table.setdefault((t.source, t.event), []).append(branch)
    return {key: tuple(branches) for key, branches in table.items()}
