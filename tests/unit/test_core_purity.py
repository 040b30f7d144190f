"""The core never reads the clock, opens sockets or adds log sinks (STYLE 1, SPEC F6)."""

from __future__ import annotations

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "accountbuilder"
# Edges that may touch the network, disk or clock: the fake exchange server and the store.
EDGES = ("testing", "store", "adapters")
FORBIDDEN = re.compile(
    r"datetime\.now|datetime\.utcnow|time\.time\(|time\.monotonic\(|logger\.add\(|import socket|import requests"
)


def _core_files():
    for path in CORE.rglob("*.py"):
        rel = path.relative_to(CORE)
        if rel.parts[0] in EDGES or rel.parts[:2] == ("exchange", "bybit"):
            continue
        yield path


def test_f6_core_modules_read_no_clock_and_add_no_sinks():
    offenders = [
        f"{p.relative_to(CORE)}:{i}: {line.strip()}"
        for p in _core_files()
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if FORBIDDEN.search(line) and not line.lstrip().startswith("#")
    ]

    assert offenders == []


def test_f6_purity_check_sees_the_core():
    assert len(list(_core_files())) >= 10
