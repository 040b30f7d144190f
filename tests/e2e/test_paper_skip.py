"""Paper trading skips what the core says stands, and its records and daily metrics are those of
ticking every candle (issue 19; SPEC I1-I3, F6): a window of the bundled slice with trades and
the H3 manual HALT, run twice in-process, once with every step ticked."""

from __future__ import annotations

import json
from pathlib import Path

import accountbuilder_runner.paper as paper_module
from accountbuilder_runner.cli import main

WINDOW = ["--speed", "max", "--quiet", "--from", "2021-05-11", "--to", "2021-05-13"]


def _run(state: Path) -> dict[str, list[dict]]:
    main(["run", *WINDOW, "--state", str(state)])
    logs = state.parent / f"{state.stem}-logs"
    return {
        kind: [json.loads(line) for line in (logs / f"{kind}.jsonl").read_text().splitlines()]
        for kind in ("trades", "halts", "decisions", "metrics")
    }


def test_i3_paper_records_and_daily_metrics_are_the_same_with_and_without_skipping(
    tmp_path, monkeypatch
):
    skipping = _run(tmp_path / "skip" / "p.sqlite")
    plan = paper_module.plan_replay
    monkeypatch.setattr(
        paper_module, "plan_replay", lambda *a, **k: plan(*a, **{**k, "skip_idle": False})
    )
    every = _run(tmp_path / "every" / "p.sqlite")

    assert skipping == every
    assert [h["reason"] for h in every["halts"]] == ["EQUITY_BELOW_80"]
    assert len(every["metrics"]) == 4 and every["trades"]
