"""Files that hold secrets (API keys, notification URLs with tokens): read only when they are a
regular file of this user that nobody else can read (mode 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_private_text(path: Path, what: str, error: type[Exception]) -> str:
    """The text of ``path``; ``error(message)`` naming ``what`` and the fix when it is not
    a regular 0600 file of ours."""
    try:
        info = path.stat()
    except OSError as e:
        raise error(f"{what} {path}: {e.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{what} {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077 or not mode & stat.S_IRUSR:
        raise error(f"{what} {path} has mode {mode:04o}; it must be 0600 (chmod 600 {path})")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise error(f"{what} {path} belongs to another user")
    return path.read_text(encoding="utf-8")
