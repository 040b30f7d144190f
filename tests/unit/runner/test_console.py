"""Terminal output (runner/console.py, reporting/terminal.py): rich on a terminal, plain text
on a pipe, nothing with --quiet."""

from __future__ import annotations

import io

from accountbuilder_runner.console import Console
from accountbuilder_runner.reporting.blocks import Block
from accountbuilder_runner.reporting.terminal import render, render_plain


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_one_plain_line_per_tenth_of_the_way():
    out = io.StringIO()
    console = Console(out, label="backtest")
    for i in range(101):
        if console.due(i / 100):
            console.status(i / 100, f"step {i}")
    console.event("2021-01-01 ENTRY long")
    lines = out.getvalue().splitlines()
    assert lines[0] == "backtest   0.0% step 0" and lines[-2] == "backtest 100.0% step 100"
    assert len(lines) == 12 and lines[-1] == "2021-01-01 ENTRY long"
    assert "\x1b[" not in out.getvalue()


def test_a_terminal_gets_the_rich_progress_bar_with_events_above_it():
    out = FakeTty()
    console = Console(out, label="paper")
    console.status(0.5, "2021-04-24 05:30 | FLAT", force=True)
    console.event("2021-04-24 05:31  ENTRY long 150 @ 50000.0")
    console.finish()
    text = out.getvalue()
    assert "paper" in text and "50%" in text and "2021-04-24 05:30 | FLAT" in text
    assert "ENTRY long 150 @ 50000.0" in text and "━" in text  # rich's bar


def test_quiet_prints_nothing():
    out = FakeTty()
    console = Console(out, quiet=True)
    console.status(0.5, "x", force=True)
    console.event("y")
    console.finish()
    assert out.getvalue() == ""


BLOCK = Block(
    "the two moments",
    ("", "end of trading", "end of data"),
    (("equity USD", "$76.31", "$1,289.40"),),
)


def test_summary_tables_plain_and_rich():
    assert render_plain([BLOCK]) == (
        "the two moments:\n  end of trading | end of data\n  equity USD: $76.31 | $1,289.40"
    )
    out = io.StringIO()
    render([BLOCK], out, rich=True)
    table = out.getvalue()
    assert "┃" in table and "end of trading" in table and "$1,289.40" in table
