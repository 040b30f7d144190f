"""``accountbuilder evaluate`` end to end: installed script and ``cli.main`` (SPEC D, C, B)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from accountbuilder_runner.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "evaluate_long.yaml"
SCRIPT = Path(sys.executable).parent / "accountbuilder"


def _variant(tmp_path: Path, old: str, new: str, name: str = "what_if.yaml") -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), "evaluate", *args], capture_output=True, text=True, cwd=REPO, check=False
    )


# --- the installed script (subprocess) ------------------------------------------------------
def test_d_script_accepts_the_shipped_example_as_json():
    done = _script("--input", str(EXAMPLE), "--json")

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["accepted"] is True and out["reason"] is None
    # $100 S1, 4.5% stop → 38,200; C2 222 cut to 212 by the exact loss at the stop
    assert (out["stage"], out["contracts"], out["stop_price"]) == ("s1", 212, "38200")
    assert out["max_loss_btc"] == "0.00025" and out["estimated_fee_usd"] == "0.0212"


def test_c4_script_refuses_with_the_margin_reason(tmp_path):
    # spacing 2% → stop 3% → 323 contracts: margin 0.0026917 BTC > equity 0.0025
    path = _variant(tmp_path, 'grid_spacing_pct: "0.03"', 'grid_spacing_pct: "0.02"')
    done = _script("--input", str(path), "--json")

    assert done.returncode == 1, done.stderr
    out = json.loads(done.stdout)
    assert out["reason"] == "MARGIN_INSUFFICIENT" and out["contracts"] == 323


def test_d_script_bad_input_exits_2_naming_the_field(tmp_path):
    path = _variant(tmp_path, 'mark_price: "40000"', 'mark_price: "-1"')
    done = _script("--input", str(path))

    assert done.returncode == 2
    assert "market.mark_price: -1 must be > 0" in done.stderr
    assert done.stdout == ""


# --- cli.main in process --------------------------------------------------------------------
def test_d_main_prints_the_gate_table(capsys):
    code = main(["evaluate", "--input", str(EXAMPLE)])
    out = capsys.readouterr().out

    assert code == 0
    assert out.startswith("ACCEPTED: long 212 contracts @ 40000 (maker), stop 38200")
    assert "maker_policy" in out and "liq_distance_pct" in out


def test_d2_main_refuses_low_volatility(tmp_path, capsys):
    path = _variant(tmp_path, 'atr_pct_24h: "0.045"', 'atr_pct_24h: "0.02"')
    code = main(["evaluate", "--input", str(path)])

    assert code == 1
    assert "REFUSED at gate 'volatility': VOLATILITY_TOO_LOW" in capsys.readouterr().out


def test_d_main_reads_json_input(tmp_path, capsys):
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(EXAMPLE.read_text(encoding="utf-8"))
    path = tmp_path / "what_if.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    assert main(["evaluate", "--input", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["contracts"] == 212


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("side: long, ", "", "signal.side: is required"),
        ('wallet_balance_btc: "0.0025"', 'wallet_balance_btc: "lots"', "'lots' is not a number"),
        ("qty_step: 1,", "qty_step: -1,", "market.qty_step: -1 must be >= 1"),
        ("fees:    {", "fees:    [", "invalid YAML/JSON"),
    ],
)
def test_d_main_bad_input_exits_2(tmp_path, capsys, old, new, message):
    path = _variant(tmp_path, old, new)

    assert main(["evaluate", "--input", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_d_main_missing_file_exits_2(tmp_path, capsys):
    assert main(["evaluate", "--input", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_b2_main_bad_config_dir_exits_2(tmp_path, capsys):
    assert main(["evaluate", "--input", str(EXAMPLE), "--config", str(tmp_path)]) == 2
    assert "stage_config.yaml" in capsys.readouterr().err


def test_b2_main_uses_the_given_config_dir(tmp_path, capsys):
    # a stricter S1 (atr must exceed 5%) refuses the example's 4.5%
    for src in (REPO / "config").glob("*.yaml"):
        text = src.read_text(encoding="utf-8")
        if src.name == "stage_config.yaml":
            text = text.replace("atr_min_pct: 0.03", "atr_min_pct: 0.05", 1)
        (tmp_path / src.name).write_text(text, encoding="utf-8")

    assert main(["evaluate", "--input", str(EXAMPLE), "--config", str(tmp_path), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "VOLATILITY_TOO_LOW"


def test_g4_script_sizes_the_documented_taker_example_at_its_worst_price():
    """SPEC G4: docs/risk.md's taker example — an IOC limit at mark × 1.002 = 40,080, sized and
    stopped from that price so the loss at the stop fits S2's 0.0005 BTC at any fill."""
    done = _script("--input", str(REPO / "docs" / "examples" / "evaluate_taker.yaml"), "--json")

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["order_type"], out["stage"], out["entry_price"]) == ("taker", "s2", "40080")
    assert (out["contracts"], out["stop_price"]) == (425, "38276.5")
    assert Decimal(out["loss_at_stop_btc"]) <= Decimal(out["max_loss_btc"]) == Decimal("0.0005")
    # a better fill only lowers the loss at the same stop; the mark-sized order would not fit
    assert 425 * (1 / Decimal("38276.5") - 1 / Decimal(40000)) < Decimal("0.0005")
    assert 424 * (1 / Decimal(38200) - 1 / Decimal(40080)) > Decimal("0.0005")
