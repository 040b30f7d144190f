"""B6 trades counted at first fill per UTC day (and G4's taker entries per day)."""

from __future__ import annotations

from accountbuilder.risk.trades_per_day import DailyCounts, utc_day

DAY = 86_400_000
MIDNIGHT = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_b6_entries_count_on_their_utc_day():
    counts = DailyCounts().on_first_fill(MIDNIGHT + 1000).on_first_fill(MIDNIGHT + 2000)

    assert counts.trades_on(MIDNIGHT + 3000) == 2
    assert counts.day == utc_day(MIDNIGHT) == MIDNIGHT // DAY


def test_b6_count_restarts_at_utc_midnight():
    counts = DailyCounts().on_first_fill(MIDNIGHT - 1)  # 23:59:59.999 the day before

    assert counts.trades_on(MIDNIGHT - 1) == 1
    assert counts.trades_on(MIDNIGHT) == 0
    assert counts.on_first_fill(MIDNIGHT).trades_on(MIDNIGHT) == 1


def test_g4_taker_entries_counted_separately():
    counts = DailyCounts().on_first_fill(MIDNIGHT, taker=True).on_first_fill(MIDNIGHT + 5)

    assert (counts.trades_on(MIDNIGHT), counts.taker_entries_on(MIDNIGHT)) == (2, 1)
    assert counts.taker_entries_on(MIDNIGHT + DAY) == 0


def test_b6_state_round_trips():
    counts = DailyCounts().on_first_fill(MIDNIGHT, taker=True)

    assert DailyCounts.from_dict(counts.to_dict()) == counts
