"""One SQLite connection with the store's durability settings and explicit transactions.

Durability (SPEC I4): the journal is WAL, so a crash (even SIGKILL mid-transaction) leaves the
last committed state and readers never block the writer. ``synchronous`` is chosen per
transaction: FULL (the WAL is fsynced at every commit) for intents, session, trades and halts,
which must be on disk before the command they imply is sent; NORMAL (consistent, may lose the
last commits on power loss, never on a process crash) for decisions and metrics.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from accountbuilder.store.errors import ReadOnlyStoreError, StoreError, StoreNotFoundError

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5_000


class Database:
    """A connection used from one thread; ``write()`` and ``read()`` open transactions."""

    def __init__(self, conn: sqlite3.Connection, *, readonly: bool, path: str) -> None:
        self.conn = conn
        self.readonly = readonly
        self.path = path
        self._synchronous: str | None = None

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> Database:
        """Open ``path`` with WAL, foreign keys and a busy timeout.

        Unless ``readonly``, the file and its parent directories are created when missing.
        """
        path = str(path)
        if readonly:
            conn = _open_readonly(path)
        else:
            if path != MEMORY:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
            if path != MEMORY:
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode.lower() != "wal":
                    conn.close()
                    raise StoreError(f"{path}: could not switch the journal to WAL (got {mode})")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return cls(conn, readonly=readonly, path=path)

    @contextmanager
    def write(self, *, durable: bool) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction; commit on success, roll back on error."""
        if self.readonly:
            raise ReadOnlyStoreError(f"{self.path} is open read-only")
        self._set_synchronous("FULL" if durable else "NORMAL")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one read transaction: every query sees the same snapshot.

        Nested calls join the outer snapshot.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN DEFERRED")
        try:
            yield self.conn
        finally:
            self.conn.execute("COMMIT")

    def _set_synchronous(self, level: str) -> None:
        if self._synchronous != level:
            self.conn.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level

    def close(self) -> None:
        self.conn.close()


def _open_readonly(path: str) -> sqlite3.Connection:
    if path == MEMORY:
        raise StoreError("an in-memory store cannot be opened read-only")
    file = Path(path)
    if not file.is_file():
        raise StoreNotFoundError(f"no store at {file}: has the runner been started?")
    # mode=ro: no writes through this connection; WAL lets it read while a runner writes.
    conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA query_only=ON")
    return conn
