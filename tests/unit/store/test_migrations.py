"""Schema version and migrations: create, migrate older, refuse newer (SPEC I4)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from accountbuilder.records.examples import T0
from accountbuilder.store import (
    NotAStoreError,
    SchemaTooNewError,
    SchemaTooOldError,
    SqliteStore,
    StoreNotFoundError,
)
from accountbuilder.store.errors import UnreadableStoreError
from accountbuilder.store.migrations import LATEST_VERSION, MIGRATIONS, Migration

TABLES = {
    "schema_version",
    "session",
    "orders",
    "order_transitions",
    "trades",
    "halts",
    "decisions",
    "daily_metrics",
    "owners",  # v3 (issue 15): the store lock's holders, the F1 window, operator requests
    "rest_calls",
    "operator_requests",
}
N = LATEST_VERSION
ALL_AT = [(v, T0) for v in range(1, N + 1)]


def _sql(path, *statements):
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for statement in statements:
            conn.execute(statement)


def _query(path, sql):
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def _tables(path):
    return {r[0] for r in _query(path, "SELECT name FROM sqlite_master WHERE type='table'")}


def _versions(path):
    return _query(path, "SELECT version, applied_ts_ms FROM schema_version ORDER BY version")


def _dump(path):
    with closing(sqlite3.connect(path)) as conn:
        return list(conn.iterdump())


def test_i4_new_file_is_created_at_the_latest_schema(tmp_path):
    path = tmp_path / "new.sqlite"

    with SqliteStore.open(path, now_ms=T0) as store:
        assert store.schema_version == LATEST_VERSION == len(MIGRATIONS)

    assert _tables(path) == TABLES
    assert _versions(path) == ALL_AT


def test_i4_v0_store_with_an_empty_version_table_migrates_to_the_latest(tmp_path):
    path = tmp_path / "v0.sqlite"
    _sql(
        path,
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
        "applied_ts_ms INTEGER NOT NULL)",
    )

    with SqliteStore.open(path, now_ms=T0 + 7) as store:
        assert store.schema_version == N

    assert _tables(path) == TABLES
    assert _versions(path) == [(v, T0 + 7) for v in range(1, N + 1)]


def test_i4_reopening_a_current_store_changes_nothing(tmp_path):
    path = tmp_path / "s.sqlite"
    with SqliteStore.open(path, now_ms=T0) as store:
        store.save_session({"halt": None}, T0)

    with SqliteStore.open(path, now_ms=T0 + 99) as store:
        assert store.load_session() == {"halt": None}

    assert _versions(path) == ALL_AT


def test_i4_newer_schema_is_refused_with_a_clear_error_and_left_untouched(tmp_path):
    path = tmp_path / "future.sqlite"
    SqliteStore.open(path, now_ms=T0).close()
    _sql(path, f"INSERT INTO schema_version VALUES ({N + 1}, 'from the future', 5)")
    before = _dump(path)

    with pytest.raises(SchemaTooNewError) as err:
        SqliteStore.open(path, now_ms=T0)

    message = str(err.value)
    assert f"schema version {N + 1}" in message
    assert "knows" in message and "Upgrade accountbuilder" in message
    assert _dump(path) == before


def test_i4_newer_schema_is_refused_by_a_read_only_open_too(tmp_path):
    path = tmp_path / "future.sqlite"
    SqliteStore.open(path, now_ms=T0).close()
    _sql(path, f"INSERT INTO schema_version VALUES ({N + 2}, 'from the future', 5)")

    with pytest.raises(SchemaTooNewError, match=f"schema version {N + 2}"):
        SqliteStore.open_readonly(path)


def test_i4_database_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    _sql(path, "CREATE TABLE users (id INTEGER)")

    with pytest.raises(NotAStoreError, match="not an accountbuilder store"):
        SqliteStore.open(path, now_ms=T0)

    assert _tables(path) == {"users"}


def test_i4_an_added_step_migrates_an_older_store(tmp_path):
    path = tmp_path / "s.sqlite"
    SqliteStore.open(path, now_ms=T0).close()
    nxt = Migration(N + 1, "notes", ("CREATE TABLE notes (id INTEGER PRIMARY KEY, ts_ms INTEGER)",))

    with SqliteStore.open(path, now_ms=T0 + 1, migrations=(*MIGRATIONS, nxt)) as store:
        assert store.schema_version == N + 1

    assert "notes" in _tables(path)
    assert _versions(path) == [*ALL_AT, (N + 1, T0 + 1)]


def test_i4_a_v2_store_migrates_to_v3_keeping_its_session(tmp_path):
    path = tmp_path / "v2.sqlite"
    with SqliteStore.open(path, now_ms=T0, migrations=MIGRATIONS[:2]) as store:
        store.save_session({"halt": None}, T0)

    with SqliteStore.open(path, now_ms=T0 + 5) as store:
        assert store.schema_version == 3
        assert store.load_session() == {"halt": None}

    assert {"owners", "rest_calls", "operator_requests"} <= _tables(path)
    assert _versions(path) == [(1, T0), (2, T0), (3, T0 + 5)]


def test_i4_a_failing_step_leaves_the_store_at_its_old_version(tmp_path):
    path = tmp_path / "s.sqlite"
    SqliteStore.open(path, now_ms=T0).close()
    ok = Migration(N + 1, "ok", ("CREATE TABLE notes (id INTEGER)",))
    broken = Migration(N + 2, "broken", ("CREATE TABLE notes (id INTEGER)",))  # already exists

    with pytest.raises(UnreadableStoreError) as err:
        SqliteStore.open(path, now_ms=T0, migrations=(*MIGRATIONS, ok, broken))

    assert isinstance(err.value.__cause__, sqlite3.OperationalError)

    assert "notes" not in _tables(path)  # the good step rolled back too: all or none
    assert _versions(path) == ALL_AT


def test_i4_read_only_open_of_an_older_store_asks_for_a_migration(tmp_path):
    path = tmp_path / "s.sqlite"
    SqliteStore.open(path, now_ms=T0).close()
    later = Migration(N + 1, "later", ("CREATE TABLE notes (id INTEGER)",))

    with pytest.raises(SchemaTooOldError, match="start the runner once"):
        SqliteStore.open_readonly(path, latest=later.version)


def test_i4_read_only_open_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(StoreNotFoundError, match="no store at"):
        SqliteStore.open_readonly(tmp_path / "absent.sqlite")

    assert not (tmp_path / "absent.sqlite").exists()


def test_i4_migration_list_must_be_numbered_in_order(tmp_path):
    steps = (MIGRATIONS[0], Migration(3, "gap", ()))

    with pytest.raises(ValueError, match="1, 2, 3"):
        SqliteStore.open(tmp_path / "s.sqlite", now_ms=T0, migrations=steps)
