"""Per-interval funding rates from a ``ts_ms,rate`` CSV, for ``SimConfig.funding_rates``."""

from __future__ import annotations

import gzip
from decimal import Decimal, InvalidOperation
from pathlib import Path

from accountbuilder.exchange.sim.config import FUNDING_INTERVAL_MS

HEADER = "ts_ms,rate"


def load_funding_rates(path: str | Path) -> dict[int, Decimal]:
    """Read ``ts_ms,rate`` rows (funding times at 00/08/16 UTC; rate as a fraction, 0.0001).

    Raises ``ValueError`` naming the file and line for a bad header, value or time.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    lines = raw.decode("ascii", errors="replace").replace("\r", "").rstrip("\n").split("\n")
    if lines[0].replace(" ", "") != HEADER:
        raise ValueError(f"{path.name} line 1: header must be '{HEADER}', got '{lines[0]}'")
    rates: dict[int, Decimal] = {}
    for n, line in enumerate(lines[1:], start=2):
        ts, rate = _parse_row(path.name, n, line)
        if ts in rates:
            raise ValueError(f"{path.name} line {n}: duplicate funding time {ts}")
        rates[ts] = rate
    return rates


def _parse_row(name: str, n: int, line: str) -> tuple[int, Decimal]:
    cells = line.split(",")
    if len(cells) != 2:
        raise ValueError(f"{name} line {n}: expected 2 columns ({HEADER}), got {len(cells)}")
    try:
        ts, rate = int(cells[0]), Decimal(cells[1].strip())
    except (ValueError, InvalidOperation):
        raise ValueError(f"{name} line {n}: not numeric: {line!r}") from None
    if not rate.is_finite():
        raise ValueError(f"{name} line {n}: rate is not finite: {cells[1]!r}")
    if ts % FUNDING_INTERVAL_MS:
        raise ValueError(f"{name} line {n}: {ts} is not a funding time (00/08/16 UTC)")
    return ts, rate
