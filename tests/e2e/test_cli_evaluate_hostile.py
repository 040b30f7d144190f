"""``accountbuilder evaluate`` on hostile or malformed input: exit 2 with a located message, never a
traceback (issue 15 §8, §9; SPEC C1 spacing, D2 ATR read as fractions of the price)."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder_runner.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "docs" / "examples" / "evaluate_long.yaml").read_bytes()
BAD_INPUT = 2


def _evaluate(path: Path, capsys) -> tuple[int, str]:
    code = main(["evaluate", "--input", str(path)])
    return code, capsys.readouterr().err


def _variant(tmp_path: Path, old: bytes, new: bytes) -> Path:
    assert old in EXAMPLE
    path = tmp_path / "what_if.yaml"
    path.write_bytes(EXAMPLE.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "what_if.yaml:1:1: not UTF-8 (byte 0x89)"),
        (b"now_ms: " + b"7" * 5000 + b"\n", "what_if.yaml:1:9: a value of 5000 characters"),
        (b"market: " + b"[" * 5000 + b"]" * 5000, "nested deeper than 16 levels"),
    ],
    ids=["binary", "5000-digit-integer", "deep-nesting"],
)
def test_i9_hostile_input_exits_2_located(tmp_path, capsys, data, expected):
    path = tmp_path / "what_if.yaml"
    path.write_bytes(data)

    code, err = _evaluate(path, capsys)

    assert code == BAD_INPUT
    assert expected in err and len(err) < 400


def test_c1_grid_spacing_of_50_is_refused_as_bad_input(tmp_path, capsys):
    path = _variant(tmp_path, b'grid_spacing_pct: "0.03"', b"grid_spacing_pct: 50")

    code, err = _evaluate(path, capsys)

    assert code == BAD_INPUT
    assert "signal.grid_spacing_pct: 50 must be <= 1" in err


def test_d2_an_atr_of_1e30_is_refused_as_bad_input(tmp_path, capsys):
    path = _variant(tmp_path, b'atr_pct_24h: "0.045"', b"atr_pct_24h: 1e30")

    code, err = _evaluate(path, capsys)

    assert code == BAD_INPUT
    assert "market.atr_pct_24h: 1e+30 is out of range" in err


# --- fuzz -------------------------------------------------------------------------------------
@st.composite
def mutated_example(draw) -> bytes:
    """The shipped example with a few bytes replaced, inserted or cut."""
    data = bytearray(EXAMPLE)
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["replace", "insert", "cut"]))
        if op == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from([b"[", b"{", b"&a ", b"*a", b"9" * 30, b"-", b"e9"]))
        else:
            del data[at : at + draw(st.integers(1, 30))]
    return bytes(data)


NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="0123456789.-e+", max_size=20),
)


@st.composite
def changed_value(draw) -> bytes:
    """The example with one quoted value replaced by an arbitrary number or string."""
    values = [b'"0.0025"', b'"40000"', b'"0.045"', b'"0.5"', b'"0.03"', b'"0.6"', b'"1.0"', b"3}"]
    old = draw(st.sampled_from(values))
    new = repr(draw(NUMBERS)).encode() + (b"}" if old.endswith(b"}") else b"")
    return EXAMPLE.replace(old, new, 1)


@given(data=st.one_of(st.binary(max_size=1024), mutated_example(), changed_value()))
def test_i9_fuzz_evaluate_input_decides_or_exits_2_located(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "what_if.yaml"
        path.write_bytes(data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["evaluate", "--input", str(path)])
    message = err.getvalue()
    if code == BAD_INPUT:
        assert message.startswith("evaluate: ") and len(message) < 2_000
        located = message.removeprefix("evaluate: ")
        assert located.startswith((str(path), "input")) or located.split(":")[0].split(".")[0] in (
            "market", "signal", "account", "history", "fees", "position", "state", "now_ms",
        ), message  # fmt: skip
    else:
        assert code in (0, 1), message
