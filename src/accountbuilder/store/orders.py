"""The order lifecycle, persisted (SPEC G2, I4): one row per order, one row per accepted move.

The core moves each order through ``domain.lifecycle`` and hands the accepted moves over;
this module writes them — the creation (phase ``intent``) before the order is sent, every
later change as it is learnt — and re-checks each against the same table, so the store can
never hold a move the lifecycle forbids. A client id is placed at most once (G2): a second
creation raises ``DuplicateIntentError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accountbuilder.core.codec import spec_to_dict
from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.lifecycle import LIVE_PHASES, OrderPhase, OrderTransition, apply
from accountbuilder.records.codec import dumps, loads
from accountbuilder.store.errors import DuplicateIntentError, IntentTransitionError

PHASES = "(" + ", ".join(f"'{p.value}'" for p in OrderPhase) + ")"
_LIVE = "(" + ", ".join(f"'{p.value}'" for p in sorted(LIVE_PHASES)) + ")"


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order as stored. ``spec`` is the committed order (decoded JSON)."""

    client_id: str
    signal_id: str
    role: OrderRole
    spec: Any
    phase: OrderPhase
    detail: str | None
    created_ts_ms: int
    updated_ts_ms: int

    @property
    def is_live(self) -> bool:
        return self.phase.is_live


_COLUMNS = "client_id, signal_id, role, spec_json, phase, detail, created_ts_ms, updated_ts_ms"


def _row(row: tuple[Any, ...]) -> OrderRecord:
    cid, sid, role, spec, phase, detail, created, updated = row
    return OrderRecord(
        cid, sid, OrderRole(role), loads(spec), OrderPhase(phase), detail, created, updated
    )


def record_moves(conn: sqlite3.Connection, moves: Iterable[OrderTransition]) -> None:
    """Write ``moves`` in order (inside the caller's write transaction)."""
    for move in moves:
        if move.source is None:
            _create(conn, move)
        else:
            _move(conn, move)


def _create(conn: sqlite3.Connection, move: OrderTransition) -> None:
    assert move.spec is not None
    try:
        conn.execute(
            f"INSERT INTO orders ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                move.client_id,
                move.signal_id,
                move.role.value,
                dumps(spec_to_dict(move.spec)),
                move.target.value,
                move.detail,
                move.ts_ms,
                move.ts_ms,
            ),
        )
    except sqlite3.IntegrityError as e:
        raise DuplicateIntentError(
            f"client id {move.client_id!r} already has an order: it is sent at most once (G2)"
        ) from e
    _log(conn, move)


def _move(conn: sqlite3.Connection, move: OrderTransition) -> None:
    current = fetch_order(conn, move.client_id)
    if current is None:
        raise IntentTransitionError(f"no order {move.client_id!r} to move")
    checked = apply(current.phase, move.event) if move.event is not None else None
    if checked is None or not hasattr(checked, "target") or checked.target is not move.target:
        raise IntentTransitionError(
            f"order {move.client_id!r}: {current.phase.value} --{move.event}--> "
            f"{move.target.value} is not in the lifecycle table"
        )
    conn.execute(
        "UPDATE orders SET phase = ?, detail = ?, updated_ts_ms = ? WHERE client_id = ?",
        (move.target.value, move.detail, move.ts_ms, move.client_id),
    )
    _log(conn, move)


def _log(conn: sqlite3.Connection, move: OrderTransition) -> None:
    conn.execute(
        "INSERT INTO order_transitions (client_id, from_phase, to_phase, event, detail, ts_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            move.client_id,
            move.source and move.source.value,
            move.target.value,
            move.event and move.event.value,
            move.detail,
            move.ts_ms,
        ),
    )


def fetch_order(conn: sqlite3.Connection, client_id: str) -> OrderRecord | None:
    found = conn.execute(
        f"SELECT {_COLUMNS} FROM orders WHERE client_id = ?", (client_id,)
    ).fetchone()
    return None if found is None else _row(found)


def live_orders(conn: sqlite3.Connection) -> list[OrderRecord]:
    """Every order that may still rest, fill or protect, oldest first (restart, status)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM orders WHERE phase IN {_LIVE} ORDER BY created_ts_ms, rowid"
    )
    return [_row(r) for r in rows]


def order_history(
    conn: sqlite3.Connection, client_id: str
) -> list[tuple[str | None, str, str | None, int]]:
    """The moves of an order as ``(from, to, event, ts_ms)``, oldest first."""
    rows = conn.execute(
        "SELECT from_phase, to_phase, event, ts_ms FROM order_transitions WHERE client_id = ? "
        "ORDER BY id",
        (client_id,),
    )
    return [tuple(r) for r in rows]


def all_orders(conn: sqlite3.Connection) -> list[OrderRecord]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM orders ORDER BY created_ts_ms, rowid")
    return [_row(r) for r in rows]
