"""What the runner tells the user: ``Notice`` values built from what the core produced.

Pure: each function takes one thing the core or the recorder produced — a halt log entry
(I2), a trade record (I1), a day's metrics (I3), a stop_status move (G8), the H2 targets —
with the account's facts at that moment, and returns the message it implies. Nothing is sent
here; ``watch.Notifier`` decides which notices go out, ``dispatch`` sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from accountbuilder.config.models import NotifyEvent, NotifyLevel
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent
from accountbuilder.records.daily_metrics import DailyMetrics
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord

E, L = NotifyEvent, NotifyLevel


class Tone(StrEnum):
    """How a notification service shows the message (apprise's notify types)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class Notice:
    """One message: its event kind and level (for the filter), title, body and tone."""

    event: NotifyEvent
    level: NotifyLevel
    title: str
    body: str
    tone: Tone = Tone.INFO


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """The account as the runner sees it when a notice is built."""

    ts_ms: int
    main_state: str
    stop_state: str
    equity_btc: Decimal | None = None
    mark: Decimal | None = None
    position: str = "flat"  # "long 300 contracts, liq 41234.5" or "flat"

    def equity_text(self) -> str:
        if self.equity_btc is None:
            return "equity unknown"
        btc = f"{self.equity_btc:.8f} BTC"
        return btc if self.mark is None else f"{btc} = ${self.equity_btc * self.mark:.2f}"

    def lines(self) -> str:
        return (
            f"{self.equity_text()}\nposition {self.position}; stop {self.stop_state}; "
            f"state {self.main_state}\nat {iso(self.ts_ms)}"
        )


def iso(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ----------------------------------------------------------------------------- halts (E, G8, H)
def halt_notices(entry: HaltLogEntry, facts: AccountFacts) -> list[Notice]:
    """A halt log entry's notices: raised/escalated, recovery steps, and what they imply."""
    reason, kind = entry.reason.value, entry.kind.value
    if entry.event in (HaltLogEvent.RAISED, HaltLogEvent.ESCALATED):
        verb = "HALT" if entry.event is HaltLogEvent.RAISED else "HALT escalated to"
        body = f"{verb} {kind}: {reason}{_figures(entry)}\n{facts.lines()}"
        notices = [Notice(E.HALT, L.CRITICAL, f"HALT {reason} ({kind})", body, Tone.FAILURE)]
        return notices + _implied_by_halt(entry, facts)
    if entry.event is HaltLogEvent.COOLDOWN_STARTED:
        body = f"calm for 5 minutes: COOLDOWN 30 minutes, then trading again (E4)\n{facts.lines()}"
        return [Notice(E.RECOVERY, L.INFO, f"COOLDOWN after HALT {reason}", body)]
    if entry.event is HaltLogEvent.LIFTED:
        body = f"HALT {reason} ({kind}) lifted: COOLDOWN over (E4)\n{facts.lines()}"
        return [Notice(E.RECOVERY, L.INFO, f"HALT lifted ({reason})", body, Tone.SUCCESS)]
    if entry.event is HaltLogEvent.RESET:
        body = f"HALT {reason} ({kind}) reset by {entry.who}: {entry.why} (E5)\n{facts.lines()}"
        return [Notice(E.RECOVERY, L.INFO, f"HALT reset ({reason})", body, Tone.SUCCESS)]
    return []  # CALM_STARTED: a step inside the recovery, not news


def _figures(entry: HaltLogEntry) -> str:
    shown = ", ".join(f"{k}={_number(v)}" for k, v in entry.figures.items())
    return f" ({shown})" if shown else ""


def _number(value: object) -> str:
    """A figure for reading: 8 decimals below 1 (BTC, fractions), 2 above (USD, prices)."""
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not d.is_finite() or isinstance(value, bool):
        return str(value)
    if d == d.to_integral_value():
        return str(int(d))
    return f"{d:.8f}" if abs(d) < 1 else f"{d:.2f}"


def _implied_by_halt(entry: HaltLogEntry, facts: AccountFacts) -> list[Notice]:
    if entry.reason is ReasonCode.STOP_UNRECOVERABLE:
        body = (
            "no ACTIVE stop for 10 s: closing the position with a reduce-only market order and "
            f"HALTing (manual) (G8)\n{facts.lines()}"
        )
        return [Notice(E.STOP, L.CRITICAL, "stop lost: position closed (G8)", body, Tone.FAILURE)]
    if entry.reason is ReasonCode.EIGHTEEN_MONTH_FAILURE:
        body = f"18 months without reaching $1000: FAILURE, HALT (H2)\n{facts.lines()}"
        return [Notice(E.TARGET, L.CRITICAL, "FAILURE (H2)", body, Tone.FAILURE)]
    return []


# ----------------------------------------------------------------------------- stop (G8)
def stop_notice(state: str, facts: AccountFacts) -> Notice:
    """The stop went MISSING, ERROR or CLOSING (the bot re-places it, or closes at market)."""
    what = {
        "MISSING": "the exchange no longer shows the stop: placing it again at once",
        "ERROR": "the stop was refused or never confirmed: retrying with a backoff",
        "CLOSING": "closing the position at market (reduce-only): the stop could not protect it",
    }[state]
    body = (
        f"stop {state}: {what}; no ACTIVE stop for 10 s closes the position (G8)\n{facts.lines()}"
    )
    return Notice(E.STOP, L.WARNING, f"stop {state}", body, Tone.WARNING)


def stop_restored_notice(facts: AccountFacts) -> Notice:
    body = f"the exchange confirms the stop again (G8)\n{facts.lines()}"
    return Notice(E.STOP, L.INFO, "stop ACTIVE again", body, Tone.SUCCESS)


# ----------------------------------------------------------------------------- targets (H2)
def success_notice(facts: AccountFacts) -> Notice:
    body = f"equity reached $1000: SUCCESS, no new entries (H2)\n{facts.lines()}"
    return Notice(E.TARGET, L.WARNING, "SUCCESS (H2)", body, Tone.SUCCESS)


def review_notice(facts: AccountFacts) -> Notice:
    body = (
        "12 months without ever reaching $200: strategy_review_required (H2); trading goes on"
        f"\n{facts.lines()}"
    )
    return Notice(E.TARGET, L.WARNING, "strategy review required (H2)", body, Tone.WARNING)


# ----------------------------------------------------------------------------- trades, days
def trade_notice(record: TradeEntryRecord | TradeExitRecord) -> Notice:
    side = record.side.value
    if isinstance(record, TradeEntryRecord):
        tp = "none" if record.take_profit_price is None else f"{record.take_profit_price:.1f}"
        title = f"ENTRY {side} {record.contracts} @ {record.entry_price:.1f}"
        body = (
            f"{title}, stop {record.stop_price:.1f}, take-profit {tp}, stage "
            f"{record.stage.value.upper()}, loss budget {record.max_loss_btc:.8f} BTC\n"
            f"at {iso(record.ts_ms)}"
        )
        return Notice(E.TRADE, L.INFO, title, body)
    title = f"EXIT {record.exit_reason.value} {side} {record.contracts} @ {record.exit_price:.1f}"
    body = (
        f"{title} (entry {record.entry_price:.1f}): PnL {record.pnl_btc:+.8f} BTC "
        f"({record.pnl_usd:+.2f} USD) after fees\nat {iso(record.ts_ms)}"
    )
    return Notice(E.TRADE, L.INFO, title, body, Tone.SUCCESS if record.is_win else Tone.INFO)


def daily_notice(m: DailyMetrics, complete: bool) -> Notice:
    """The I3 roll-up of one UTC day (``complete=False``: the day so far, at stop)."""
    rejects = ", ".join(f"{k} {v}" for k, v in m.rejects_by_reason.items()) or "none"
    equity = "n/a"
    if m.equity_open_usd is not None and m.equity_close_usd is not None:
        equity = f"${m.equity_open_usd:.2f} → ${m.equity_close_usd:.2f}"
    title = f"day {m.day}" + ("" if complete else " (so far)")
    body = (
        f"{title}: {m.trades} trades closed ({m.wins} won), {m.entries} entries; "
        f"PnL {m.pnl_btc:+.8f} BTC ({m.pnl_usd:+.2f} USD), fees {m.fees_btc:.8f} BTC\n"
        f"equity {equity}; halts {m.halts}; rejects by reason: {rejects}"
    )
    return Notice(E.DAILY, L.INFO, title, body)


# ----------------------------------------------------------------------------- lifecycle
def started_notice(detail: str, facts: AccountFacts) -> Notice:
    return Notice(E.LIFECYCLE, L.INFO, "started", f"started: {detail}\n{facts.lines()}")


def stopped_notice(detail: str, facts: AccountFacts) -> Notice:
    return Notice(E.LIFECYCLE, L.INFO, "stopped", f"stopped: {detail}\n{facts.lines()}")


# ----------------------------------------------------------------------------- store (I4)
def store_failing_notice(detail: str, facts: AccountFacts) -> Notice:
    """The store cannot commit: entries stop, the stop and a close still go out."""
    body = (
        f"the store cannot commit ({detail}): no entries until it can; the stop, its amends "
        f"and a reduce-only close still go out; free disk space (I4)\n{facts.lines()}"
    )
    return Notice(E.HALT, L.CRITICAL, "store failing: entries blocked", body, Tone.FAILURE)


def store_recovered_notice(facts: AccountFacts) -> Notice:
    body = f"the store commits again: entries resume after the block (I4)\n{facts.lines()}"
    return Notice(E.RECOVERY, L.INFO, "store recovered", body, Tone.SUCCESS)
