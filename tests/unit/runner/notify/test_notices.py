"""The notices built from what the core produced (runner/notify/notices.py): halts (E4, E5,
G8, H2, H3), trades (I1), days (I3), with the account's facts."""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.config.models import NotifyEvent, NotifyLevel
from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder.records.examples import example_daily_metrics, example_entry, example_exit
from accountbuilder_runner.notify import notices as n
from accountbuilder_runner.notify.notices import AccountFacts, Tone

T = 1_620_862_620_000  # 2021-05-12 23:37:00 UTC
FACTS = AccountFacts(
    T, "HALT", "ACTIVE", D("0.00140137"), D("51127.82"), "long 300 contracts, liq 38000.5"
)


def _entry(event: HaltLogEvent, reason: ReasonCode, kind=HaltKind.MANUAL, **kw) -> HaltLogEntry:
    return HaltLogEntry(T, event, reason, kind, **kw)


def test_h3_halt_raised_names_reason_kind_figures_equity_position_and_stop_state():
    entry = _entry(
        HaltLogEvent.RAISED,
        ReasonCode.EQUITY_BELOW_80,
        figures={"equity_usd": D("71.64873914578982855811"), "limit": D(80)},
    )

    (notice,) = n.halt_notices(entry, FACTS)

    assert (notice.event, notice.level, notice.tone) == (
        NotifyEvent.HALT,
        NotifyLevel.CRITICAL,
        Tone.FAILURE,
    )
    assert notice.title == "HALT EQUITY_BELOW_80 (manual)"
    assert notice.body == (
        "HALT manual: EQUITY_BELOW_80 (equity_usd=71.65, limit=80)\n"
        "0.00140137 BTC = $71.65\n"
        "position long 300 contracts, liq 38000.5; stop ACTIVE; state HALT\n"
        "at 2021-05-12 23:37:00 UTC"
    )


def test_g8_ten_second_rule_halt_also_tells_the_market_close_as_a_stop_notice():
    entry = _entry(
        HaltLogEvent.RAISED, ReasonCode.STOP_UNRECOVERABLE, figures={"unprotected_ms": 10_000}
    )

    halt, close = n.halt_notices(entry, FACTS)

    assert halt.title == "HALT STOP_UNRECOVERABLE (manual)"
    assert (close.event, close.level, close.title) == (
        NotifyEvent.STOP,
        NotifyLevel.CRITICAL,
        "stop lost: position closed (G8)",
    )
    assert "reduce-only market order" in close.body


def test_h2_eighteen_month_failure_halt_also_tells_failure_as_a_target_notice():
    entry = _entry(HaltLogEvent.RAISED, ReasonCode.EIGHTEEN_MONTH_FAILURE)

    notices = n.halt_notices(entry, FACTS)

    assert [(x.event, x.title) for x in notices] == [
        (NotifyEvent.HALT, "HALT EIGHTEEN_MONTH_FAILURE (manual)"),
        (NotifyEvent.TARGET, "FAILURE (H2)"),
    ]


def test_e4_cooldown_and_lift_and_e5_reset_are_recovery_notices_calm_start_is_not_news():
    temporary = {"kind": HaltKind.TEMPORARY}
    calm = _entry(HaltLogEvent.CALM_STARTED, ReasonCode.DROP_1M, **temporary)
    cooldown = _entry(HaltLogEvent.COOLDOWN_STARTED, ReasonCode.DROP_1M, **temporary)
    lifted = _entry(HaltLogEvent.LIFTED, ReasonCode.DROP_1M, **temporary)
    reset = _entry(HaltLogEvent.RESET, ReasonCode.EQUITY_BELOW_80, who="ops", why="checked")

    assert n.halt_notices(calm, FACTS) == []
    found = [n.halt_notices(e, FACTS)[0] for e in (cooldown, lifted, reset)]
    assert [x.event for x in found] == [NotifyEvent.RECOVERY] * 3
    assert [x.title for x in found] == [
        "COOLDOWN after HALT DROP_1M",
        "HALT lifted (DROP_1M)",
        "HALT reset (EQUITY_BELOW_80)",
    ]
    assert "reset by ops: checked (E5)" in found[2].body


def test_g8_stop_missing_and_error_are_warnings_naming_the_10_second_rule():
    missing, error = n.stop_notice("MISSING", FACTS), n.stop_notice("ERROR", FACTS)

    assert (missing.title, error.title) == ("stop MISSING", "stop ERROR")
    assert {missing.level, error.level} == {NotifyLevel.WARNING}
    assert "placing it again at once" in missing.body and "retrying with a backoff" in error.body
    assert "no ACTIVE stop for 10 s closes the position (G8)" in missing.body


def test_i1_trade_entry_and_exit_notices():
    entry, exit_ = n.trade_notice(example_entry()), n.trade_notice(example_exit())

    assert entry.title == "ENTRY long 323 @ 50000.0"
    assert "stop 48500.0, take-profit 51200.0, stage S1" in entry.body
    assert exit_.title == "EXIT take_profit long 323 @ 51200.0"
    assert exit_.tone is Tone.SUCCESS  # a win after fees (H1)
    assert {entry.event, exit_.event} == {NotifyEvent.TRADE}


def test_i3_daily_notice_carries_the_roll_up():
    notice = n.daily_notice(example_daily_metrics(), complete=True)
    so_far = n.daily_notice(example_daily_metrics(), complete=False)

    assert (notice.event, notice.title, so_far.title) == (
        NotifyEvent.DAILY,
        "day 2024-03-01",
        "day 2024-03-01 (so far)",
    )
    assert "1 trades closed (1 won), 1 entries" in notice.body
    assert "equity $125.00 → $135.69; halts 1; rejects by reason: EV_TOO_LOW 3" in notice.body


def test_unknown_equity_is_said_not_guessed():
    facts = AccountFacts(T, "FLAT", "NO_POSITION")

    assert n.started_notice("paper", facts).body.splitlines()[1] == "equity unknown"
