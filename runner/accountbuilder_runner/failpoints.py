"""Failpoints for crash tests: ``ACCOUNTBUILDER_FAILPOINT=<name>[:<n>]`` kills the process.

When the named point is reached for the ``n``-th time (default 1), the process sends itself
``SIGKILL``: no handler, no ``finally``, no flush — the same as a power cut at that line.
Without the variable (or with another name) ``hit`` only counts. Points:

- ``after_intent_commit`` (``recorder``): an order intent and the session are committed, the
  command is not sent yet;
- ``after_send`` (``executor``): the exchange accepted an order command (place, amend,
  cancel), its answer is not recorded yet;
- ``sweep_run`` (``sweep.worker``): a sweep worker process is about to start a run (its n-th).

The core never sees this module; only the runner's recorder, executor and sweep worker call
``hit``.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "ACCOUNTBUILDER_FAILPOINT"
POINTS = frozenset({"after_intent_commit", "after_send", "sweep_run"})

_seen: Counter[str] = Counter()


def armed(environ: dict[str, str] | os._Environ[str] = os.environ) -> tuple[str, int] | None:
    """The ``(name, n)`` the environment arms, or None; raise ``ValueError`` on a bad value."""
    raw = environ.get(ENV, "").strip()
    if not raw:
        return None
    name, _, count = raw.partition(":")
    if name not in POINTS:
        raise ValueError(f"{ENV}={raw!r}: unknown point {name!r} (known: {sorted(POINTS)})")
    n = int(count) if count else 1
    if n < 1:
        raise ValueError(f"{ENV}={raw!r}: the count must be at least 1")
    return name, n


def hit(name: str) -> None:
    """Count one pass through ``name``; SIGKILL this process on the armed pass."""
    _seen[name] += 1
    target = armed()
    if target is not None and target == (name, _seen[name]):
        os.kill(os.getpid(), signal.SIGKILL)
