"""Session state (SPEC I4): one JSON document, saved as numbered revisions.

Each save adds revision ``n + 1`` in one durable transaction and prunes all but the newest
``keep`` revisions (at least 2), so the previous revision is always there. A revision carries
the SHA-256 of its JSON; a load that finds the newest one damaged falls back to the newest
intact one, and raises ``SessionCorruptError`` if none is intact: a damaged store must never
look like a fresh start (that would forget a HALT).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accountbuilder.records.codec import dumps
from accountbuilder.store.errors import SessionCorruptError

MIN_KEEP = 2


@dataclass(frozen=True, slots=True)
class SessionRevision:
    """A loaded session document. ``skipped`` lists newer revisions found damaged."""

    revision: int
    ts_ms: int
    doc: dict[str, Any]
    skipped: tuple[int, ...] = ()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def insert_revision(conn: sqlite3.Connection, doc: Mapping[str, Any], ts_ms: int, keep: int) -> int:
    """Store ``doc`` as the next revision (inside the caller's transaction); return it."""
    if not isinstance(doc, Mapping):
        raise TypeError(f"the session document must be a mapping, not {type(doc).__name__}")
    text = dumps(doc)
    latest = conn.execute("SELECT COALESCE(MAX(revision), 0) FROM session").fetchone()[0]
    revision = latest + 1
    conn.execute(
        "INSERT INTO session (revision, ts_ms, doc_json, doc_sha256) VALUES (?, ?, ?, ?)",
        (revision, ts_ms, text, _sha256(text)),
    )
    conn.execute("DELETE FROM session WHERE revision <= ?", (revision - max(keep, MIN_KEEP),))
    return revision


def latest_revision(conn: sqlite3.Connection) -> SessionRevision | None:
    """The newest intact revision, or None when no session was ever saved."""
    skipped: list[int] = []
    rows = conn.execute(
        "SELECT revision, ts_ms, doc_json, doc_sha256 FROM session ORDER BY revision DESC"
    )
    for revision, ts_ms, text, digest in rows:
        doc = _decode(text, digest)
        if doc is None:
            skipped.append(revision)
            continue
        return SessionRevision(revision, ts_ms, doc, tuple(skipped))
    if skipped:
        raise SessionCorruptError(
            f"every stored session revision is damaged ({skipped}); refusing to start as if "
            "fresh. Restore the store from a backup, or reconcile by hand."
        )
    return None


def _decode(text: Any, digest: str) -> dict[str, Any] | None:
    if not isinstance(text, str) or _sha256(text) != digest:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def revisions(conn: sqlite3.Connection) -> list[int]:
    """The revision numbers kept, oldest first."""
    return [r[0] for r in conn.execute("SELECT revision FROM session ORDER BY revision")]
