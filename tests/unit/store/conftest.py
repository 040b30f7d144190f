"""Store fixtures: a fresh file-backed store (WAL) per test."""

from __future__ import annotations

import pytest

from accountbuilder.records.examples import T0
from accountbuilder.store import SqliteStore


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "state" / "accountbuilder.sqlite"


@pytest.fixture
def store(db_path):
    db_path.parent.mkdir(parents=True, exist_ok=True)
    s = SqliteStore.open(db_path, now_ms=T0)
    yield s
    s.close()
