"""Backtest and paper reports: ``report.json``, the CSV tables, ``equity.png``, ``report.html``.

``write_report(out_dir, summary)`` writes them all; what each file holds is documented in
docs/backtest.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder_runner.reporting.html import counts_table, render_html, table
from accountbuilder_runner.reporting.summary import Summary
from accountbuilder_runner.reporting.tables import (
    DECISION_COLUMNS,
    HALT_COLUMNS,
    TRADE_COLUMNS,
    decision_rows,
    halt_rows,
    trade_rows,
    write_csv,
)

__all__ = ["ReportFiles", "halt_episodes", "write_report"]


@dataclass(frozen=True, slots=True)
class ReportFiles:
    json: Path
    trades: Path
    halts: Path
    decisions: Path
    png: Path | None
    html: Path


def halt_episodes(entries: Sequence[HaltLogEntry]) -> list[tuple[int, int | None, str]]:
    """``(raised_ms, lifted_ms or None, first reason)`` per HALT, from its raise to LIFTED/RESET."""
    episodes: list[tuple[int, int | None, str]] = []
    start: tuple[int, str] | None = None
    for e in entries:
        if e.event in (HaltLogEvent.RAISED, HaltLogEvent.ESCALATED) and start is None:
            start = (e.ts_ms, e.reason.value)
        elif e.event in (HaltLogEvent.LIFTED, HaltLogEvent.RESET) and start is not None:
            episodes.append((start[0], e.ts_ms, start[1]))
            start = None
    if start is not None:
        episodes.append((start[0], None, start[1]))
    return episodes


def write_report(out_dir: Path, summary: Summary, *, plot: bool = True) -> ReportFiles:
    """Write every report file into ``out_dir`` (created if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    c = summary.collector
    trades, halts = trade_rows(c.closed), halt_rows(c.halts)
    decisions = decision_rows(c.decisions.rows)
    files = ReportFiles(
        out_dir / "report.json",
        out_dir / "trades.csv",
        out_dir / "halts.csv",
        out_dir / "decisions.csv",
        out_dir / "equity.png" if plot else None,
        out_dir / "report.html",
    )
    write_csv(files.trades, TRADE_COLUMNS, trades)
    write_csv(files.halts, HALT_COLUMNS, halts)
    write_csv(files.decisions, DECISION_COLUMNS, decisions)
    figures = summary.to_json()
    files.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if files.png is not None:
        from accountbuilder_runner.reporting.plot import plot_equity  # matplotlib: only if asked

        title = f"{figures.get('data', {}).get('file', '')}  {figures['from']} → {figures['to']}"
        plot_equity(files.png, summary.path, c.closed, halt_episodes(c.halts), title)
    sections = [
        ("Halts (halts.csv)", table(HALT_COLUMNS, halts)),
        ("Halts by reason", counts_table(figures["halts"], "reason")),
        ("Rejected entries by reason", counts_table(figures["rejects"], "reason")),
        ("Trades (trades.csv)", table(TRADE_COLUMNS, trades)),
        ("Data gaps (never filled)", _gaps_html(figures.get("gaps", {}))),
        (
            "Decisions (decisions.csv, identical rejections collapsed)",
            table(DECISION_COLUMNS, decisions, limit=200),
        ),
    ]
    files.html.write_text(render_html(figures, files.png, sections), encoding="utf-8")
    return files


def _gaps_html(gaps: dict) -> str:
    largest = gaps.get("largest")
    if not gaps or not gaps.get("count"):
        return "<p class=note>none</p>"
    rows = [(gaps["count"], gaps["missing_bars"], largest["from"], largest["bars"])]
    return table(("gaps", "missing bars", "largest from", "largest bars"), rows)
