"""``SimExchange``: the ``ExchangePort`` over the simulator, plus a synchronous driver API.

Port methods are ``async`` but never await anything real: each call counts one REST call
(``rest_calls``, for SPEC F1 checks), may meet an injected fault, and acts on the simulated
exchange at the current clock. The driver (backtest, scenario test) moves the clock with
``advance``/``step``/``run_to`` and reads events from ``advance``/``take_events``/``events()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from accountbuilder.domain.enums import MarginMode, OrderRole, OrderStatus
from accountbuilder.domain.events import ExchangeEvent
from accountbuilder.domain.models import (
    AccountSnapshot,
    Candle,
    FeeRates,
    Instrument,
    Order,
    OrderSpec,
)
from accountbuilder.exchange.errors import (
    MalformedResponse,
    OutcomeUnknown,
    RateLimited,
    Rejected,
)
from accountbuilder.exchange.port import AccountSettings, ExchangePosition
from accountbuilder.exchange.sim import settings
from accountbuilder.exchange.sim.config import SimConfig
from accountbuilder.exchange.sim.engine import SimEngine
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.ledger import Ledger
from accountbuilder.marketdata.candles import CandleArrays

if TYPE_CHECKING:
    from accountbuilder.exchange.sim.ticks import TickEngine


@dataclass(frozen=True, slots=True)
class RestCall:
    """One port call: sent at ``ts_ms`` (exchange clock), answered ``ack_latency_ms`` later."""

    ts_ms: int
    method: str
    answered_ts_ms: int


class SimExchange:
    """A simulated Bybit BTCUSD inverse perpetual (see ``docs/simulator.md``)."""

    def __init__(
        self,
        config: SimConfig | None = None,
        arrays: CandleArrays | None = None,
        *,
        engine: Callable[[SimConfig, FaultPlan], SimEngine | TickEngine] = SimEngine,
    ):
        self.config = config or SimConfig()
        self.faults = FaultPlan()
        # ``engine`` builds the clock and price path: candles (``SimEngine``) or the observed
        # prices of a dry run (``ticks.TickEngine``); the book and the port are the same.
        self._engine = engine(self.config, self.faults)
        self.rest_calls: list[RestCall] = []
        self.closed = False
        if arrays is not None:
            self.load(arrays)

    # ================================================================ driver (synchronous)
    def load(self, arrays: CandleArrays, start_ts_ms: int | None = None) -> None:
        """Replay ``arrays``; candles opening before ``start_ts_ms`` are history (no events)."""
        self._engine.load(arrays, start_ts_ms)

    def advance(self, until_ts_ms: int, *, stop_at_fill: bool = False) -> list[ExchangeEvent]:
        """Replay up to ``until_ts_ms`` (fast path) and return the events delivered by then.

        ``stop_at_fill``: stop after the first candle with a fill or liquidation (the clock
        rests at its close), so a driver can react, e.g. re-place orders.
        """
        self._engine.run_to(until_ts_ms, stop_at_fill=stop_at_fill)
        return self._engine.take_events()

    def run_to(self, until_ts_ms: int) -> None:
        """Replay up to ``until_ts_ms``; events stay queued for ``take_events``/``events()``."""
        self._engine.run_to(until_ts_ms)

    def step(self) -> list[ExchangeEvent]:
        """Replay exactly one candle (no skipping) and return the events delivered by its close."""
        self._engine.step()
        return self._engine.take_events()

    def take_events(self) -> list[ExchangeEvent]:
        """Events delivered by the current clock, oldest first (each is returned once)."""
        return self._engine.take_events()

    def emit_market_event(self) -> None:
        """Queue ``MarkPriceUpdated`` + the last closed candle now (for on-demand pacing)."""
        self._engine.emit_market_event()

    def emit_marks(self, first: int, last: int) -> None:
        """Queue the marks of candles ``first``..``last`` at their close times (skipped ticks)."""
        self._engine.emit_marks(first, last)

    @property
    def now_ms(self) -> int:
        """The exchange clock (UTC ms)."""
        return self._engine.now_ms

    @property
    def mark_price(self) -> Decimal:
        """The current mark (close of the last replayed candle) — no REST call counted."""
        return self._engine.mark_price

    @property
    def finished(self) -> bool:
        return self._engine.finished

    @property
    def end_ts_ms(self) -> int:
        """Close time of the last candle."""
        return self._engine.end_ts_ms

    @property
    def ledger(self) -> Ledger:
        """The exchange-side account (wallet, position, running realised/fee/funding totals)."""
        return self._engine.book.ledger

    @property
    def dropped_events(self) -> list[ExchangeEvent]:
        return self._engine.outbox.dropped

    @property
    def pending_events(self) -> int:
        return self._engine.outbox.pending

    # -------------------------------------------------------------------------- faults
    def stall_events(self) -> None:
        """Hold every WS event back (they are still applied on the exchange)."""
        self._engine.outbox.stall()

    @property
    def events_stalled(self) -> bool:
        """True while ``stall_events`` holds every event back."""
        return self._engine.outbox.stalled

    def resume_events(self) -> None:
        """Release held events; they arrive now (their age shows the stall)."""
        self._engine.outbox.resume(self.now_ms)

    def cancel_elsewhere(self, client_id: str) -> Order:
        """Cancel an order "from elsewhere" (UI, admin): emits ``OrderUpdated`` Cancelled."""
        return self._engine.book.cancel(client_id, self.now_ms, "CancelByAdmin")

    def open_orders_now(self) -> list[Order]:
        """The exchange's open orders as they stand (tests; no REST call is counted)."""
        return [o.to_order() for o in self._engine.book.open.values()]

    def end_elsewhere(self, client_id: str, status: OrderStatus) -> Order:
        """End an open order as the exchange may on its own (G8): Rejected or Deactivated."""
        return self._engine.book.end(client_id, status, self.now_ms, f"{status.value}ByExchange")

    # -------------------------------------------------------------------- REST counter
    def rest_calls_in_window(self, end_ms: int, window_ms: int = 60_000) -> int:
        """Calls sent in ``(end_ms − window_ms, end_ms]`` (SPEC F1 rolling window)."""
        return sum(1 for c in self.rest_calls if end_ms - window_ms < c.ts_ms <= end_ms)

    def max_rest_calls_in_window(self, window_ms: int = 60_000) -> int:
        """The most calls any rolling window of ``window_ms`` saw."""
        ts = [c.ts_ms for c in self.rest_calls]
        best, lo = 0, 0
        for hi, t in enumerate(ts):
            while ts[lo] <= t - window_ms:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    @property
    def last_ack_latency_ms(self) -> int:
        return self.config.ack_latency_ms

    def _call(self, method: str) -> None:
        now = self.now_ms
        self.rest_calls.append(RestCall(now, method, now + self.config.ack_latency_ms))
        if self.faults.take_rate_limit():
            raise RateLimited(f"{method}: too many visits (injected)", code=10006)

    def _mutation(self, method: str, act, role: OrderRole | None = None):
        """Run an order-changing call with the reject / outcome-unknown faults."""
        self._call(method)
        if method == "place_order" and self.faults.take_reject(role):
            raise Rejected(f"{method}: rejected (injected)", code=10001)
        if method == "amend_order" and self.faults.take_reject_amend():
            raise Rejected(f"{method}: rejected (injected)", code=10001)
        unknown = self.faults.take_unknown()
        try:
            result = act()
        except Rejected as e:
            if unknown:
                raise OutcomeUnknown(f"{method}: timed out (injected)") from e
            raise
        if unknown:
            raise OutcomeUnknown(f"{method}: timed out (injected); it took effect")
        return result

    # ========================================================================= the port
    async def load_instrument(self) -> Instrument:
        self._call("load_instrument")
        return self.config.instrument

    async def fetch_fee_rates(self) -> FeeRates:
        self._call("fetch_fee_rates")
        return self.config.fees

    async def fetch_candles(self, interval: str, limit: int) -> list[Candle]:
        self._call("fetch_candles")
        try:
            return self._engine.closed_candles(interval, limit)
        except ValueError as e:
            raise Rejected(str(e), code=10001) from e

    async def fetch_mark_price(self) -> Decimal:
        self._call("fetch_mark_price")
        return self._engine.mark_price

    async def fetch_account(self) -> AccountSnapshot:
        self._call("fetch_account")
        if self.faults.take_malformed_wallet():
            raise MalformedResponse("wallet-balance: walletBalance missing (injected)")
        return self._engine.book.account(self.now_ms, self._engine.mark_f)

    async def fetch_position(self) -> ExchangePosition:
        self._call("fetch_position")
        book, mark_f = self._engine.book, self._engine.mark_f
        ev = book.position_event(self.now_ms, mark_f)
        return ExchangePosition(
            side=ev.side,
            contracts=ev.contracts,
            entry_price=ev.entry_price,
            liq_price=ev.liq_price,
            leverage=book.ledger.leverage,
            unrealized_pnl_btc=ev.unrealized_pnl_btc,
            position_idx=ev.position_idx,
            ts_ms=self.now_ms,
        )

    async def fetch_settings(self) -> AccountSettings:
        self._call("fetch_settings")
        book = self._engine.book
        return AccountSettings(book.one_way, book.ledger.margin_mode, book.ledger.leverage)

    async def set_one_way(self) -> None:
        self._call("set_one_way")
        settings.set_one_way(self._engine.book)

    async def set_margin_mode(self, mode: MarginMode) -> None:
        self._call("set_margin_mode")
        settings.set_margin_mode(self._engine.book, mode)

    async def set_leverage(self, leverage: Decimal) -> None:
        self._call("set_leverage")
        settings.set_leverage(
            self._engine.book, Decimal(leverage), self.now_ms, self._engine.mark_f
        )

    async def place_order(self, spec: OrderSpec) -> Order:
        book, eng = self._engine.book, self._engine
        return self._mutation(
            "place_order", lambda: book.place(spec, eng.now_ms, eng.mark_f), spec.role
        )

    async def amend_order(
        self, client_id: str, *, qty: int | None = None, trigger_price: Decimal | None = None
    ) -> Order:
        book, eng = self._engine.book, self._engine
        return self._mutation(
            "amend_order",
            lambda: book.amend(client_id, qty, trigger_price, eng.now_ms, eng.mark_f),
        )

    async def cancel_order(self, client_id: str) -> Order:
        return self._mutation(
            "cancel_order", lambda: self._engine.book.cancel(client_id, self.now_ms, "CancelByUser")
        )

    async def fetch_order(self, client_id: str) -> Order | None:
        self._call("fetch_order")
        order = self._engine.book.orders.get(client_id)
        return order.to_order() if order is not None else None

    async def fetch_open_orders(self) -> list[Order]:
        self._call("fetch_open_orders")
        return [o.to_order() for o in self._engine.book.open.values()]

    def events(self) -> AsyncIterator[ExchangeEvent]:
        """The events delivered by the current clock; the iterator ends when they run out."""
        return self._iter_events()

    async def _iter_events(self) -> AsyncIterator[ExchangeEvent]:
        for event in self._engine.take_events():
            yield event

    async def close(self) -> None:
        self.closed = True
