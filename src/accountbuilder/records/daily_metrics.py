"""Daily metrics roll-up (SPEC I3): one row per UTC day, built from the day's records.

Pure: fed trade entries and exits, halt records, decision records and equity samples, it
returns ``DailyMetrics`` values; the store upserts them by day. A closed trade belongs to the
day of its exit, an entry to the day of its first fill (SPEC B6). ``halts`` counts halts
raised that day. Equity open/close are the day's earliest and latest samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from accountbuilder.records.codec import dec_or_none, to_jsonable
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.records.halt_log import HaltEvent, HaltRecord
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord

ZERO = Decimal(0)
_INT_FIELDS = frozenset(
    {"entries", "trades", "wins", "halts", "accepts", "equity_open_ts_ms", "equity_close_ts_ms"}
)


def utc_day(ts_ms: int) -> str:
    """The UTC calendar day of ``ts_ms`` as ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class EquitySample:
    """Equity at one moment (SPEC A1): BTC, and USD at the mark price."""

    ts_ms: int
    equity_btc: Decimal
    mark_price: Decimal

    @property
    def equity_usd(self) -> Decimal:
        return self.equity_btc * self.mark_price


@dataclass(frozen=True, slots=True)
class DailyMetrics:
    """The roll-up of one UTC day."""

    day: str
    entries: int = 0
    trades: int = 0
    wins: int = 0
    pnl_btc: Decimal = ZERO
    pnl_usd: Decimal = ZERO
    fees_btc: Decimal = ZERO
    halts: int = 0
    accepts: int = 0
    rejects_by_reason: Mapping[str, int] = field(default_factory=dict)
    equity_open_ts_ms: int | None = None
    equity_open_btc: Decimal | None = None
    equity_open_usd: Decimal | None = None
    equity_close_ts_ms: int | None = None
    equity_close_btc: Decimal | None = None
    equity_close_usd: Decimal | None = None

    KIND = "daily_metrics"

    def __post_init__(self) -> None:
        ordered = dict(sorted(self.rejects_by_reason.items()))
        object.__setattr__(self, "rejects_by_reason", MappingProxyType(ordered))

    @property
    def losses(self) -> int:
        return self.trades - self.wins

    @property
    def rejects(self) -> int:
        return sum(self.rejects_by_reason.values())

    def with_entry(self, record: TradeEntryRecord) -> DailyMetrics:
        return replace(self, entries=self.entries + 1)

    def with_exit(self, record: TradeExitRecord) -> DailyMetrics:
        return replace(
            self,
            trades=self.trades + 1,
            wins=self.wins + (1 if record.is_win else 0),
            pnl_btc=self.pnl_btc + record.pnl_btc,
            pnl_usd=self.pnl_usd + record.pnl_usd,
            fees_btc=self.fees_btc + record.actual_fee_btc,
        )

    def with_halt(self, record: HaltRecord) -> DailyMetrics:
        return replace(self, halts=self.halts + (record.event is HaltEvent.RAISED))

    def with_decision(self, record: DecisionRecord) -> DailyMetrics:
        if record.accepted:
            return replace(self, accepts=self.accepts + 1)
        rejects = dict(self.rejects_by_reason)
        rejects[record.reason.value] = rejects.get(record.reason.value, 0) + 1
        return replace(self, rejects_by_reason=rejects)

    def with_equity(self, sample: EquitySample) -> DailyMetrics:
        out = self
        if out.equity_open_ts_ms is None or sample.ts_ms < out.equity_open_ts_ms:
            out = replace(
                out,
                equity_open_ts_ms=sample.ts_ms,
                equity_open_btc=sample.equity_btc,
                equity_open_usd=sample.equity_usd,
            )
        if out.equity_close_ts_ms is None or sample.ts_ms >= out.equity_close_ts_ms:
            out = replace(
                out,
                equity_close_ts_ms=sample.ts_ms,
                equity_close_btc=sample.equity_btc,
                equity_close_usd=sample.equity_usd,
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-ready values, tagged ``"record": "daily_metrics"``."""
        out = {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}
        return {"record": self.KIND, **out, "losses": self.losses}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DailyMetrics:
        """Rebuild a row from ``to_dict()`` output."""
        kwargs: dict[str, Any] = {"day": str(data["day"])}
        for f in fields(cls):
            if f.name == "day" or f.name not in data:
                continue
            raw = data[f.name]
            if f.name == "rejects_by_reason":
                kwargs[f.name] = {str(k): int(v) for k, v in raw.items()}
            elif f.name in _INT_FIELDS:
                kwargs[f.name] = None if raw is None else int(raw)
            else:
                kwargs[f.name] = dec_or_none(raw)
        return cls(**kwargs)


RollupItem = TradeEntryRecord | TradeExitRecord | HaltRecord | DecisionRecord | EquitySample


def apply(metrics: DailyMetrics, item: RollupItem) -> DailyMetrics:
    """Add one record or equity sample to its day's metrics."""
    if isinstance(item, TradeExitRecord):
        return metrics.with_exit(item)
    if isinstance(item, TradeEntryRecord):
        return metrics.with_entry(item)
    if isinstance(item, HaltRecord):
        return metrics.with_halt(item)
    if isinstance(item, DecisionRecord):
        return metrics.with_decision(item)
    if isinstance(item, EquitySample):
        return metrics.with_equity(item)
    raise TypeError(f"cannot roll up a {type(item).__name__}")


class DailyRollup:
    """An accumulator of ``DailyMetrics`` by day, remembering which days changed.

    Feed it as records are made; ``take_changed()`` hands the changed days to the store.
    """

    def __init__(self, days: Iterable[DailyMetrics] = ()) -> None:
        self._days: dict[str, DailyMetrics] = {m.day: m for m in days}
        self._changed: set[str] = set()

    def add(self, item: RollupItem) -> DailyMetrics:
        """Add ``item`` to its UTC day and return that day's updated metrics."""
        day = utc_day(item.ts_ms)
        updated = apply(self._days.get(day) or DailyMetrics(day), item)
        self._days[day] = updated
        self._changed.add(day)
        return updated

    def day(self, day: str) -> DailyMetrics | None:
        return self._days.get(day)

    def days(self) -> list[DailyMetrics]:
        """All days, oldest first."""
        return [self._days[d] for d in sorted(self._days)]

    def take_changed(self) -> list[DailyMetrics]:
        """The days changed since the last call, oldest first; clears the changed set."""
        changed = [self._days[d] for d in sorted(self._changed)]
        self._changed.clear()
        return changed


def roll_up(items: Iterable[RollupItem]) -> list[DailyMetrics]:
    """Roll ``items`` up into one ``DailyMetrics`` per UTC day, oldest first."""
    rollup = DailyRollup()
    for item in items:
        rollup.add(item)
    return rollup.days()
