"""``status`` on a failing store (issue 15 item 2): it can only read the last commit, so a
running live (or dry) runner that has not committed for more than 30 s is shown as failing."""

from __future__ import annotations

from accountbuilder_runner.commands.status import _rows, store_lag_s

NOW = 1_000_000_000
LIVE = {"pid": 7, "running": True, "mode": "live", "started": "2026-01-01T00:00:00+00:00"}


def _shown(**extra) -> dict:
    base = {
        "state": "IN_POSITION",
        "stop_status": "ACTIVE",
        "session_saved": "2026-01-01T00:00:00+00:00",
        "runtime": {},
        "halt": {},
        "blocks": [],
        "rest_calls_last_60s": 0,
        "runner": LIVE,
        "live_orders": [],
        "trades_today": [],
        "open_halts": [],
        "requests_pending": [],
        "requests_answered": [],
        "plan": None,
        "last_decisions": [],
    }
    return {**base, **extra}


def test_i4_a_running_live_runner_without_a_commit_for_31_s_is_shown_failing_its_store():
    assert store_lag_s(LIVE, NOW - 31_000, NOW) == 31
    rows = dict(_rows(_shown(store_lag_s=31)))

    assert rows["store"].startswith("FAILING? no commit for 31 s while the runner runs")


def test_i4_no_failure_is_shown_for_a_fresh_commit_a_stopped_runner_or_a_paper_run():
    assert store_lag_s(LIVE, NOW - 5_000, NOW) is None  # it commits every round
    assert store_lag_s({**LIVE, "running": False}, NOW - 600_000, NOW) is None
    assert store_lag_s({**LIVE, "mode": "paper"}, NOW - 600_000, NOW) is None
    assert store_lag_s(None, NOW - 600_000, NOW) is None
    assert store_lag_s(LIVE, None, NOW) is None
    assert "store" not in dict(_rows(_shown(store_lag_s=None)))
