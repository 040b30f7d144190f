"""Rows about the running process rather than the account: who holds the store (``owners``),
the REST calls of the last 60 s (``rest_calls``, SPEC F1 across restarts) and what became of
each operator request (``operator_requests``, SPEC E5). Functions take an open connection."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from accountbuilder.store.lock import Holder


@dataclass(frozen=True, slots=True)
class OwnerRecord:
    """A process that took the store's lock, and in which mode (``live`` or ``paper``)."""

    holder: Holder
    mode: str


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    """An operator request as taken from the queue, and the runner's answer to it."""

    request_id: str
    kind: str
    who: str
    why: str
    filed_ts_ms: int | None
    taken_ts_ms: int
    outcome: str  # "applied" or "refused"
    detail: str


def insert_owner(conn: sqlite3.Connection, owner: OwnerRecord) -> None:
    h = owner.holder
    conn.execute(
        "INSERT INTO owners (pid, started_ts_ms, host, command, mode) VALUES (?, ?, ?, ?, ?)",
        (h.pid, h.started_ms, h.host, h.command, owner.mode),
    )


def last_owner(conn: sqlite3.Connection) -> OwnerRecord | None:
    row = conn.execute(
        "SELECT pid, started_ts_ms, host, command, mode FROM owners ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else OwnerRecord(Holder(*row[:4]), row[4])


def insert_rest_call(
    conn: sqlite3.Connection, ts_ms: int, protective: bool, window_ms: int
) -> None:
    """Record a granted call and forget the calls that have left the window."""
    conn.execute("DELETE FROM rest_calls WHERE ts_ms < ?", (ts_ms - window_ms,))
    conn.execute(
        "INSERT INTO rest_calls (ts_ms, protective) VALUES (?, ?)", (ts_ms, int(protective))
    )


def rest_calls_since(conn: sqlite3.Connection, since_ms: int) -> list[int]:
    """Timestamps of the recorded calls at or after ``since_ms``, oldest first."""
    rows = conn.execute(
        "SELECT ts_ms FROM rest_calls WHERE ts_ms >= ? ORDER BY ts_ms, id", (since_ms,)
    )
    return [r[0] for r in rows]


def insert_request(conn: sqlite3.Connection, r: RequestOutcome) -> bool:
    """Record a request's outcome; False when that request id was already answered."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO operator_requests (request_id, kind, who, why, filed_ts_ms, "
        "taken_ts_ms, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (r.request_id, r.kind, r.who, r.why, r.filed_ts_ms, r.taken_ts_ms, r.outcome, r.detail),
    )
    return cursor.rowcount == 1


def answered(conn: sqlite3.Connection, request_id: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM operator_requests WHERE request_id = ?", (request_id,)
    ).fetchone()
    return row is not None


def recent_requests(conn: sqlite3.Connection, limit: int) -> list[RequestOutcome]:
    rows = conn.execute(
        "SELECT request_id, kind, who, why, filed_ts_ms, taken_ts_ms, outcome, detail "
        "FROM operator_requests ORDER BY taken_ts_ms DESC, rowid DESC LIMIT ?",
        (limit,),
    )
    return [RequestOutcome(*row) for row in rows]
