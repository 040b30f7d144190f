"""Failpoints for crash tests (runner/failpoints.py): armed only by the environment variable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from accountbuilder_runner import failpoints
from accountbuilder_runner.failpoints import ENV, armed

# Passes through two points, printing after each: only the armed pass may kill the process.
SCRIPT = """
from accountbuilder_runner import failpoints
for name in ("after_intent_commit", "after_send", "after_send", "after_send"):
    failpoints.hit(name)
    print(name, flush=True)
"""


def run_script(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if value is not None:
        env[ENV] = value
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=30
    )


def test_i4_failpoint_is_read_from_the_environment_with_an_optional_count():
    assert armed({}) is None
    assert armed({ENV: ""}) is None
    assert armed({ENV: "after_send"}) == ("after_send", 1)
    assert armed({ENV: "after_intent_commit:3"}) == ("after_intent_commit", 3)
    for bad in ("before_everything", "after_send:0", "after_send:x"):
        with pytest.raises(ValueError):
            armed({ENV: bad})


def test_i4_failpoint_kills_the_process_on_the_armed_pass_only():
    # after_send:2 — the intent point and the first after_send pass print; the second kills.
    killed = run_script("after_send:2")
    assert killed.returncode == -signal.SIGKILL
    assert killed.stdout.split() == ["after_intent_commit", "after_send"]

    untouched = run_script(None)
    assert untouched.returncode == 0
    assert untouched.stdout.split() == ["after_intent_commit"] + ["after_send"] * 3


def test_i4_failpoint_not_armed_only_counts(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    before = failpoints._seen["after_send"]
    failpoints.hit("after_send")
    assert failpoints._seen["after_send"] == before + 1  # and this process is still alive
