"""Diagram export of both machines, derived from the machine classes (never hand-written).

Mermaid, Graphviz DOT and a Markdown table are produced here as text; rendering SVG/PNG needs
the Graphviz ``dot`` binary and is done by the runner.
"""

from __future__ import annotations

from accountbuilder.machines.base import GuardedMachine, TransitionInfo
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine

MACHINES: tuple[type[GuardedMachine], ...] = (TradingMachine, StopStatusMachine)


def _label(t: TransitionInfo) -> str:
    return f"{t.event} [{' and '.join(t.guards)}]" if t.guards else t.event


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
    lines = ["| machine | source | event | guards | target |", "|---|---|---|---|---|"]
    for machine in MACHINES:
        for t in machine.transition_table():
            guards = ", ".join(t.guards) or "—"
            lines.append(f"| {t.machine} | {t.source} | {t.event} | {guards} | {t.target} |")
    return "\n".join(lines) + "\n"


def state_machine_doc() -> str:
    """The content of ``docs/state-machine.md`` (checked against the code by a test)."""
    return (
        "# State machines\n\n"
        "Generated from the machine classes by `accountbuilder diagram --format md`; a test fails\n"
        "when this file no longer matches the code. Regenerate with\n"
        "`accountbuilder diagram --format md --out docs/state-machine.md`.\n\n"
        "Two machines run side by side: `main` (the trading flow) and `stop_status` (SPEC G8),\n"
        "which keeps supervising the stop while `main` is in HALT or COOLDOWN (SPEC E7).\n"
        "Guards are in `src/accountbuilder/machines/guards.py`.\n\n"
        "```mermaid\n" + to_mermaid() + "```\n\n"
        "## Transitions\n\n" + to_markdown_table()
    )
