"""Internal errors: a bug is reported in one line with the path of its traceback file.

``report`` writes the traceback to ``<tmp>/accountbuilder/crash-<UTC time>-<pid>.txt`` and
returns the line to print; the CLI then exits ``EXIT_INTERNAL`` (70, ``EX_SOFTWARE``), which
tells a crash from a run that ended halted (1) or bad input (2).
"""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

EXIT_INTERNAL = 70


def crash_dir() -> Path:
    return Path(tempfile.gettempdir()) / "accountbuilder"


def report(error: BaseException, command: str) -> str:
    """Write ``error``'s traceback to a file; return the one-line message naming it."""
    folder = crash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"crash-{stamp}-{os.getpid()}.txt"
    text = "".join(traceback.format_exception(error))
    path.write_text(f"accountbuilder {command}\n{text}", encoding="utf-8")
    first = f"{type(error).__name__}: {error}".splitlines()[0]
    return f"accountbuilder {command}: internal error: {first} (traceback in {path})"
