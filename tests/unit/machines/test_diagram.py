"""The diagram is derived from the machines, and docs/state-machine.md matches the code."""

from __future__ import annotations

from pathlib import Path

from accountbuilder.domain.enums import MainState, StopStatus
from accountbuilder.machines.diagram import state_machine_doc, to_dot, to_markdown_table, to_mermaid
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine

DOC = Path(__file__).resolve().parents[3] / "docs" / "state-machine.md"


def test_mermaid_lists_every_state_of_both_machines():
    text = to_mermaid()

    for state in MainState:
        assert f'"{state.value}" as main_{state.value}' in text
    for state in StopStatus:
        assert f'"{state.value}" as stop_status_{state.value}' in text


def test_every_transition_appears_in_each_format():
    mermaid, dot, table = to_mermaid(), to_dot(), to_markdown_table()
    for machine in (TradingMachine, StopStatusMachine):
        for t in machine.transition_table():
            name = t.machine
            assert f"{name}_{t.source} --> {name}_{t.target} : {t.event}" in mermaid
            assert f'{name}_{t.source} -> {name}_{t.target} [label="{t.event}' in dot
            assert f"| {name} | {t.source} | {t.event} |" in table


def test_g8_guarded_edges_show_their_guards_and_effects():
    assert "tick [backoff_elapsed] / place_stop" in to_mermaid()
    assert "tick [unprotected_too_long] / close_and_halt" in to_mermaid()


def test_docs_state_machine_md_matches_the_code():
    assert DOC.read_text(encoding="utf-8") == state_machine_doc(), (
        "docs/state-machine.md is stale: run "
        "`accountbuilder diagram --format md --out docs/state-machine.md`"
    )
