"""One writing process per store: an exclusive OS lock on ``<store>.lock``, held for life.

``fcntl.flock`` on a file beside the store: the kernel releases it when the holder dies (even by
SIGKILL), so a stale lock never blocks a restart. The lock file also holds the holder's PID,
start time, host and command (JSON), so a refused second process can name who holds the store;
a taker that finds a dead holder's record says it took over. The lock file is never deleted:
deleting it while held would let a second process lock a new file of the same name.
Readers (``accountbuilder status``) take no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from accountbuilder.store.errors import StoreError, StoreLockedError

MAX_COMMAND_CHARS = 300


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds (or last held) a store."""

    pid: int
    started_ms: int
    host: str
    command: str

    @classmethod
    def this_process(cls, started_ms: int) -> Holder:
        command = " ".join(sys.argv)[:MAX_COMMAND_CHARS]
        return cls(os.getpid(), started_ms, socket.gethostname(), command)

    def describe(self) -> str:
        started = datetime.fromtimestamp(self.started_ms / 1000, UTC).isoformat(timespec="seconds")
        return f"pid {self.pid} on {self.host}, started {started}: {self.command}"

    def alive(self) -> bool:
        """Whether a process with this PID runs on this host (it may have been reused)."""
        if self.host != socket.gethostname():
            return True  # cannot tell: assume it does
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def locked_error(store: str | Path, holder: Holder | None) -> StoreLockedError:
    """The refusal a second process gets: who holds the store, and what to do."""
    who = holder.describe() if holder else "a process that left no record"
    error = StoreLockedError(
        f"{store} is in use by {who}. Stop that process first, or use another store "
        "(--state / runner_config.yaml store_path)"
    )
    error.holder = holder
    return error


def lock_path(store: str | Path) -> Path:
    return Path(f"{store}.lock")


@dataclass(slots=True)
class StoreLock:
    """A held lock; ``previous`` is the record of a dead holder it took over (None if none)."""

    path: Path
    fd: int
    holder: Holder
    previous: Holder | None

    @classmethod
    def acquire(cls, store: str | Path, holder: Holder) -> StoreLock:
        """Lock ``store`` for this process, or raise ``StoreLockedError`` naming the holder."""
        path = lock_path(store)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"{store}: cannot create its folder: {e.strerror}") from None
        while True:
            fd = _open(path)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                found = _read_holder(fd)
                os.close(fd)
                raise locked_error(store, found) from None
            if _same_file(fd, path):
                break
            os.close(fd)  # the file was replaced between open and lock: lock the new one
        previous = _read_holder(fd)
        _write_holder(fd, holder)
        return cls(path, fd, holder, previous)

    def release(self) -> None:
        """Unlock (the record stays, for the next taker to name)."""
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> StoreLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(store: str | Path) -> Holder | None:
    """The recorded holder of ``store`` (live or not), for ``status``; no lock is taken."""
    path = lock_path(store)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return _read_holder(fd)
    finally:
        os.close(fd)


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise StoreError(f"{path}: cannot open the lock file: {e.strerror}") from None


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
        return Holder(
            int(data["pid"]), int(data["started_ms"]), str(data["host"]), str(data["command"])
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _write_holder(fd: int, holder: Holder) -> None:
    data = json.dumps(asdict(holder)).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)
