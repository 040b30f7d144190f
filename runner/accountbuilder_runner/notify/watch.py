"""The runner's notifier: watch what the core produces, pick the notices, hand them on.

It reads only what already exists, without changing the core: each round's ``Outbox``
(halts, trades, decisions), the day roll-ups the recorder closes (I3), the moves of the
stop_status machine (a listener, so a MISSING re-placed within the same tick is still seen),
and the H2 targets in the session state. ``NotifyConfig`` chooses the events and the minimum
level. Everything kept goes to an ``Outlet`` (``dispatch.Dispatcher``) that never blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from accountbuilder.config.models import NotifyConfig
from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.records.daily_metrics import DailyMetrics
from accountbuilder_runner.notify import notices as n
from accountbuilder_runner.notify.notices import AccountFacts, Notice
from accountbuilder_runner.recorder import account_equity

EquityOf = Callable[[TradingCore], Decimal | None]
TROUBLE = ("MISSING", "ERROR", "CLOSING")


class Outlet(Protocol):
    def submit(self, notice: Notice) -> bool: ...

    def stats(self) -> dict[str, object]: ...

    def close(self) -> None: ...


def facts_of(core: TradingCore, now_ms: int, equity_of: EquityOf) -> AccountFacts:
    """The account as the core sees it now (equity from ``equity_of``: paper reads its ledger)."""
    view, pos = core.kit.view, core.kit.view.position
    position = "flat"
    if pos is not None and pos.contracts > 0:
        liq = "" if pos.liq_price is None else f", liq {pos.liq_price}"
        position = f"{pos.side.value} {pos.contracts} contracts{liq}"
    return AccountFacts(
        now_ms,
        core.state.main.state,
        core.state.stop.state,
        equity_of(core),
        view.mark_price,
        position,
    )


class _StopMoves:
    """A stop_status listener: the states entered since the last look."""

    def __init__(self) -> None:
        self.entered: list[str] = []

    def after_transition(self, event, source, target) -> None:  # python-statemachine hook
        self.entered.append(target.value)


class Notifier:
    """One run's notifications: ``attach`` to the core, then feed it rounds, days, start, stop."""

    def __init__(
        self, config: NotifyConfig, outlet: Outlet, mode: str, equity_of: EquityOf = account_equity
    ):
        self.config, self.outlet, self.mode, self.equity_of = config, outlet, mode, equity_of
        self._stop = _StopMoves()
        self._trouble: set[str] = set()  # stop states already told since the last ACTIVE
        self._success_known = False
        self._review_told = False
        self._store_failing = False

    def attach(self, core: TradingCore) -> None:
        """Watch the stop machine; a SUCCESS already reached before this run is not news."""
        core.state.stop.add_listener(self._stop)
        self._success_known = core.state.risk.targets.success_ms is not None

    # ------------------------------------------------------------------------- inputs
    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        """One driver round, after the recorder committed it."""
        success = not self._success_known and core.state.risk.targets.success_ms is not None
        review = not self._review_told and any(
            d.figures.get("review_required") for d in out.decisions
        )
        if not (out.trades or out.halts or self._stop.entered or success or review):
            return  # most rounds: nothing to tell, and nothing is computed
        facts = facts_of(core, now_ms, self.equity_of)
        for record in out.trades:  # an exit first, then the HALT its loss may have caused
            self._emit(n.trade_notice(record))
        for entry in out.halts:
            self._emit(*n.halt_notices(entry, facts))
        self._stop_news(facts)
        if success:
            self._success_known = True
            self._emit(n.success_notice(facts))
        if review:
            self._review_told = True
            self._emit(n.review_notice(facts))

    def store_failed(self, now_ms: int, core: TradingCore, detail: str) -> None:
        """A commit failed (full disk, I/O error): told once until a commit succeeds."""
        if not self._store_failing:
            self._store_failing = True
            self._emit(n.store_failing_notice(detail, facts_of(core, now_ms, self.equity_of)))

    def store_ok(self, now_ms: int, core: TradingCore) -> None:
        if self._store_failing:
            self._store_failing = False
            self._emit(n.store_recovered_notice(facts_of(core, now_ms, self.equity_of)))

    def on_day(self, metrics: DailyMetrics, complete: bool) -> None:
        self._emit(n.daily_notice(metrics, complete))

    def started(self, now_ms: int, core: TradingCore, detail: str) -> None:
        self._emit(n.started_notice(detail, facts_of(core, now_ms, self.equity_of)))

    def stopped(self, now_ms: int, core: TradingCore, detail: str) -> None:
        self._emit(n.stopped_notice(detail, facts_of(core, now_ms, self.equity_of)))

    def stats(self) -> dict[str, object]:
        return self.outlet.stats()

    def close(self) -> None:
        """Flush the queue (bounded wait); counts are final afterwards."""
        self.outlet.close()

    # ------------------------------------------------------------------------- news
    def _stop_news(self, facts: AccountFacts) -> None:
        entered, self._stop.entered = self._stop.entered, []
        for state in entered:
            if state in TROUBLE and state not in self._trouble:
                self._trouble.add(state)
                self._emit(n.stop_notice(state, facts))
            elif state == "ACTIVE" and self._trouble:
                self._trouble.clear()
                self._emit(n.stop_restored_notice(facts))
            elif state == "NO_POSITION":
                self._trouble.clear()

    def _emit(self, *notices: Notice) -> None:
        for notice in notices:
            if notice.event in self.config.events and (
                notice.level.rank >= self.config.min_level.rank
            ):
                self.outlet.submit(replace(notice, title=f"[{self.mode}] {notice.title}"))
