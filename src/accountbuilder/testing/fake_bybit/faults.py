"""Fault injection for the fake Bybit: queued, counted, optionally limited to one REST path."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MALFORMED_KINDS = frozenset({"missing_fields", "nan", "empty_result", "no_retcode", "not_json"})
Rewrite = Callable[[dict[str, Any]], Any]


@dataclass(slots=True)
class Fault:
    """One queued fault; ``path`` None matches every REST path."""

    kind: str
    path: str | None
    remaining: int
    seconds: float = 0.0
    fields: tuple[str, ...] | None = None
    rewrite: Rewrite | None = None


class Faults:
    """Queued REST faults (consumed first-come per matching request) and WS switches."""

    def __init__(self) -> None:
        self.queue: list[Fault] = []
        self.ws_stalled = False
        self.clock_shift_ms = 0

    def shift_clock(self, ms: int) -> None:
        """Run the server's clock ``ms`` ahead (negative: behind) of the real one: signatures,
        ``market/time``, envelope ``time`` and stream times all use the shifted clock, so a
        client that does not correct for it gets 10002 once it is off by the recv window."""
        self.clock_shift_ms = ms

    def rate_limit(self, n: int = 1, path: str | None = None) -> None:
        """Answer the next ``n`` requests with ``retCode 10006`` (not processed)."""
        self.queue.append(Fault("rate_limit", path, n))

    def http_403(self, n: int = 1, path: str | None = None) -> None:
        """Answer the next ``n`` requests with HTTP 403 "access too frequent" (not processed)."""
        self.queue.append(Fault("http_403", path, n))

    def delay_response(
        self, path: str = "/v5/order/create", seconds: float = 5.0, n: int = 1
    ) -> None:
        """Process the next ``n`` requests, then answer ``seconds`` late (client timeout)."""
        self.queue.append(Fault("delay", path, n, seconds=seconds))

    def drop_connection(self, path: str = "/v5/order/create", n: int = 1) -> None:
        """Process the next ``n`` requests, then close the TCP connection without answering."""
        self.queue.append(Fault("drop", path, n))

    def malformed(
        self,
        path: str,
        kind: str = "missing_fields",
        n: int = 1,
        fields: tuple[str, ...] | None = None,
    ) -> None:
        """Corrupt the next ``n`` answers of ``path`` (the request is processed).

        ``missing_fields`` removes ``fields`` (default: every numeric string field) from the
        result and its rows; ``nan`` sets them to ``"NaN"``; ``empty_result`` sends
        ``result: {}``; ``no_retcode`` drops ``retCode``; ``not_json`` sends an HTML body.
        """
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"unknown malformed kind {kind!r}; one of {sorted(MALFORMED_KINDS)}")
        self.queue.append(Fault(kind, path, n, fields=fields))

    def rewrite(self, path: str, change: Rewrite, n: int = 1) -> None:
        """Process the next ``n`` requests of ``path``, then answer ``change(envelope)``:
        any shape a test wants (``list: null``, foreign rows, ``side "Long"`` ...)."""
        self.queue.append(Fault("rewrite", path, n, rewrite=change))

    def clear(self) -> None:
        """Drop every queued fault, resume WS and put the clock back."""
        self.queue.clear()
        self.ws_stalled = False
        self.clock_shift_ms = 0

    def take(self, path: str, kinds: frozenset[str]) -> Fault | None:
        """Consume one use of the first queued fault of ``kinds`` that matches ``path``."""
        for fault in self.queue:
            if fault.kind in kinds and fault.path in (None, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.queue.remove(fault)
                return fault
        return None


def corrupt(envelope: dict[str, Any], fault: Fault) -> str:
    """Serialise ``envelope`` with the malformation ``fault`` asks for."""
    if fault.kind == "not_json":
        return "<html><body>502 Bad Gateway</body></html>"
    if fault.kind == "rewrite" and fault.rewrite is not None:
        return json.dumps(fault.rewrite(envelope))
    if fault.kind == "no_retcode":
        envelope.pop("retCode", None)
    elif fault.kind == "empty_result":
        envelope["result"] = {}
    else:
        result = envelope.get("result") or {}
        for row in [result, *result.get("list", []), *_coins(result)]:
            _damage(row, fault)
    return json.dumps(envelope)


def _coins(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for entry in result.get("list", []) for c in entry.get("coin", [])]


def _damage(row: dict[str, Any], fault: Fault) -> None:
    for key in [
        k for k in row if k in (fault.fields or ()) or (not fault.fields and _numeric(row[k]))
    ]:
        if fault.kind == "nan":
            row[key] = "NaN"
        else:
            del row[key]


def _numeric(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False
