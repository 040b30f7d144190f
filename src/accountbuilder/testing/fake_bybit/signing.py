"""Bybit V5 HMAC-SHA256 signatures, verified on the raw bytes as received (reference §1.5)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from accountbuilder.testing.fake_bybit.config import ApiKey

DEFAULT_RECV_WINDOW_MS = 5000


def _hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def rest_signature(
    secret: str, timestamp: str, api_key: str, recv_window: str, payload: str
) -> str:
    """Sign ``timestamp + apiKey + recvWindow + payload`` (raw query for GET, raw body for POST)."""
    return _hmac_hex(secret, timestamp + api_key + recv_window + payload)


def ws_signature(secret: str, expires: str) -> str:
    """Sign the private-WS auth string ``"GET/realtime" + expires``."""
    return _hmac_hex(secret, "GET/realtime" + expires)


def check_rest_auth(
    headers: Mapping[str, str], payload: str, keys: Mapping[str, ApiKey], now_ms: int
) -> tuple[int, str] | None:
    """Return ``(retCode, retMsg)`` for a request that fails authentication, else None.

    Order of checks: unknown key (10003), timestamp outside the recv window (10002; Bybit
    accepts ``server − recvWindow ≤ ts < server + 1000``), bad signature (10004).
    """
    api_key = headers.get("X-BAPI-API-KEY", "")
    if api_key not in keys:
        return 10003, "API key is invalid."
    recv = headers.get("X-BAPI-RECV-WINDOW", str(DEFAULT_RECV_WINDOW_MS))
    stamp = headers.get("X-BAPI-TIMESTAMP", "")
    if not (stamp.isdigit() and recv.isdigit()):
        return 10002, "invalid request, please check your timestamp or recv_window param"
    if not now_ms - int(recv) <= int(stamp) < now_ms + 1000:
        return 10002, (
            "invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{stamp}],server_timestamp[{now_ms}],recv_window[{recv}]"
        )
    expected = rest_signature(keys[api_key].secret, stamp, api_key, recv, payload)
    if not hmac.compare_digest(expected, headers.get("X-BAPI-SIGN", "")):
        return 10004, "error sign! please check your signature"
    return None
