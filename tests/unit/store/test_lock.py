"""The single-instance lock of a store (issue 15 §3): one holder, named to the second; a dead
holder's lock (even after SIGKILL) is taken over and named as the previous holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from accountbuilder.store.errors import StoreLockedError
from accountbuilder.store.lock import Holder, StoreLock, lock_path, read_holder

T0 = 1_767_225_600_000


def _holder(pid: int = 4242, command: str = "accountbuilder run --exchange bybit") -> Holder:
    return Holder(pid, T0, "this-host", command)


def test_i4_a_second_holder_is_refused_and_told_who_holds_the_store(tmp_path):
    store = tmp_path / "bot.sqlite"
    with StoreLock.acquire(store, Holder.this_process(T0)), pytest.raises(StoreLockedError) as err:
        StoreLock.acquire(store, _holder())

    message = str(err.value)
    assert f"pid {os.getpid()}" in message and "started 2026-01-01T00:00:00+00:00" in message
    assert err.value.holder.pid == os.getpid()


def test_i4_a_released_lock_is_taken_again_naming_the_previous_holder(tmp_path):
    store = tmp_path / "bot.sqlite"
    StoreLock.acquire(store, _holder(pid=1)).release()

    with StoreLock.acquire(store, _holder(pid=2)) as again:
        assert again.previous == _holder(pid=1)
        assert read_holder(store) == _holder(pid=2)
    assert lock_path(store).exists()  # never deleted: see lock.py


LOCK_AND_WAIT = """
import sys, time
from accountbuilder.store.lock import Holder, StoreLock
lock = StoreLock.acquire(sys.argv[1], Holder.this_process(1767225600000))
print("locked", flush=True)
time.sleep(60)
"""


def test_i4_the_lock_of_a_sigkilled_holder_is_taken_over(tmp_path):
    store = tmp_path / "bot.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCK_AND_WAIT, str(store)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(StoreLockedError, match=f"pid {proc.pid}"):
            StoreLock.acquire(store, _holder())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    with StoreLock.acquire(store, Holder.this_process(T0)) as taken:
        assert taken.previous is not None and taken.previous.pid == proc.pid
        assert not taken.previous.alive()
