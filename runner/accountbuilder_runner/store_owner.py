"""Take a store for this process (the single-instance lock) and keep an old one aside.

Live and paper runs call ``take_store`` before they open, migrate or rotate anything: a second
process on the same store stops there with ``StoreLockedError`` naming the holder (exit 2).
``keep_previous`` (paper only) copies a store through SQLite's backup API, so the copy holds
every committed row, WAL included, and is only ever done under the lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

from loguru import logger

from accountbuilder.store.errors import StoreError
from accountbuilder.store.lock import Holder, StoreLock
from accountbuilder.store.runtime import OwnerRecord
from accountbuilder.store.sqlite_store import SqliteStore

SIDE_FILES = ("-wal", "-shm", "-journal")
# What rotation by rename left before issue 15: a WAL no SQLite ever reads. Removed on sight.
LEGACY_PREV = ("-wal.prev", "-shm.prev")


def take_store(path: Path, now_ms: int) -> StoreLock:
    """Lock ``path`` for this process's life, or raise ``StoreLockedError`` naming the holder."""
    lock = StoreLock.acquire(path, Holder.this_process(now_ms))
    if lock.previous is not None and lock.previous.pid != os.getpid():
        logger.info(
            "store {}: took over from {} (no longer holds it)", path, lock.previous.describe()
        )
    return lock


def record_owner(store: SqliteStore, lock: StoreLock, mode: str) -> None:
    """Write the lock holder (PID, start time, command) into the store, for ``status``."""
    store.record_owner(OwnerRecord(lock.holder, mode))


def keep_previous(store: Path, lock: StoreLock) -> Path | None:
    """Move ``store`` aside as ``<name>.prev`` with every committed row; return the copy.

    Needs the store's lock (no writer may have it open). The copy is made through the backup
    API into a temporary file and renamed into place; only then is the original removed.
    """
    if lock.fd < 0:
        raise StoreError(f"{store}: keep_previous needs the store's lock")
    if not store.exists():
        return None
    prev = store.with_name(store.name + ".prev")
    tmp = store.with_name(store.name + ".prev.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with (
            contextlib.closing(sqlite3.connect(store)) as source,
            contextlib.closing(sqlite3.connect(tmp)) as target,
        ):
            source.backup(target)  # reads through the WAL: committed rows only, all of them
            target.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
    except sqlite3.Error as e:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"{store}: cannot keep it as {prev.name}: {e}") from None
    stale = [Path(f"{prev}{s}") for s in SIDE_FILES] + [Path(f"{store}{s}") for s in LEGACY_PREV]
    for leftover in stale:
        leftover.unlink(missing_ok=True)
    os.replace(tmp, prev)
    for suffix in ("", *SIDE_FILES):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    return prev


def keep_previous_dir(folder: Path) -> None:
    """Keep a log folder as ``<name>.prev`` (one generation)."""
    if not folder.exists():
        return
    prev = folder.with_name(folder.name + ".prev")
    if prev.is_dir():
        shutil.rmtree(prev)
    elif prev.exists():
        prev.unlink()
    folder.rename(prev)


def foreign_session(saved: dict | None, mode: str) -> str | None:
    """Why a run of ``mode`` must not resume ``saved``: another kind of run stored it (a dry
    run's simulated position is not a position on Bybit, and the reverse). None: it may."""
    stored = ((saved or {}).get("runtime") or {}).get("mode")
    if stored in (None, mode):
        return None
    return (
        f"the store holds a {stored} session; a {mode} run keeps its own store "
        "(--state, runner_config.yaml store_path)"
    )
