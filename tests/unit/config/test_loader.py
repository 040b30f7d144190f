"""Config loading: frozen models, exact Decimals, located errors (SPEC B2, B3, C5, E1)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from accountbuilder.config import ConfigError, load_config
from accountbuilder.config.loader import defaults_dir, load_config_file

CONFIG = Path(__file__).resolve().parents[3] / "config"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    for p in CONFIG.glob("*.yaml"):
        (tmp_path / p.name).write_text(p.read_text())
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_b2_shipped_config_loads_with_spec_values_exactly():
    cfg = load_config(CONFIG)

    s1, s3 = cfg.stage.stages.s1, cfg.stage.stages.s3
    assert (s1.usd_loss_cap, s1.pct_cap, s1.ev_k, s1.atr_min_pct) == (
        10,
        Decimal("0.12"),
        2,
        Decimal("0.03"),
    )
    assert (s3.leverage, s3.max_trades_per_day, s3.maker_policy) == (2, 10, "preferred")
    assert cfg.risk.liq_floor_pct == Decimal("0.15") and cfg.emergency.drop_5m_halt == Decimal(
        "-0.20"
    )


def test_b2_config_is_frozen():
    cfg = load_config(CONFIG)

    with pytest.raises(ValidationError):
        cfg.stage.stages.s1.leverage = Decimal(1)


def test_defaults_dir_finds_the_shipped_files():
    assert (defaults_dir() / "stage_config.yaml").is_file()


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "risk_config.yaml",
            "liq_multiple: 1.5\n",
            "risk_config.yaml:1:1: liq_multiple: 1.5 is below the minimum of 2 (SPEC C5: multiple >= 2)",
        ),
        (
            "risk_config.yaml",
            "liq_floor_pct: 0.05\n",
            "liq_floor_pct: 0.05 is below the minimum of 0.1",
        ),
        (
            "emergency_config.yaml",
            "drop_1m_halt: -0.15\n",
            "drop_1m_halt: -0.15 is below the minimum of -0.1 (SPEC E1: -10% or tighter)",
        ),
        ("risk_config.yaml", "margin_mode: portfolio\n", "margin_mode: 'portfolio'"),
        (
            "execution_config.yaml",
            "grid:\n  direction: sideways\n",
            "execution_config.yaml:2:3: grid.direction: 'sideways' is not allowed",
        ),
        ("runner_config.yaml", "tick_s: abc\n", "tick_s: 'abc'"),
        ("stage_config.yaml", "stages: [1, 2]\n", "stages:"),
    ],
    ids=[
        "c5-multiple-below-2",
        "c5-floor-below-10pct",
        "e1-looser-drop",
        "c5-unknown-margin-mode",
        "grid-direction",
        "non-numeric",
        "wrong-shape",
    ],
)
def test_bad_values_name_file_line_field_and_allowed(tmp_path, name, text, expected):
    path = _write(tmp_path, name, text)

    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)

    assert expected in str(err.value)
    assert str(err.value).startswith(str(path.parent))


def test_invalid_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "runner_config.yaml", "store_path: a\n  bad: [\n")

    with pytest.raises(ConfigError, match=r"runner_config.yaml:\d+:\d+: invalid YAML"):
        load_config_file(path)


def test_duplicate_keys_are_refused(tmp_path):
    path = _write(tmp_path, "runner_config.yaml", "tick_s: 1\ntick_s: 2\n")

    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config_file(path)


def test_missing_stage_config_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="stage_config.yaml:0:0: missing"):
        load_config(tmp_path)
