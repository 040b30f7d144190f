"""Signal ids and client order ids (SPEC G1), validated before any send.

``signal_id`` = SHA-1 of (symbol, direction, grid level, spacing, signal time bucket), hex,
shortened so that every client id fits; ``orderLinkId = {signal_id}_{direction}`` plus the
order's role/attempt suffix, always ≤ 36 characters of ``[A-Za-z0-9_-]``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from accountbuilder.constants import CLIENT_ID_ALPHABET, CLIENT_ID_MAX_LEN
from accountbuilder.domain.enums import OrderRole, Side

SIGNAL_ID_LEN = 20  # 80 bits of SHA-1: collisions are negligible over the account's life
_DIRECTION = {Side.LONG: "L", Side.SHORT: "S"}
MAX_ATTEMPT = 999


class InvalidClientId(ValueError):
    """A client id that breaks G1 — a bug in the caller: never sent."""


def signal_id(symbol: str, side: Side, level: Decimal, spacing_pct: Decimal, bucket: int) -> str:
    """The G1 signal id: deterministic for the same signal, different for any other."""
    key = f"{symbol}|{side.value}|{level.normalize()}|{spacing_pct.normalize()}|{bucket}"
    return hashlib.sha1(key.encode()).hexdigest()[:SIGNAL_ID_LEN]


def client_id(signal: str, side: Side, role: OrderRole, attempt: int = 0) -> str:
    """``{signal_id}_{direction}`` + ``_{role}{attempt}``, validated (G1)."""
    if not 0 <= attempt <= MAX_ATTEMPT:
        raise InvalidClientId(f"attempt {attempt} outside 0..{MAX_ATTEMPT}")
    cid = f"{signal}_{_DIRECTION[side]}_{role.value}{attempt}"
    validate_client_id(cid)
    return cid


def validate_client_id(cid: str) -> str:
    """Raise ``InvalidClientId`` unless ``cid`` is ≤ 36 chars of ``[A-Za-z0-9_-]``."""
    if not cid or len(cid) > CLIENT_ID_MAX_LEN:
        raise InvalidClientId(
            f"client id {cid!r} has {len(cid)} characters (1..{CLIENT_ID_MAX_LEN})"
        )
    bad = sorted(set(cid) - CLIENT_ID_ALPHABET)
    if bad:
        raise InvalidClientId(f"client id {cid!r} has characters outside [A-Za-z0-9_-]: {bad}")
    return cid


def parse_client_id(cid: str) -> tuple[str, Side, OrderRole, int] | None:
    """Split a client id made by ``client_id``; ``None`` for ids this bot did not make."""
    parts = cid.split("_")
    if len(parts) != 3 or parts[1] not in ("L", "S") or len(parts[2]) < 3:
        return None
    try:
        role = OrderRole(parts[2][:2])
        attempt = int(parts[2][2:])
    except ValueError:
        return None
    side = Side.LONG if parts[1] == "L" else Side.SHORT
    return parts[0], side, role, attempt
