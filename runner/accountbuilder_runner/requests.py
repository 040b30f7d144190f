"""Operator requests to a running bot (``accountbuilder halt reset``): a queue of files beside the
store, each answered in the store (SPEC E5).

The CLI writes one JSON file per request under a name no other request can take (time in ns,
PID and a random part), atomically. The runner takes every file at the start of a tick (or at its next
start when it is not running). A well-formed request goes to the core as a
``HaltResetRequested`` event; a malformed one (not JSON, not an object, a blank ``who`` or
``reason``...) is refused at once. Each request gets one row in the store's
``operator_requests`` table, ``applied`` or ``refused`` with the reason, and its file is removed
only after that row is committed. A file whose request is already answered (a crash came between
the row and the removal) is removed without being applied twice.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from accountbuilder.core.kit import Outbox
from accountbuilder.domain.events import HaltResetRequested
from accountbuilder.emergency.halt_log import HaltLogEvent
from accountbuilder.store.runtime import RequestOutcome
from accountbuilder.store.sqlite_store import SqliteStore

KIND = "halt_reset"
MAX_FILE_BYTES = 16 * 1024
MAX_WHO_CHARS, MAX_REASON_CHARS = 100, 1_000
REFUSED_NOTE = "halt reset refused: "  # the core's note when it refuses a reset


@dataclass(frozen=True, slots=True)
class ResetRequest:
    """A well-formed ``halt reset`` request as filed."""

    reason: str
    who: str
    ts_ms: int


def request_dir(store_path: str | Path) -> Path:
    return Path(f"{store_path}.requests")


def check_text(value: Any, name: str, limit: int) -> str | None:
    """Why ``value`` cannot be a request's ``who``/``reason`` (None: it can)."""
    if not isinstance(value, str):
        return f"{name} is not text"
    if not value.strip():
        return f"{name} is blank"
    if len(value) > limit:
        return f"{name} is longer than {limit} characters"
    if not value.isprintable():
        return f"{name} holds control characters"
    return None


def write_reset_request(store_path: str | Path, reason: str, who: str, now_ms: int) -> Path:
    """File a request under a name of its own; readers never see half a file."""
    folder = request_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    # Names sort in filing order (nanoseconds), and are unique (PID, random part).
    name = f"reset-{time.time_ns():019d}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    target = folder / f"{name}.json"
    tmp = folder / f".{name}.tmp"  # not matched by the reader's glob
    tmp.write_text(json.dumps({"kind": KIND, "reason": reason, "who": who, "ts_ms": now_ms}))
    os.replace(tmp, target)
    return target


def pending_requests(store_path: str | Path) -> list[Path]:
    """Request files waiting to be taken, oldest first (for ``status``)."""
    folder = request_dir(store_path)
    return sorted(folder.glob("reset-*.json")) if folder.is_dir() else []


def parse_request(data: bytes) -> ResetRequest | str:
    """The request in ``data``, or why it is refused."""
    if len(data) > MAX_FILE_BYTES:
        return f"file of {len(data)} bytes (limit {MAX_FILE_BYTES})"
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "not a JSON document"
    if not isinstance(doc, dict):
        return f"not a JSON object (a {type(doc).__name__})"
    if doc.get("kind") != KIND:
        return f"kind is not {KIND!r}"
    problem = check_text(doc.get("who"), "who", MAX_WHO_CHARS) or check_text(
        doc.get("reason"), "reason", MAX_REASON_CHARS
    )
    if problem:
        return problem
    ts = doc.get("ts_ms")
    if isinstance(ts, bool) or not isinstance(ts, int) or not 0 <= ts < 2**53:
        return "ts_ms is not a time in UTC milliseconds"
    return ResetRequest(doc["reason"].strip(), doc["who"].strip(), ts)


@dataclass
class RequestQueue:
    """Takes the request files of a store and answers each one in the store."""

    store_path: Path
    store: SqliteStore
    taken: list[tuple[Path, ResetRequest]] = field(default_factory=list)

    def take(self, now_ms: int) -> list[HaltResetRequested]:
        """The well-formed requests waiting, as core events; malformed ones are refused now.

        Requests taken by a tick that failed before ``settle`` are still on disk: taken again.
        """
        self.taken, events = [], []
        for path in pending_requests(self.store_path):
            if self.store.request_answered(path.stem):
                path.unlink(missing_ok=True)  # answered before a crash removed the file
                continue
            try:
                found = parse_request(_read_head(path))
            except OSError as e:
                found = f"unreadable: {e.strerror}"
            if isinstance(found, str):
                self._answer(path, None, now_ms, "refused", f"malformed request: {found}")
                continue
            self.taken.append((path, found))
            events.append(
                HaltResetRequested(
                    exchange_ts_ms=found.ts_ms,
                    local_ts_ms=now_ms,
                    reason=found.reason,
                    who=found.who,
                )
            )
        return events

    def settle(self, now_ms: int, out: Outbox) -> None:
        """Answer the requests of this tick from the core's outbox (after it is committed)."""
        resets = [h for h in out.halts if h.event is HaltLogEvent.RESET]
        notes = [n.removeprefix(REFUSED_NOTE) for n in out.notes if n.startswith(REFUSED_NOTE)]
        for path, request in self.taken:
            if resets and (resets[0].who, resets[0].why) == (request.who, request.reason):
                resets.pop(0)
                self._answer(path, request, now_ms, "applied", "HALT lifted (halt log: reset)")
            else:
                why = notes.pop(0) if notes else "the core did not apply it"
                self._answer(path, request, now_ms, "refused", why)
        self.taken = []

    def _answer(
        self, path: Path, request: ResetRequest | None, now_ms: int, outcome: str, detail: str
    ) -> None:
        record = RequestOutcome(
            request_id=path.stem,
            kind=KIND,
            who=request.who if request else "",
            why=request.reason if request else "",
            filed_ts_ms=request.ts_ms if request else None,
            taken_ts_ms=now_ms,
            outcome=outcome,
            detail=detail,
        )
        self.store.record_request(record)
        path.unlink(missing_ok=True)
        log = logger.info if outcome == "applied" else logger.warning
        log("E5: halt reset request {} {}: {}", path.name, outcome, detail)


def _read_head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(MAX_FILE_BYTES + 1)
