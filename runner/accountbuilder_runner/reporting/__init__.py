"""Backtest and paper reports: ``report.json``, the CSV tables, ``equity.png``, ``report.html``.

``write_report(out_dir, summary)`` writes them all; what each file holds is documented in
docs/backtest.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder_runner.reporting.blocks import summary_blocks
from accountbuilder_runner.reporting.html import (
    block_table,
    counts_table,
    render_html,
    side_by_side,
    table,
)
from accountbuilder_runner.reporting.months import MONTH_COLUMNS, MonthRow, totals
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
from accountbuilder_runner.reporting.why import WhyNoTrades

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
        plot_equity(files.png, summary, halt_episodes(c.halts), title)
    r = summary.report
    moments, plan, stats, _ = summary_blocks(summary)
    top = block_table(moments) + side_by_side(
        ("Plan targets (H2, H3)", block_table(plan)),
        ("Trader statistics", block_table(stats)),
    )
    sections = [
        ("Per month (trades by exit month; equity at the month's end)", _months_html(r.months)),
        ("Why no trades: refusals by gate, in SPEC D's chain order", _why_html(r.why)),
        ("Halts (halts.csv)", table(HALT_COLUMNS, halts)),
        ("Halts by reason", counts_table(figures["halts"], "reason")),
        ("Trades (trades.csv)", table(TRADE_COLUMNS, trades)),
        ("Data gaps (never filled)", _gaps_html(figures.get("gaps", {}))),
        (
            "Decisions (decisions.csv, identical rejections collapsed)",
            table(DECISION_COLUMNS, decisions, limit=200),
        ),
    ]
    files.html.write_text(render_html(figures, files.png, top, sections), encoding="utf-8")
    return files


def _gaps_html(gaps: dict) -> str:
    largest = gaps.get("largest")
    if not gaps or not gaps.get("count"):
        return "<p class=note>none</p>"
    rows = [(gaps["count"], gaps["missing_bars"], largest["from"], largest["bars"])]
    return table(("gaps", "missing bars", "largest from", "largest bars"), rows)


def _months_html(rows: Sequence[MonthRow]) -> str:
    return table(MONTH_COLUMNS, [m.cells() for m in (*rows, totals(rows))])


def _why_html(why: WhyNoTrades) -> str:
    gates = [
        (g.gate, g.rules, g.count, f"{g.count / why.refusals * 100:.1f} %", _reasons(g.reasons))
        for g in why.by_gate
    ]
    head = f"<p><b>{escape(why.label.capitalize())}:</b> {escape(why.text)}</p>"
    return head + table(("gate", "rules", "refusals", "share", "reasons"), gates)


def _reasons(reasons: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{r} {n:,}" for r, n in reasons)
