"""The dry run's simulated account on disk: one JSON file beside the store (issue 20).

The simulated exchange is not the bot: its account lives in its own file, as Bybit's lives on
Bybit, and the bot reconciles with it at start as it does live. The file is replaced
atomically (written, fsynced, renamed) after every change, so a SIGKILL leaves the last
complete account. ``dry_run`` holds how the account started (shown in the summary).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any


class AccountFileError(ValueError):
    """The file exists but is not a dry account this version can read."""


@dataclass(frozen=True, slots=True)
class DryOrigin:
    """How the dry account started: its equity in USD at the first mark, and when."""

    start_equity_usd: Decimal
    started_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"start_equity_usd": str(self.start_equity_usd), "started_ms": self.started_ms}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DryOrigin:
        return cls(Decimal(d["start_equity_usd"]), int(d["started_ms"]))


def account_path(store: Path) -> Path:
    """``state/dryrun.sqlite`` → ``state/dryrun-exchange.json``."""
    return store.with_name(f"{store.stem}-exchange.json")


class AccountFile:
    """Read once at start, replaced after every change of the simulated account."""

    def __init__(self, path: Path, origin: DryOrigin) -> None:
        self.path, self.origin = path, origin
        self.saves = 0

    @classmethod
    def load(cls, path: Path, fresh: DryOrigin) -> tuple[AccountFile, dict[str, Any] | None]:
        """The file and the saved account (None: a new dry account starting as ``fresh``)."""
        if not path.exists():
            return cls(path, fresh), None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, DryOrigin.from_dict(doc["dry_run"])), doc["account"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise AccountFileError(f"{path}: not a dry account ({type(e).__name__}: {e})") from e

    def save(self, account: dict[str, Any]) -> None:
        doc = {"dry_run": self.origin.to_dict(), "account": account}
        tmp = self.path.with_suffix(".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(doc, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)  # a reader (or a restart) never sees half a file
        self.saves += 1
