"""Gather what a replay produced: decisions (as runs), halts, trades and the equity path.

Fed by the driver's callbacks (``on_outbox`` per round, ``on_tick`` per tick). It keeps only
what the report needs, so a year of one-minute ticks stays small: identical consecutive
rejections become one run with a count, and equity is kept as the exchange ledger's segments
(wallet, position) — the equity at every candle close is rebuilt from them with numpy at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from accountbuilder.core.kit import Outbox
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.enums import Side, Stage
from accountbuilder.emergency.halt_log import HaltLogEntry
from accountbuilder.exchange.sim.ledger import Ledger
from accountbuilder.marketdata.candles import CandleArrays
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord
from accountbuilder_runner.reporting.why import RefusalLog


@dataclass(slots=True)
class DecisionRow:
    """A run of ``count`` identical consecutive decisions (an acceptance is always alone)."""

    ts_ms: int
    last_ts_ms: int
    accepted: bool
    reason: str
    stage: str
    contracts: int
    side: str
    count: int = 1

    def key(self) -> tuple:
        return (self.accepted, self.reason, self.stage, self.contracts, self.side)


def _row(d: DecisionRecord) -> DecisionRow:
    return DecisionRow(
        d.ts_ms,
        d.ts_ms,
        d.accepted,
        "" if d.reason is None else d.reason.value,
        "" if d.stage is None else d.stage.value,
        d.contracts,
        "" if d.side is None else d.side.value,
    )


@dataclass
class DecisionRuns:
    """Every gate evaluation, collapsed: rejections equal in the CSV's columns share a row."""

    rows: list[DecisionRow] = field(default_factory=list)
    rejects: Counter = field(default_factory=Counter)
    accepts: int = 0
    total: int = 0
    last: DecisionRecord | None = None

    def add(self, d: DecisionRecord) -> None:
        self.total += 1
        self.last = d
        if d.accepted:
            self.accepts += 1
        else:
            self.rejects[d.reason.value] += 1
        row = _row(d)
        prev = self.rows[-1] if self.rows else None
        if prev is not None and not d.accepted and prev.key() == row.key():
            prev.count += 1
            prev.last_ts_ms = d.ts_ms
        else:
            self.rows.append(row)

    def repeat(self, d: DecisionRecord, count: int, last_ts_ms: int) -> None:
        """``d`` recorded again at ``count`` more ticks, the last at ``last_ts_ms`` (ticks a
        replay skipped because the refusal provably stood: ``Replay.on_repeat``)."""
        row = self.rows[-1] if self.rows else None
        if d.accepted or row is None or row.key() != _row(d).key():
            raise ValueError("only the refusal of the last row can repeat")
        self.total += count
        self.rejects[d.reason.value] += count
        row.count += count
        row.last_ts_ms = last_ts_ms


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """A round trip: its entry record (None if the entry record was never seen) and exit."""

    entry: TradeEntryRecord | None
    exit: TradeExitRecord

    @property
    def entry_ts_ms(self) -> int:
        return self.entry.ts_ms if self.entry is not None else self.exit.ts_ms


@dataclass(frozen=True, slots=True)
class EquityPath:
    """Equity at every replayed candle close (floats: display and report figures)."""

    ts_ms: np.ndarray  # candle close times
    mark: np.ndarray
    equity_btc: np.ndarray

    @property
    def equity_usd(self) -> np.ndarray:
        return self.equity_btc * self.mark


class Collector:
    """The report's memory of a replay; ``bind(ledger)`` before the first tick."""

    def __init__(self) -> None:
        self.decisions = DecisionRuns()
        self.halts: list[HaltLogEntry] = []
        self.entries: dict[str, TradeEntryRecord] = {}
        self.closed: list[ClosedTrade] = []
        self.notes: Counter = Counter()
        self.refusals = RefusalLog()
        self._ledger: Ledger | None = None
        self._seg_ts: list[int] = []
        self._segments: list[tuple[float, int, float]] = []  # wallet, signed contracts, value
        self._exact: list[tuple[Decimal, int, Decimal]] = []  # the same, exact
        self._last: tuple[Decimal, int, Decimal] | None = None

    def bind(self, ledger: Ledger, start_ms: int) -> None:
        """Read the exchange ledger at every tick; record its state at ``start_ms`` now."""
        self._ledger = ledger
        self._sample(start_ms)

    # ---------------------------------------------------------------- driver callbacks
    def on_outbox(self, now_ms: int, out: Outbox, core: TradingCore) -> None:
        atr = _atr_seen(core) if out.decisions else None
        for d in out.decisions:
            self.decisions.add(d)
            self.refusals.add(d, None if atr is None else (atr, _atr_need(core, d)))
        self.halts.extend(out.halts)
        for t in out.trades:
            if isinstance(t, TradeEntryRecord):
                self.entries[t.client_id] = t
            else:
                self.closed.append(ClosedTrade(self.entries.get(t.entry_client_id), t))
        for note in out.notes:
            self.notes[note.split(" ", 1)[0]] += 1

    def on_repeat(self, d: DecisionRecord, count: int, last_ts_ms: int) -> None:
        self.decisions.repeat(d, count, last_ts_ms)

    def on_tick(self, now_ms: int, core: TradingCore) -> None:
        self._sample(now_ms)

    def _sample(self, now_ms: int) -> None:
        led = self._ledger
        state = (led.wallet_btc, led.contracts, led.value_btc)
        if state == self._last:
            return
        self._last = state
        sign = -1 if led.side is Side.SHORT else 1
        self._seg_ts.append(now_ms)
        self._segments.append((float(led.wallet_btc), sign * led.contracts, float(led.value_btc)))
        self._exact.append((led.wallet_btc, sign * led.contracts, led.value_btc))

    # ---------------------------------------------------------------- results
    @property
    def open_entry(self) -> TradeEntryRecord | None:
        """An entry whose exit was not seen (a position still open at the end)."""
        closed = {c.exit.entry_client_id for c in self.closed}
        open_ = [e for cid, e in self.entries.items() if cid not in closed]
        return open_[-1] if open_ else None

    @property
    def start_btc(self) -> Decimal:
        """The equity (the wallet) when the ledger was bound: ``B₀``."""
        return self._exact[0][0]

    def exact_equity_btc(self, ts_ms: int, mark: Decimal) -> Decimal:
        """Equity in BTC after the tick at ``ts_ms``, at ``mark``, exactly (SPEC A1, A2)."""
        i = max(int(np.searchsorted(np.asarray(self._seg_ts), ts_ms, "right")) - 1, 0)
        wallet, signed, value = self._exact[i]
        if signed == 0:
            return wallet
        if signed > 0:
            return wallet + value - Decimal(signed) / mark
        return wallet + Decimal(-signed) / mark - value

    def equity_path(self, arrays: CandleArrays, first_index: int) -> EquityPath:
        """Equity (BTC, and USD at the close) at each replayed candle's close (SPEC A1)."""
        ts = arrays.close_ts_ms[first_index:]
        mark = arrays.close[first_index:]
        seg = np.searchsorted(np.asarray(self._seg_ts, dtype=np.int64), ts, "right") - 1
        seg = np.maximum(seg, 0)
        table = np.asarray(self._segments, dtype=np.float64).reshape(-1, 3)
        wallet, signed, value = table[seg, 0], table[seg, 1], table[seg, 2]
        # inverse uPnL (SPEC A2): long value − C/mark, short C/mark − value
        upnl = np.where(signed >= 0, value - signed / mark, -signed / mark - value)
        upnl = np.where(signed == 0, 0.0, upnl)
        return EquityPath(ts, mark, wallet + upnl)


def _atr_seen(core: TradingCore | None) -> Decimal | None:
    """The ATR_pct_24h the volatility gate (D2) read at this tick."""
    return None if core is None else core.kit.view.atr_pct_24h()


def _atr_need(core: TradingCore, d: DecisionRecord) -> Decimal:
    """The threshold D2 applied: the evaluated stage's ``atr_min_pct`` (B2)."""
    stage = d.stage if d.stage is not None else Stage.S1
    return core.kit.config.stage.stages.for_stage(stage).atr_min_pct
