"""The end of trading (runner/reporting/moments.py): HALT, SUCCESS or FAILURE, never the data's
end unless the account was still trading (SPEC H2, E5)."""

from __future__ import annotations

from accountbuilder.domain.enums import Outcome
from accountbuilder_runner.reporting.moments import trading_end

DAY = 86_400_000
T0 = 1_609_459_200_000


def test_e5_a_manual_halt_ends_trading_at_its_moment():
    end = trading_end(Outcome.HALTED, T0, (T0 + 2 * DAY, "EQUITY_BELOW_80"), None)
    assert (end.ts_ms, end.cause) == (T0 + 2 * DAY, "HALT (manual): EQUITY_BELOW_80")


def test_h2_success_ends_trading_when_1000_is_reached():
    end = trading_end(Outcome.SUCCESS, T0, None, T0 + 300 * DAY)
    assert end.ts_ms == T0 + 300 * DAY and end.cause.startswith("SUCCESS")


def test_h2_failure_ends_trading_at_548_days_or_at_its_halt():
    assert trading_end(Outcome.FAILURE, T0, None, None).ts_ms == T0 + 548 * DAY
    halted = trading_end(Outcome.FAILURE, T0, (T0 + 549 * DAY, "EIGHTEEN_MONTH_FAILURE"), None)
    assert halted.ts_ms == T0 + 548 * DAY  # the deadline came first


def test_running_has_no_end_of_trading():
    end = trading_end(Outcome.RUNNING, T0, None, None)
    assert end.ts_ms is None and end.cause == "still trading when the data ended"
