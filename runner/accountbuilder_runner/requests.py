"""Operator requests to a running bot (``accountbuilder halt reset``), as files beside the store.

The CLI writes one JSON file per request (atomically); the runner takes them at the start of a
tick (or at its next start when it is not running) and hands them to the core as
``HaltResetRequested`` events. The core records the reset in the halt log (SPEC E5).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from accountbuilder.domain.events import HaltResetRequested


def request_dir(store_path: str | Path) -> Path:
    return Path(f"{store_path}.requests")


def write_reset_request(store_path: str | Path, reason: str, who: str, now_ms: int) -> Path:
    folder = request_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"reset-{now_ms}-{os.getpid()}.json"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"kind": "halt_reset", "reason": reason, "who": who, "ts_ms": now_ms})
    )
    os.replace(tmp, target)  # readers never see half a file
    return target


def take_requests(store_path: str | Path, now_ms: int) -> list[HaltResetRequested]:
    """Read and remove pending requests, oldest first; unreadable files are left for a human."""
    folder = request_dir(store_path)
    if not folder.is_dir():
        return []
    taken = []
    for path in sorted(folder.glob("reset-*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        path.unlink(missing_ok=True)
        taken.append(
            HaltResetRequested(
                exchange_ts_ms=int(data["ts_ms"]),
                local_ts_ms=now_ms,
                reason=str(data["reason"]),
                who=str(data["who"]),
            )
        )
    return taken
