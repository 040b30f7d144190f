"""The installed ``accountbuilder`` command: help, config check, diagram (issue 2)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "accountbuilder_runner", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
    )


def test_help_lists_the_commands():
    done = cli("--help")

    assert done.returncode == 0
    for command in ("config", "diagram"):
        assert command in done.stdout
    assert "exit codes" in done.stdout


def test_the_cli_parser_and_paper_commands_do_not_import_ccxt():
    """ccxt (and the live Bybit adapter, F7) load only for ``run --exchange bybit``."""
    probe = (
        "import sys; from accountbuilder_runner.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ccxt'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "--exchange-url" in cli("run", "--help").stdout  # the live options are still there


def test_b2_config_check_of_the_shipped_files_passes():
    shipped = sorted(str(p) for p in CONFIG.glob("*.yaml"))
    done = cli("config", "check", *shipped)

    assert done.returncode == 0, done.stderr
    assert len(shipped) == 6 and done.stdout.count(": ok") == 6  # notify_config.yaml too


def _bad_copy(tmp_path: Path, old: str, new: str, name: str = "stage_config.yaml") -> Path:
    text = (CONFIG / name).read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_b3_leverage_5_is_refused_naming_file_line_and_field(tmp_path):
    path = _bad_copy(
        tmp_path, "    leverage: 3            # never", "    leverage: 5            # never"
    )

    done = cli("config", "check", str(path))

    line = _line_of(path, "leverage: 5")
    assert done.returncode == 1
    assert f"{path}:{line}:5: stages.s1.leverage: 5 is above the cap of 3" in done.stderr


def test_b2_unknown_key_is_refused_naming_the_key_and_allowed_keys(tmp_path):
    path = _bad_copy(
        tmp_path, "    usd_loss_cap: 20\n", "    usd_loss_cap: 20\n    usd_los_cap: 20\n"
    )

    done = cli("config", "check", str(path))

    line = _line_of(path, "usd_los_cap")
    assert done.returncode == 1
    assert (
        f"{path}:{line}:5: stages.s2.usd_los_cap: unknown key (allowed: usd_loss_cap,"
        in done.stderr
    )


def test_b4_negative_loss_cap_is_refused_with_the_allowed_range(tmp_path):
    path = _bad_copy(tmp_path, "usd_loss_cap: 30", "usd_loss_cap: -30")

    done = cli("config", "check", str(path))

    line = _line_of(path, "usd_loss_cap: -30")
    assert done.returncode == 1
    assert f"{path}:{line}:5: stages.s3.usd_loss_cap: -30 must be above 0" in done.stderr


def test_diagram_mermaid_lists_every_state_of_both_machines():
    done = cli("diagram", "--format", "mermaid")

    assert done.returncode == 0
    for state in (
        "FLAT",
        "ENTRY_PENDING",
        "IN_POSITION",
        "EXIT_PENDING",
        "HALT",
        "COOLDOWN",
        "NO_POSITION",
        "PENDING",
        "ACTIVE",
        "MISSING",
        "ERROR",
    ):
        assert f'"{state}"' in done.stdout


def test_diagram_svg_without_graphviz_exits_3_with_install_hint(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on this PATH

    done = cli("diagram", "--format", "svg", env=env)

    assert done.returncode == 3
    assert "apt-get install graphviz" in done.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
def test_diagram_svg_with_graphviz_writes_an_svg(tmp_path):
    out = tmp_path / "machines.svg"

    done = cli("diagram", "--format", "svg", "--out", str(out))

    assert done.returncode == 0, done.stderr
    assert out.read_text().lstrip().startswith("<?xml") and "IN_POSITION" in out.read_text()
