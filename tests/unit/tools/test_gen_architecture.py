"""``tools/gen_architecture.py``: the lifecycle diagrams in docs/architecture.md are generated
from the machine classes and the order lifecycle table (issue 13), and only between markers."""

from __future__ import annotations

import pytest
from tools import gen_architecture

from accountbuilder.domain.lifecycle import TRANSITIONS
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine


def _doc(tmp_path, monkeypatch, text: str):
    (tmp_path / "docs").mkdir()
    (tmp_path / gen_architecture.OUTPUT).write_text(text, encoding="utf-8")
    monkeypatch.setattr(gen_architecture, "ROOT", tmp_path)


def test_the_section_between_the_markers_is_rebuilt_and_the_prose_around_it_kept(
    tmp_path, monkeypatch
):
    _doc(
        tmp_path,
        monkeypatch,
        f"# Arch\n\nbefore\n\n{gen_architecture.BEGIN}\nstale diagram\n{gen_architecture.END}\n\nafter\n",
    )

    text = gen_architecture.render()

    assert text.startswith("# Arch\n\nbefore\n\n")
    assert text.endswith(f"{gen_architecture.END}\n\nafter\n")
    assert "stale diagram" not in text
    for machine in (TradingMachine, StopStatusMachine):
        for t in machine.transition_table():
            assert f"    {t.source} --> {t.target} : {t.event}" in text
    for (source, _event), target in TRANSITIONS.items():
        if source is not target:
            assert f"    {source.value} --> {target.value} : " in text


def test_a_document_without_its_markers_is_refused_by_name(tmp_path, monkeypatch):
    _doc(tmp_path, monkeypatch, "# Arch\n\nno markers here\n")

    with pytest.raises(SystemExit, match="architecture.md: the markers"):
        gen_architecture.render()
