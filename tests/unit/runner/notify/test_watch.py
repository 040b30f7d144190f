"""The notifier (runner/notify/watch.py): what it picks from each round, the stop machine's
moves (G8), the targets (H2), and the events / min_level filter of notify_config.yaml."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace

from accountbuilder.config.models import NotifyConfig, NotifyEvent, NotifyLevel
from accountbuilder.core.kit import Outbox
from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder.machines.context import MachineContext
from accountbuilder.machines.main import TradingMachine
from accountbuilder.machines.stop_status import StopStatusMachine
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.records.examples import example_daily_metrics, example_entry, example_exit
from accountbuilder.risk.targets import Targets
from accountbuilder_runner.notify.notices import Notice
from accountbuilder_runner.notify.watch import Notifier

T = 1_620_862_620_000


class Outlet:
    """A fake outlet that keeps what it is given."""

    def __init__(self):
        self.sent: list[Notice] = []

    def submit(self, notice: Notice) -> bool:
        self.sent.append(notice)
        return True

    def stats(self):
        return {"sent": len(self.sent)}

    def close(self):
        pass


def fake_core(success_ms: int | None = None):
    position = SimpleNamespace(side=SimpleNamespace(value="long"), contracts=300, liq_price=None)
    return SimpleNamespace(
        state=SimpleNamespace(
            main=TradingMachine(),
            stop=StopStatusMachine(),
            risk=SimpleNamespace(targets=Targets(0, D(100), success_ms)),
        ),
        kit=SimpleNamespace(
            view=SimpleNamespace(
                mark_price=D("50000"),
                position=position,
                account=SimpleNamespace(equity_btc=D("0.002")),
            )
        ),
    )


def notifier(core, **config) -> tuple[Notifier, Outlet]:
    outlet = Outlet()
    watch = Notifier(NotifyConfig(**config), outlet, "live")
    watch.attach(core)
    return watch, outlet


def halt(reason=ReasonCode.LIQUIDATION_WARNING) -> HaltLogEntry:
    return HaltLogEntry(T, HaltLogEvent.RAISED, reason, HaltKind.MANUAL)


def fire(core, *events: str) -> None:
    """Fire stop_status events; ``refused:stop_ended`` is a stop the exchange rejected."""
    for event in events:
        rejected = event.startswith("refused:")
        ctx = MachineContext(T, 300, stop_rejected=rejected)
        result = core.state.stop.fire(event.removeprefix("refused:"), ctx)
        assert result.accepted, result


def test_e6_a_round_with_a_halt_sends_it_with_the_mode_and_the_account_facts():
    core = fake_core()
    watch, outlet = notifier(core)

    watch.on_outbox(T, Outbox(halts=[halt()]), core)

    (notice,) = outlet.sent
    assert notice.title == "[live] HALT LIQUIDATION_WARNING (manual)"
    assert "0.00200000 BTC = $100.00\nposition long 300 contracts; stop NO_POSITION" in notice.body


def test_i1_trades_are_off_by_default_and_sent_when_the_trade_event_is_chosen():
    core = fake_core()
    out = Outbox(trades=[example_entry(), example_exit()])
    default, quiet = notifier(core)
    chosen, loud = notifier(core, events=[NotifyEvent.TRADE])

    default.on_outbox(T, out, core)
    chosen.on_outbox(T, out, core)

    assert quiet.sent == []
    assert [x.title for x in loud.sent] == [
        "[live] ENTRY long 323 @ 50000.0",
        "[live] EXIT take_profit long 323 @ 51200.0",
    ]


def test_i3_min_level_drops_the_daily_roll_up_but_keeps_a_halt():
    core = fake_core()
    watch, outlet = notifier(core, min_level=NotifyLevel.CRITICAL)

    watch.on_day(example_daily_metrics(), True)
    watch.on_outbox(T, Outbox(halts=[halt()]), core)

    assert [x.event for x in outlet.sent] == [NotifyEvent.HALT]


def test_g8_missing_re_placed_within_one_tick_is_told_once_then_restored():
    core = fake_core()
    watch, outlet = notifier(core)

    fire(core, "position_opened", "stop_confirmed")  # PENDING → ACTIVE: not news
    watch.on_outbox(T, Outbox(), core)
    fire(core, "stop_ended", "tick")  # ACTIVE → MISSING → PENDING inside one tick
    watch.on_outbox(T, Outbox(), core)
    fire(core, "stop_ended", "tick", "refused:stop_ended")  # MISSING again (told), then ERROR
    watch.on_outbox(T, Outbox(), core)
    fire(core, "tick", "stop_confirmed")
    watch.on_outbox(T, Outbox(), core)

    assert [x.title for x in outlet.sent] == [
        "[live] stop MISSING",
        "[live] stop ERROR",
        "[live] stop ACTIVE again",
    ]


def test_h2_success_is_told_once_when_reached_during_the_run():
    core = fake_core()
    watch, outlet = notifier(core)

    watch.on_outbox(T, Outbox(), core)
    core.state.risk.targets = Targets(0, D(1000), T)
    watch.on_outbox(T, Outbox(), core)
    watch.on_outbox(T + 1, Outbox(), core)

    assert [x.title for x in outlet.sent] == ["[live] SUCCESS (H2)"]


def test_h2_success_reached_before_this_run_is_not_news():
    core = fake_core(success_ms=T - 1)
    watch, outlet = notifier(core)

    watch.on_outbox(T, Outbox(), core)

    assert outlet.sent == []


def test_h2_review_flag_from_the_gate_figures_is_told_once():
    core = fake_core()
    watch, outlet = notifier(core)
    flagged = DecisionRecord(T, False, ReasonCode.EV_TOO_LOW, figures={"review_required": True})
    fine = DecisionRecord(T, False, ReasonCode.EV_TOO_LOW, figures={"review_required": False})

    watch.on_outbox(T, Outbox(decisions=[fine]), core)
    watch.on_outbox(T, Outbox(decisions=[flagged]), core)
    watch.on_outbox(T, Outbox(decisions=[flagged]), core)

    assert [x.title for x in outlet.sent] == ["[live] strategy review required (H2)"]


def test_i4_a_failing_store_is_told_once_then_its_recovery():
    core = fake_core()
    watch, outlet = notifier(core)

    for _ in range(3):
        watch.store_failed(T, core, "OperationalError: database or disk is full")
    watch.store_ok(T, core)
    watch.store_ok(T, core)

    assert [x.title for x in outlet.sent] == [
        "[live] store failing: entries blocked",
        "[live] store recovered",
    ]
    assert "disk is full" in outlet.sent[0].body
