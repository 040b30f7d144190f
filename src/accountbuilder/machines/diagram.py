"""Diagram export of the lifecycles, derived from the objects themselves (never hand-written).

The main/halt machine and the stop_status machine come from their python-statemachine
classes; the order lifecycle from its table (``domain.lifecycle.TRANSITIONS``). Mermaid,
Graphviz DOT and Markdown tables are produced here as text; rendering SVG/PNG needs the
Graphviz ``dot`` binary and is done by the runner.
"""

from __future__ import annotations

from collections import defaultdict

from accountbuilder.domain.lifecycle import TRANSITIONS, OrderPhase
from accountbuilder.machines.base import GuardedMachine, TransitionInfo
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine

MACHINES: tuple[type[GuardedMachine], ...] = (TradingMachine, StopStatusMachine)


def _label(t: TransitionInfo) -> str:
    label = f"{t.event} [{' and '.join(t.guards)}]" if t.guards else t.event
    return f"{label} / {', '.join(t.effects)}" if t.effects else label


def _initial(machine: type[GuardedMachine]) -> str:
    return machine.initial_state.value


def to_mermaid() -> str:
    """Both machines as one Mermaid ``stateDiagram-v2`` (a composite state per machine)."""
    lines = ["stateDiagram-v2"]
    for machine in MACHINES:
        name = machine.machine_name
        lines.append(f"    state {name} {{")
        lines.append(f"        [*] --> {name}_{_initial(machine)}")
        for value in machine.state_values():
            lines.append(f'        state "{value}" as {name}_{value}')
        for t in machine.transition_table():
            lines.append(f"        {name}_{t.source} --> {name}_{t.target} : {_label(t)}")
        lines.append("    }")
    return "\n".join(lines) + "\n"


def to_dot() -> str:
    """Both machines as one Graphviz digraph with a cluster per machine."""
    lines = [
        "digraph accountbuilder {",
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
    ]
    for machine in MACHINES:
        name = machine.machine_name
        lines.append(f"    subgraph cluster_{name} {{")
        lines.append(f'        label="{name}";')
        lines.append(f'        {name}__start [shape=point, label=""];')
        for value in machine.state_values():
            lines.append(f'        {name}_{value} [label="{value}"];')
        lines.append(f"        {name}__start -> {name}_{_initial(machine)};")
        for t in machine.transition_table():
            lines.append(f'        {name}_{t.source} -> {name}_{t.target} [label="{_label(t)}"];')
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_markdown_table() -> str:
    """Every transition as a Markdown table row."""
    lines = [
        "| machine | source | event | guards | target | effects |",
        "|---|---|---|---|---|---|",
    ]
    for machine in MACHINES:
        for t in machine.transition_table():
            guards = ", ".join(t.guards) or "—"
            effects = ", ".join(t.effects) or "—"
            lines.append(
                f"| {t.machine} | {t.source} | {t.event} | {guards} | {t.target} | {effects} |"
            )
    return "\n".join(lines) + "\n"


def machine_mermaid(machine: type[GuardedMachine]) -> str:
    """One machine as its own Mermaid ``stateDiagram-v2``."""
    name = machine.machine_name
    lines = ["stateDiagram-v2", f"    [*] --> {_initial(machine)}"]
    for t in machine.transition_table():
        lines.append(f"    {t.source} --> {t.target} : {_label(t)}")
    return "\n".join(lines).replace("stateDiagram-v2", f"stateDiagram-v2\n    %% {name}") + "\n"


def order_lifecycle_mermaid() -> str:
    """The order lifecycle table as a Mermaid diagram (events merged per edge)."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (source, event), target in TRANSITIONS.items():
        if source is not target:
            edges[(source.value, target.value)].append(event.value)
    lines = ["stateDiagram-v2", "    %% order lifecycle", f"    [*] --> {OrderPhase.INTENT.value}"]
    for (source, target), events in edges.items():
        lines.append(f"    {source} --> {target} : {', '.join(events)}")
    return "\n".join(lines) + "\n"


def order_lifecycle_table() -> str:
    """Every (phase, event) → phase of the order lifecycle, self-moves included."""
    lines = ["| phase | event | to |", "|---|---|---|"]
    for (source, event), target in TRANSITIONS.items():
        to = "(stays)" if target is source else target.value
        lines.append(f"| {source.value} | {event.value} | {to} |")
    return "\n".join(lines) + "\n"


def lifecycles_section() -> str:
    """The generated part of ``docs/architecture.md``: the three lifecycles as diagrams."""
    return (
        "### Main and halt (`machines/main.py`)\n\n"
        "```mermaid\n" + machine_mermaid(TradingMachine) + "```\n\n"
        "### Stop protection (`machines/stop_status.py`)\n\n"
        "```mermaid\n" + machine_mermaid(StopStatusMachine) + "```\n\n"
        "### Every order (`domain/lifecycle.py`)\n\n"
        "```mermaid\n" + order_lifecycle_mermaid() + "```\n"
    )


def state_machine_doc() -> str:
    """The content of ``docs/state-machine.md`` (checked against the code by a test)."""
    return (
        "# State machines\n\n"
        "Generated from the machine classes by `accountbuilder diagram --format md`; a test fails\n"
        "when this file no longer matches the code. Regenerate with\n"
        "`accountbuilder diagram --format md --out docs/state-machine.md`.\n\n"
        "Two machines run side by side: `main` (the trading flow, and the one halt machine:\n"
        "HALT and COOLDOWN are decided here) and `stop_status` (SPEC G6-G8), which owns the\n"
        "protection of an open position and keeps supervising it while `main` is in HALT or\n"
        "COOLDOWN (SPEC E7). A label reads `event [guards] / effects`: the guards (in\n"
        "`src/accountbuilder/machines/guards.py`) choose the branch, the effects are what the core\n"
        "then sends. Every order moves through the order lifecycle table below.\n\n"
        "```mermaid\n" + to_mermaid() + "```\n\n"
        "## Transitions\n\n" + to_markdown_table() + "\n"
        "## The order lifecycle\n\n"
        "```mermaid\n" + order_lifecycle_mermaid() + "```\n\n" + order_lifecycle_table()
    )
