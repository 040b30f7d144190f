"""A bug anywhere in the CLI exits 70 with one line naming the traceback file (issue 18),
distinct from 1 (a run ended halted) and 2 (bad input)."""

from __future__ import annotations

import re
from pathlib import Path

from accountbuilder_runner.cli import main
from accountbuilder_runner.commands import status


def test_an_internal_error_exits_70_with_one_line_and_the_traceback_file(monkeypatch, capsys):
    def broken(args):
        raise ZeroDivisionError("division by zero in a command")

    monkeypatch.setattr(status, "run", broken)  # the command the parser wires to `status`

    rc = main(["status"])

    err = capsys.readouterr().err.strip()
    assert rc == 70 and len(err.splitlines()) == 1
    found = re.fullmatch(
        r"accountbuilder status: internal error: ZeroDivisionError: division by zero in a "
        r"command \(traceback in (.+)\)",
        err,
    )
    assert found, err
    text = Path(found.group(1)).read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text
