"""The nautilus_trader anchor of the backtest benchmark (``benchmarks/bench_nautilus.py``).

Skipped unless the ``bench-nautilus`` extra is installed (it is not in CI). Checks the bracket
prices on the instrument's tick grid, and, on five hand-made candles where the entry's bar
gaps through its stop, what the venue's ``reject_stop_orders`` does to the bracket.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("nautilus_trader")

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_nautilus

        yield bench_nautilus
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_bracket_prices_on_the_tick_grid(bench):
    entry, stop, take = bench.bracket_prices(50_000.0)
    assert (entry, stop, take) == (49_500.0, 48_757.5, 49_995.0)
    entry, stop, take = bench.bracket_prices(58_760.34)
    assert entry == 58_172.5  # 58,172.74 rounded down to 0.5
    assert stop == 57_299.5  # 57,299.91 rounded down
    assert take == 58_754.5  # 58,754.23 rounded up
    assert entry - stop >= entry * 0.015 and take - entry >= entry * 0.01


@pytest.fixture
def gap_file(tmp_path: Path) -> Path:
    """A bracket placed at the first close (entry 49,500, stop 48,757.5, take-profit 49,995);
    the second bar opens above the entry and trades down to 48,000, through both."""
    rows = [
        (50_000.0, 50_010.0, 49_990.0, 50_000.0),
        (50_000.0, 50_010.0, 48_000.0, 48_500.0),
        (48_500.0, 48_600.0, 48_400.0, 48_450.0),
        (48_450.0, 48_500.0, 48_400.0, 48_420.0),
        (48_420.0, 48_500.0, 48_400.0, 48_410.0),
    ]
    path = tmp_path / "gap.csv"
    lines = ["ts_ms,open,high,low,close,volume"]
    lines += [
        f"{1_609_459_200_000 + 60_000 * i},{o:.2f},{h:.2f},{low:.2f},{c:.2f},10.00"
        for i, (o, h, low, c) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_default_venue_rejects_the_stop_of_a_gapped_entry(bench, gap_file):
    result = bench.run_nautilus(gap_file, reject_stop_orders=True)
    assert result["stops_rejected"] == 1
    assert result["stops_at_once"] == 0
    assert result["trades"] == 0
    assert result["in_position_at_end"]  # neither stop nor take-profit: the sibling went too
    assert result["unprotected_bars"] == 4  # the gap bar's close and the three after it


def test_benchmark_venue_fills_the_stop_of_a_gapped_entry(bench, gap_file):
    result = bench.run_nautilus(gap_file, reject_stop_orders=False)
    assert result["stops_rejected"] == 0
    assert result["stops_at_once"] == 1  # filled as it reached the venue
    assert result["trades"] == 1
    assert not result["in_position_at_end"]
