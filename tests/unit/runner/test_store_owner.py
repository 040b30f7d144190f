"""Keeping a crashed paper store as ``.prev`` (issue 15 §6, SPEC I4): every committed row, the
WAL's included, and only under the store's lock."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing

import pytest

from accountbuilder.store import SqliteStore
from accountbuilder.store.errors import StoreError, StoreLockedError
from accountbuilder_runner.store_owner import foreign_session, keep_previous, take_store

T0 = 1_767_225_600_000


def _crashed_copy(tmp_path, revisions: int):
    """A store as a SIGKILL leaves it: rows committed to the WAL, never checkpointed."""
    live = tmp_path / "live" / "paper.sqlite"
    store = SqliteStore.open(live, now_ms=T0)
    store._db.conn.execute("PRAGMA wal_autocheckpoint=0")  # keep every commit in the WAL
    for n in range(revisions):
        store.save_session({"n": n}, T0 + n)
    crashed = tmp_path / "paper.sqlite"
    for suffix in ("", "-wal"):  # copied while open, as the kill left them
        shutil.copy(f"{live}{suffix}", f"{crashed}{suffix}")
    store.close()
    return crashed


def test_i4_the_kept_store_holds_the_rows_only_its_wal_had(tmp_path):
    crashed = _crashed_copy(tmp_path, revisions=12)
    with closing(sqlite3.connect(f"file:{crashed}?mode=ro", uri=True)) as conn:
        committed = conn.execute("SELECT count(*) FROM session").fetchone()[0]

    with take_store(crashed, T0) as lock:
        prev = keep_previous(crashed, lock)

    assert not crashed.exists() and not (tmp_path / "paper.sqlite-wal").exists()
    assert not (tmp_path / "paper.sqlite-wal.prev").exists()
    with closing(sqlite3.connect(f"file:{prev}?mode=ro", uri=True)) as conn:
        kept = conn.execute("SELECT count(*) FROM session").fetchone()[0]
    assert kept == committed > 0


def test_i4_keep_previous_refuses_without_the_lock(tmp_path):
    crashed = _crashed_copy(tmp_path, revisions=1)
    lock = take_store(crashed, T0)
    lock.release()

    with pytest.raises(StoreError, match="needs the store's lock"):
        keep_previous(crashed, lock)
    assert crashed.exists()


def test_i4_a_second_taker_of_a_store_is_refused(tmp_path):
    with take_store(tmp_path / "paper.sqlite", T0), pytest.raises(StoreLockedError):
        take_store(tmp_path / "paper.sqlite", T0)


def test_i4_a_run_never_resumes_a_session_another_kind_of_run_stored():
    """A live run on a dry run's store would trade a simulated position as a real one."""
    dry = {"runtime": {"mode": "dry-run"}}

    assert foreign_session(None, "live") is None  # a new store
    assert foreign_session({"runtime": {"mode": "live"}}, "live") is None
    assert foreign_session({}, "live") is None  # a session from before modes were stored
    assert "holds a dry-run session; a live run keeps its own store" in foreign_session(dry, "live")
    assert "holds a live session" in foreign_session({"runtime": {"mode": "live"}}, "dry-run")
