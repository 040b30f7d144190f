"""Order intents (SPEC G2, I4): what the runner is about to send, committed before it is sent.

Lifecycle ``recorded → sent → acked | rejected | unknown → resolved``, checked against
``TRANSITIONS``; every change is also appended to ``intent_transitions``. A client id is
placed at most once: a second *place* intent with the same client id is refused
(``DuplicateIntentError``), which is the idempotency guarantee of SPEC G2. Amend and cancel
intents name the client id of the order they act on, so they are not unique by client id.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from accountbuilder.domain.enums import OrderRole
from accountbuilder.records.codec import dumps, loads
from accountbuilder.store.errors import (
    DuplicateIntentError,
    IntentTransitionError,
    UnknownIntentError,
)

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,36}")  # Bybit orderLinkId (SPEC G1)


class IntentStatus(StrEnum):
    RECORDED = "recorded"
    SENT = "sent"
    ACKED = "acked"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    RESOLVED = "resolved"


class IntentAction(StrEnum):
    PLACE = "place"
    AMEND = "amend"
    CANCEL = "cancel"


S = IntentStatus
TRANSITIONS: dict[IntentStatus, frozenset[IntentStatus]] = {
    S.RECORDED: frozenset(
        {
            S.SENT,  # handed to the exchange
            S.UNKNOWN,  # found at restart: the crash may have come after the send
            S.RESOLVED,  # dropped before it was sent (nothing went out)
        }
    ),
    S.SENT: frozenset(
        {
            S.ACKED,  # the exchange accepted it (or answered "duplicate id": already placed)
            S.REJECTED,  # the exchange answered and refused it
            S.UNKNOWN,  # timeout / connection lost: look the client id up (G2)
        }
    ),
    S.UNKNOWN: frozenset(
        {
            S.ACKED,  # the lookup found the order
            S.REJECTED,  # the lookup found it refused
            S.SENT,  # the lookup found nothing: sent again under the same client id (G2)
            S.RESOLVED,  # the lookup found nothing and the intent is dropped
        }
    ),
    S.ACKED: frozenset({S.RESOLVED}),  # the order is final (filled, cancelled) and accounted
    S.REJECTED: frozenset({S.RESOLVED}),  # the refusal has been handled
    S.RESOLVED: frozenset(),
}
del S


@dataclass(frozen=True, slots=True)
class IntentRecord:
    """One intent as stored. ``command`` is the decoded ``command_json``."""

    intent_id: str
    client_id: str
    action: IntentAction
    role: OrderRole
    command: Any
    status: IntentStatus
    detail: str | None
    created_ts_ms: int
    updated_ts_ms: int

    @property
    def is_open(self) -> bool:
        """Not yet resolved: restart recovery must look at it."""
        return self.status is not IntentStatus.RESOLVED


_COLUMNS = (
    "intent_id, client_id, action, role, command_json, status, detail, created_ts_ms, updated_ts_ms"
)


def _row_to_intent(row: tuple[Any, ...]) -> IntentRecord:
    iid, cid, action, role, command, status, detail, created, updated = row
    return IntentRecord(
        iid,
        cid,
        IntentAction(action),
        OrderRole(role),
        loads(command),
        IntentStatus(status),
        detail,
        created,
        updated,
    )


def _command_text(command: str | Mapping[str, Any]) -> str:
    if isinstance(command, str):
        loads(command)  # must be JSON; raises ValueError otherwise
        return command
    return dumps(command)


def insert_intent(
    conn: sqlite3.Connection,
    intent_id: str,
    client_id: str,
    role: OrderRole | str,
    command: str | Mapping[str, Any],
    ts_ms: int,
    action: IntentAction,
) -> IntentRecord:
    """Insert a new intent in status ``recorded`` (inside the caller's write transaction)."""
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise ValueError(f"client id {client_id!r} is not 1-36 chars of [A-Za-z0-9_-] (G1)")
    role = OrderRole(role)
    if fetch_intent(conn, intent_id) is not None:
        raise DuplicateIntentError(f"intent {intent_id!r} is already recorded")
    if action is IntentAction.PLACE and place_intent_for(conn, client_id) is not None:
        raise DuplicateIntentError(
            f"client id {client_id!r} already has a place intent: it is sent at most once (G2)"
        )
    text = _command_text(command)
    try:
        conn.execute(
            f"INSERT INTO intents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            (intent_id, client_id, action.value, role.value, text, "recorded", ts_ms, ts_ms),
        )
    except sqlite3.IntegrityError as e:  # another writer got there between check and insert
        raise DuplicateIntentError(f"intent {intent_id!r} / client id {client_id!r}: {e}") from e
    _log_transition(conn, intent_id, None, IntentStatus.RECORDED, None, ts_ms)
    return IntentRecord(
        intent_id, client_id, action, role, loads(text), IntentStatus.RECORDED, None, ts_ms, ts_ms
    )


def update_status(
    conn: sqlite3.Connection,
    intent_id: str,
    status: IntentStatus | str,
    ts_ms: int,
    detail: str | None,
) -> IntentRecord:
    """Move an intent to ``status`` if the lifecycle allows it; same status is a no-op."""
    status = IntentStatus(status)
    current = fetch_intent(conn, intent_id)
    if current is None:
        raise UnknownIntentError(f"no intent {intent_id!r}")
    if status is current.status:
        return current  # e.g. an ack seen by WS and by the REST answer
    if status not in TRANSITIONS[current.status]:
        raise IntentTransitionError(
            f"intent {intent_id!r}: {current.status.value} → {status.value} is not allowed"
        )
    conn.execute(
        "UPDATE intents SET status = ?, detail = ?, updated_ts_ms = ? WHERE intent_id = ?",
        (status.value, detail, ts_ms, intent_id),
    )
    _log_transition(conn, intent_id, current.status, status, detail, ts_ms)
    return fetch_intent(conn, intent_id)


def _log_transition(
    conn: sqlite3.Connection,
    intent_id: str,
    from_status: IntentStatus | None,
    to_status: IntentStatus,
    detail: str | None,
    ts_ms: int,
) -> None:
    conn.execute(
        "INSERT INTO intent_transitions (intent_id, from_status, to_status, detail, ts_ms) "
        "VALUES (?, ?, ?, ?, ?)",
        (intent_id, from_status and from_status.value, to_status.value, detail, ts_ms),
    )


def fetch_intent(conn: sqlite3.Connection, intent_id: str) -> IntentRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM intents WHERE intent_id = ?", (intent_id,))
    found = row.fetchone()
    return None if found is None else _row_to_intent(found)


def place_intent_for(conn: sqlite3.Connection, client_id: str) -> IntentRecord | None:
    """The place intent of ``client_id``, if any."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM intents WHERE client_id = ? AND action = 'place'", (client_id,)
    ).fetchone()
    return None if row is None else _row_to_intent(row)


def open_intents(conn: sqlite3.Connection) -> list[IntentRecord]:
    """Every intent not yet resolved, oldest first (restart recovery, SPEC I4)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM intents WHERE status <> 'resolved' ORDER BY created_ts_ms, rowid"
    )
    return [_row_to_intent(r) for r in rows]


def intent_history(conn: sqlite3.Connection, intent_id: str) -> list[tuple[str | None, str, int]]:
    """The status changes of an intent as ``(from, to, ts_ms)``, oldest first."""
    rows = conn.execute(
        "SELECT from_status, to_status, ts_ms FROM intent_transitions WHERE intent_id = ? "
        "ORDER BY id",
        (intent_id,),
    )
    return [tuple(r) for r in rows]
