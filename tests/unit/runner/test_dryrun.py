"""``run --exchange bybit --dry-run``: what it refuses before touching anything (issue 20)."""

from __future__ import annotations

import argparse

from accountbuilder_runner import dryrun
from accountbuilder_runner.cli import build_parser
from accountbuilder_runner.commands import status


def args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(
        ["run", "--exchange", "bybit", "--dry-run", "--exchange-url", "http://127.0.0.1:9", *extra]
    )


def test_issue20_dry_run_refuses_a_key_file_and_the_testnet(tmp_path, capsys):
    assert dryrun.run_dry(args("--key-file", "k")) == dryrun.EXIT_BAD_INPUT
    assert "reads no API key" in capsys.readouterr().err
    assert dryrun.run_dry(args("--testnet")) == dryrun.EXIT_BAD_INPUT
    assert "--testnet does not apply" in capsys.readouterr().err


def test_issue20_dry_run_never_uses_the_live_store(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)

    code = dryrun.run_dry(args("--state", "state/accountbuilder.sqlite"))

    assert code == dryrun.EXIT_BAD_INPUT
    assert "is the live store" in capsys.readouterr().err
    assert not (tmp_path / "state").exists()  # nothing created


def test_issue20_dry_run_needs_the_bybit_market(capsys):
    parsed = build_parser().parse_args(["run", "--dry-run"])

    assert parsed.func(parsed) == 2
    assert "--dry-run needs --exchange bybit" in capsys.readouterr().err


def test_issue20_status_knows_the_dry_run_mode():
    assert status.DRY_RUN_MODE == dryrun.MODE
    assert status.DRY_RUN_BANNER.startswith("DRY RUN")
    assert dryrun.DEFAULT_DRY_STATE.name == "dryrun.sqlite"
