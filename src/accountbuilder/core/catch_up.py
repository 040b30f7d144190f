"""What the ticks a replay skipped over a standing refusal recorded (``core.wake``).

While a refusal stands, every tick records it again; the signal it names may still move: the
grid level follows the mark, and the standing signal of G3 is replaced by
each new proposal (the maker-timeout count being 0, ``MakerTimeouts.adopt`` is a plain key
comparison). ``skipped`` replays exactly that over the skipped marks: the signal source's keys
for the whole path at once (``GridSignal.path_keys``), a proposal at each tick where the key
changes, and the refusal record of every run of ticks, so the session state and the records
are those of a tick-by-tick run.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np

from accountbuilder.core.kit import Kit
from accountbuilder.core.state import SessionState
from accountbuilder.core.wake import Wake
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.signal.source import SignalInputs

Runs = list[tuple[DecisionRecord, int]]  # the record of each run of ticks (stamped at its last)


def skipped(kit: Kit, s: SessionState, wake: Wake, ts_ms: np.ndarray, marks: np.ndarray) -> Runs:
    """Apply the skipped ticks at ``ts_ms`` (marks ``marks``); return their records by run."""
    record = wake.repeats
    if record is None or ts_ms.size == 0:
        return []
    if not wake.catch_up:
        return [(replace(record, ts_ms=int(ts_ms[-1])), int(ts_ms.size))]
    daily, signal = kit.view.atr_pct_daily(), kit.signal
    keys = signal.path_keys(daily, marks)
    before = np.asarray([signal.key_of(s.maker.standing)], dtype=np.int64)
    changed = np.flatnonzero(np.any(keys != np.concatenate([before, keys[:-1]]), axis=1))
    side, sid, ids = s.maker.standing.side, record.signal_id, {}
    runs: Runs = []
    start = 0
    for i in (int(i) for i in changed):
        if i > start:
            runs.append((record.restamped(int(ts_ms[i - 1]), sid), i - start))
        key, t = (int(keys[i, 0]), int(keys[i, 1])), int(ts_ms[i])
        name = (key, t // kit.config.execution.grid.signal_bucket_s // 1000)
        sid = ids.get(name) or ids.setdefault(name, signal.id_of_key(side, key, t))
        start = i
    runs.append((record.restamped(int(ts_ms[-1]), sid), int(ts_ms.size) - start))
    if changed.size:  # the standing signal is the proposal where the last key run began
        _adopt(kit, s, int(ts_ms[start]), float(marks[start]), sid)
    return runs


def _adopt(kit: Kit, s: SessionState, now_ms: int, mark: float, expected_id: str) -> None:
    inputs = SignalInputs(now_ms, Decimal(repr(mark)), kit.view.atr_pct_daily())
    signal = s.maker.replace_with(kit.signal.propose(inputs))
    if signal.signal_id != expected_id:
        raise AssertionError(f"catch-up: {signal.signal_id} proposed, {expected_id} expected")
    s.entry_signal_id = signal.signal_id
