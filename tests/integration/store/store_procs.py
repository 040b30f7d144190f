"""Start and talk to ``store_child.py`` processes (helpers for the store's integration tests)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("store_child.py")
WAIT_S = 60  # only a guard against a hung child; nothing is timed


def start(*args: object) -> subprocess.Popen:
    """Run ``store_child.py ARGS`` with pipes on stdin, stdout and stderr."""
    return subprocess.Popen(
        [sys.executable, str(CHILD), *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def expect(proc: subprocess.Popen, word: str) -> None:
    """Wait for the child's next line and fail the test unless it is ``word``."""
    ready, _, _ = select.select([proc.stdout], [], [], WAIT_S)
    line = proc.stdout.readline().strip() if ready else ""
    if line != word:
        proc.kill()
        pytest.fail(f"child said {line!r}, expected {word!r}; stderr:\n{proc.stderr.read()}")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the child (no cleanup, no atexit, no close) and reap it."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(WAIT_S)
    assert proc.returncode == -signal.SIGKILL
