"""Live tick durations for ``status`` and the start-up GC freeze (runner.ticktimes, F6)."""

from __future__ import annotations

import gc

from accountbuilder.core.rounds import Rounds
from accountbuilder_runner.commands.status import _ticks_text
from accountbuilder_runner.ticktimes import TickTimes, freeze_startup_objects


def test_tick_times_give_p50_p99_and_max_of_the_kept_window():
    times = TickTimes(keep=100)
    for us in range(1, 201):  # only the last 100 (101..200 µs) are kept
        times.record(us * 1000)

    s = times.stats()

    assert s == {"ticks": 200, "window": 100, "p50_us": 151.0, "p99_us": 200.0, "max_us": 200.0}
    assert _ticks_text(s) == "p50 151.0 µs  p99 200.0 µs  max 200.0 µs  (last 100 of 200)"


def test_tick_times_before_any_tick_show_nothing_measured():
    s = TickTimes().stats()
    assert s["window"] == 0 and s["p99_us"] is None
    assert _ticks_text(s).startswith("n/a") and _ticks_text(None).startswith("n/a")


class _Core:
    def tick(self, now_ms, events):
        from accountbuilder.core.kit import Outbox

        return Outbox()


async def test_f6_rounds_time_every_core_tick_with_the_injected_clock():
    ticks = iter(range(0, 10_000, 250))  # each reading 250 ns after the last
    seen: list[int] = []

    async def execute(command):
        return []

    rounds = Rounds(_Core(), execute, clock_ns=lambda: next(ticks), on_core_tick=seen.append)
    await rounds.tick(1_000, [])

    assert seen == [250]


def test_freeze_startup_objects_moves_them_out_of_the_collectors_way():
    before = gc.get_threshold()
    try:
        freeze_startup_objects((5_000, 20, 100))
        assert gc.get_freeze_count() > 0 and gc.get_threshold() == (5_000, 20, 100)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
