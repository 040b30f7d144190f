"""Damaged or implausible candle files: ``CandleFileError`` naming the file (and the line),
never a traceback or a misleading message (issue 15 §9; the F6 replay reads these files)."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.marketdata.candles import (
    HEADER,
    PRICE_MAX,
    PRICE_MIN,
    TS_MAX_MS,
    TS_MIN_MS,
    CandleArrays,
    CandleFileError,
    load_candles,
)

DAY0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
MIN = 60_000


def rows(n: int, *, t0: int = DAY0, step: int = MIN, scale: float = 1.0) -> list[str]:
    out = []
    for i in range(n):
        p = (40_000 + i) * scale
        out.append(f"{t0 + i * step},{p!r},{p * 1.001!r},{p * 0.999!r},{p!r},1.5")
    return out


def write(folder: Path, lines: list[str], name: str = "c.csv", gz: bool = False) -> Path:
    data = ("\n".join([HEADER, *lines]) + "\n").encode()
    path = folder / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(CandleFileError) as err:
        load_candles(path)
    return str(err.value)


def test_f6_a_truncated_gzip_names_the_file(tmp_path):
    path = write(tmp_path, rows(500), gz=True)
    path.write_bytes(path.read_bytes()[:-200])

    assert refusal(path).startswith("c.csv.gz: not a readable gzip file")


def test_f6_a_bad_crc_names_the_file(tmp_path):
    path = write(tmp_path, rows(50), gz=True)
    data = bytearray(path.read_bytes())
    data[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    path.write_bytes(bytes(data))

    assert refusal(path).startswith("c.csv.gz: not a readable gzip file (CRC check failed")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (rows(3, t0=DAY0 * 1000, step=MIN * 1000), "ts_ms is after 2100 (microseconds"),
        (rows(3, t0=-DAY0, step=MIN), "ts_ms is before 2009"),
        (rows(3, t0=DAY0 // 1000, step=60), "ts_ms is before 2009 (seconds, not milliseconds?)"),
        (rows(3, scale=1e-300), f"open is outside {PRICE_MIN:g}..{PRICE_MAX:g} USD"),
        (rows(3, scale=1e300), f"open is outside {PRICE_MIN:g}..{PRICE_MAX:g} USD"),
    ],
    ids=["microseconds", "negative", "seconds", "prices-x1e-300", "prices-x1e300"],
)
def test_f6_implausible_values_are_refused_by_name_at_line_2(tmp_path, lines, expected):
    message = refusal(write(tmp_path, lines))

    assert message.startswith("c.csv line 2 (ts_ms=") and expected in message


def test_f6_a_reversed_file_says_not_sorted_not_too_few_candles(tmp_path):
    message = refusal(write(tmp_path, rows(2158)[::-1]))

    assert (
        message.startswith("c.csv line 3 (ts_ms=") and "timestamps not sorted ascending" in message
    )


def test_f6_an_infinite_timestamp_is_named_not_an_overflow(tmp_path):
    lines = rows(3)
    lines[1] = "1e999" + lines[1][13:]  # the fuzz test's find under the thorough profile

    assert "c.csv line 3 (ts_ms=inf): ts_ms is NaN or infinite" in refusal(write(tmp_path, lines))


# --- fuzz -------------------------------------------------------------------------------------
CELLS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(TS_MIN_MS, TS_MAX_MS).map(str),
    st.floats(PRICE_MIN, PRICE_MAX).map(repr),
    st.text(alphabet="0123456789.,-e+ x\t", max_size=8),
)


@st.composite
def candle_files(draw) -> bytes:
    """Small CSV files: random rows of cells, plausible ones mutated, or raw bytes; maybe gzip."""
    kind = draw(st.sampled_from(["cells", "mutated", "bytes"]))
    if kind == "bytes":
        data = draw(st.binary(max_size=600))
    elif kind == "cells":
        lines = [
            ",".join(draw(st.lists(CELLS, min_size=5, max_size=7)))
            for _ in range(draw(st.integers(0, 8)))
        ]
        data = ("\n".join([HEADER, *lines]) + "\n").encode()
    else:
        good = bytearray(("\n".join([HEADER, *rows(12)]) + "\n").encode())
        for _ in range(draw(st.integers(1, 4))):
            good[draw(st.integers(0, len(good) - 1))] = draw(st.sampled_from(b"0123456789.,-\n e"))
        data = bytes(good)
    if draw(st.booleans()):
        data = gzip.compress(data)
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
    return data


@given(data=candle_files())
def test_f6_fuzz_the_candle_loader_loads_or_refuses_naming_the_file(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        try:
            arrays = load_candles(path, timeframe_ms=MIN)
        except CandleFileError as e:
            assert str(e).startswith("fuzz.csv") and len(str(e)) < 500, str(e)
            return
    assert isinstance(arrays, CandleArrays) and len(arrays) >= 1
    for col in (arrays.open, arrays.high, arrays.low, arrays.close):
        assert np.all((col >= PRICE_MIN) & (col <= PRICE_MAX))
    assert np.all(np.diff(arrays.ts_ms) > 0)
