"""Schema versions as a list of migration steps, applied in order in one transaction.

A store records each applied step in ``schema_version``. Opening a store:
- with no tables at all (new file), or a ``schema_version`` at 0 → every step runs;
- at an older version → the missing steps run (all or none: one transaction);
- at a newer version than this code knows → refused with ``SchemaTooNewError``, untouched;
- with tables but no ``schema_version`` → refused with ``NotAStoreError``.
To change the schema, append a ``Migration`` with the next version; never edit a shipped one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from accountbuilder.store.connection import Database
from accountbuilder.store.errors import NotAStoreError, SchemaTooNewError, SchemaTooOldError
from accountbuilder.store.schema import (
    SCHEMA_VERSION_TABLE,
    V1_STATEMENTS,
    V2_STATEMENTS,
    V3_STATEMENTS,
)


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: the SQL that takes a store from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "session, intents, trades, halts, decisions, daily metrics", V1_STATEMENTS),
    Migration(
        2, "one order lifecycle: orders and order_transitions replace intents", V2_STATEMENTS
    ),
    Migration(3, "owners (store lock), rest_calls (F1 window), operator_requests", V3_STATEMENTS),
)
LATEST_VERSION = MIGRATIONS[-1].version


def _check_steps(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1, 2, 3, ... in order; got {versions}")


def stored_version(conn: sqlite3.Connection, path: str) -> int:
    """The schema version recorded in the store; 0 for a database with no tables yet."""
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    if "schema_version" not in tables:
        if tables:
            raise NotAStoreError(
                f"{path} is an SQLite database without a schema_version table "
                f"(tables: {', '.join(sorted(tables))}): not an accountbuilder store"
            )
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]


def _too_new(path: str, version: int, latest: int) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{path} has schema version {version}, newer than the {latest} this accountbuilder "
        "knows: it was written by a newer release. Upgrade accountbuilder, or point "
        "runner_config.yaml store_path at another file. The store was not changed."
    )


def migrate(db: Database, now_ms: int, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the store to the latest version of ``migrations``; return that version."""
    _check_steps(migrations)
    latest = migrations[-1].version
    with db.write(durable=True) as conn:
        version = stored_version(conn, db.path)
        if version > latest:
            raise _too_new(db.path, version, latest)
        if version < latest:
            conn.execute(SCHEMA_VERSION_TABLE)
        for step in migrations[version:]:
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_ts_ms) VALUES (?, ?, ?)",
                (step.version, step.description, now_ms),
            )
    return latest


def check_readable(db: Database, latest: int = LATEST_VERSION) -> int:
    """Check a read-only store is at exactly ``latest``; return its version."""
    with db.read() as conn:
        version = stored_version(conn, db.path)
    if version > latest:
        raise _too_new(db.path, version, latest)
    if version < latest:
        raise SchemaTooOldError(
            f"{db.path} has schema version {version}, older than {latest}: start the runner "
            "once (it migrates the store), then read it again"
        )
    return version
