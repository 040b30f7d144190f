"""``BybitExchange``: the ``ExchangePort`` over Bybit V5 BTCUSD inverse, through ccxt.

Same semantics as the simulator (``exchange.sim``): client ids are ``orderLinkId``; every
order is one-way (``positionIdx 0``); a PostOnly that would take liquidity — which Bybit
accepts and then cancels with ``EC_PostOnlyWillTakeLiquidity`` (reference §4.9) — raises
``PostOnlyWouldTake``; a duplicate id raises ``DuplicateClientId``; a timeout or a lost
connection on a mutation raises ``OutcomeUnknown`` (the core looks the id up, SPEC G2).

A create/amend/cancel ack carries only ids, so the adapter waits briefly for the order's state
on the private stream (and, for a PostOnly, falls back to one lookup by ``orderLinkId``).
A PostOnly rejection reported after ``place_order`` returned comes out of ``events()`` as a
``CommandFailed`` of its place, then the order update.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from loguru import logger

from accountbuilder.domain.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
)
from accountbuilder.domain.events import (
    CommandFailed,
    ExchangeEvent,
    OrderUpdated,
    RestRoundTrip,
)
from accountbuilder.domain.models import (
    SYMBOL,
    AccountSnapshot,
    Candle,
    FeeRates,
    Instrument,
    Order,
    OrderSpec,
)
from accountbuilder.domain.reasons import Denial
from accountbuilder.domain.requests import FailureKind, RequestId
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit import mapping
from accountbuilder.exchange.bybit.client import (
    CCXT_SYMBOL,
    BybitClient,
    ClientSettings,
    Clock,
    ExecutorPort,
    read_answer,
    result_of,
)
from accountbuilder.exchange.bybit.permissions import KeyCheck, assess_key
from accountbuilder.exchange.bybit.secrets import Credentials
from accountbuilder.exchange.bybit.streams import OrderBoard, StreamSet
from accountbuilder.exchange.port import AccountSettings, ExchangePosition
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.records.redact import Redactor
from accountbuilder.signal.ids import validate_client_id

S = CCXT_SYMBOL
INTERVAL_MS = {"1": 60_000, "D": 86_400_000}
NOT_MODIFIED = {"position_mode": 110025, "margin_mode": 110026, "leverage": 110043}
INVERSE = {"category": "inverse", "symbol": SYMBOL}


@dataclass(frozen=True, slots=True)
class BybitSettings:
    """Adapter settings; ``stop_trigger_by`` is sent with every stop amend (ccxt's default
    would silently switch a MarkPrice stop to LastPrice, reference §6.6)."""

    client: ClientSettings = field(default_factory=ClientSettings)
    stop_trigger_by: TriggerBy = TriggerBy.MARK_PRICE
    confirm_wait_s: float = 1.0


class BybitExchange:
    """The live exchange port. Build with ``connect``; call ``start_streams`` before reading."""

    def __init__(self, client: BybitClient, settings: BybitSettings) -> None:
        self.client, self.settings, self.clock = client, settings, client.clock
        self.board = OrderBoard()
        self._queue: asyncio.Queue[ExchangeEvent] = asyncio.Queue()
        self._specs: dict[str, OrderSpec] = {}
        self._post_only_open: set[str] = set()  # acknowledged PostOnly orders not yet final
        self.streams = StreamSet(client, self._emit)
        client.on_request = self._on_request

    @classmethod
    def connect(
        cls,
        credentials: Credentials,
        settings: BybitSettings,
        budget: RestBudget,
        clock: Clock,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> BybitExchange:
        """Build the adapter (no network yet). Every message it makes masks the key pair."""
        redact = Redactor(credentials.secrets())
        client = BybitClient(
            credentials.api_key, credentials.api_secret, settings.client, budget, clock, sleep,
            redact,
        )  # fmt: skip
        return cls(client, settings)

    # ================================================================ startup (not the port)
    async def verify_key(self) -> KeyCheck:
        """Read the key's permissions; refuse one that can withdraw (or cannot trade)."""
        check = assess_key(result_of(await self.client.call("privateGetV5UserQueryApi")))
        if check.refusal is not None:
            refused = port_errors.PermissionRefused if check.can_withdraw else port_errors.AuthError
            raise refused(check.refusal)
        account = result_of(await self.client.call("privateGetV5AccountInfo"))
        status = int(account.get("unifiedMarginStatus") or 6)
        self.client.set_account_type(check.uta, check.unified_margin, status)
        return check

    def start_streams(self) -> None:
        """Subscribe to tickers, klines and the private streams (events queue up from now)."""
        self.streams.start()

    def for_executor(self) -> ExecutorPort:
        """This port as the ``CommandExecutor`` must see it (it has counted each call, F1)."""
        return ExecutorPort(self)

    def take_events(self) -> list[ExchangeEvent]:
        """Every queued event, oldest first, without waiting."""
        taken = []
        while not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    # ================================================================ reference data
    async def load_instrument(self) -> Instrument:
        await self.client.call("load_markets")
        info = self.client.market_info()
        mark = await self.fetch_mark_price()
        risk = result_of(await self.client.call("publicGetV5MarketRiskLimit", dict(INVERSE)))
        return read_answer(
            lambda: mapping.instrument_from(info, mapping.risk_tiers(risk["list"], mark))
        )

    async def fetch_fee_rates(self) -> FeeRates:
        fee = await self.client.call("fetch_trading_fee", S)
        return read_answer(lambda: mapping.fee_rates(fee["info"]))

    async def fetch_candles(self, interval: str, limit: int) -> list[Candle]:
        if interval not in INTERVAL_MS:
            raise port_errors.Rejected(f"interval {interval!r}: only '1' and 'D'", code=10001)
        params = dict(INVERSE, interval=interval, limit=min(limit + 1, 1000))
        rows = result_of(await self.client.call("publicGetV5MarketKline", params))["list"]
        now, span = self.clock(), INTERVAL_MS[interval]
        candles = read_answer(lambda: [mapping.candle_from_rest(r) for r in rows])
        closed = sorted((c for c in candles if c.ts_ms + span <= now), key=lambda c: c.ts_ms)
        return closed[-limit:] if limit > 0 else []

    async def fetch_mark_price(self) -> Decimal:
        ticker = await self.client.call("fetch_ticker", S)
        return read_answer(lambda: mapping.dec(ticker["info"], "markPrice"))

    # ================================================================ account
    async def fetch_account(self) -> AccountSnapshot:
        balance = await self.client.call("fetch_balance")  # "NaN" → ValueError → Malformed
        info = balance.get("info") or {}
        entries = (info.get("result") or {}).get("list") or [None]
        ts = int(info.get("time") or self.clock())
        account = mapping.account_from_wallet(entries[0], ts)
        if isinstance(account, Denial):
            raise port_errors.MalformedResponse(f"wallet-balance: {account}")
        return account

    async def fetch_position(self) -> ExchangePosition:
        rows = await self._position_rows()
        now = self.clock()
        pos = read_answer(lambda: mapping.position_from_row(rows[0] if rows else None, now))
        if isinstance(pos.position_idx, str):
            logger.info("positionIdx {!r} (a string) accepted (F7)", pos.position_idx)
        return pos

    async def fetch_settings(self) -> AccountSettings:
        account = result_of(await self.client.call("privateGetV5AccountInfo"))
        rows = await self._position_rows()
        one_way = all(str(r.get("positionIdx", 0)) == "0" for r in rows)
        leverage = read_answer(lambda: mapping.dec(rows[0], "leverage")) if rows else Decimal(0)
        return AccountSettings(one_way, read_answer(lambda: mapping.margin_mode(account)), leverage)

    async def set_one_way(self) -> None:
        # Always with the symbol: without it ccxt switches USDT linear (reference §3.6).
        await self._idempotent("position_mode", "set_position_mode", False, S)

    async def set_margin_mode(self, mode: MarginMode) -> None:
        await self._idempotent("margin_mode", "set_margin_mode", mode.value, S)

    async def set_leverage(self, leverage: Decimal) -> None:
        value = int(leverage) if leverage == leverage.to_integral_value() else float(leverage)
        await self._idempotent("leverage", "set_leverage", value, S)

    # ================================================================ orders
    async def place_order(self, spec: OrderSpec) -> Order:
        validate_client_id(spec.client_id)  # G1: a bad id is a bug, never sent
        before = self.board.seq(spec.client_id)
        self._specs[spec.client_id] = spec
        args = self._create_args(spec)
        ack = await self.client.call("create_order", *args, mutation=True)
        return await self._settle_place(spec, before, str(ack.get("id") or ""))

    async def amend_order(
        self, client_id: str, *, qty: int | None = None, trigger_price: Decimal | None = None
    ) -> Order:
        known = self.board.get(client_id) or self._spec_order(client_id)
        params: dict[str, Any] = {"orderLinkId": client_id}
        if trigger_price is not None:
            params["triggerPrice"] = mapping.price_text(trigger_price)
            params["triggerBy"] = self._trigger_by(client_id).value
        # ccxt requires a type and side; Bybit's amend ignores both (reference §4.3).
        kind = "market" if known is None or known.order_type is OrderType.MARKET else "limit"
        side = "sell" if known is None else known.side.value.lower()
        before = self.board.seq(client_id)
        await self.client.call("edit_order", None, S, kind, side, qty, None, params, mutation=True)
        seen = await self.board.wait_newer(client_id, before, self.settings.confirm_wait_s)
        if seen is None and known is not None:
            seen = replace(known, qty=qty or known.qty, trigger_price=trigger_price or known.trigger_price)  # fmt: skip
        return seen or await self._read_back(client_id, "amend")

    async def cancel_order(self, client_id: str) -> Order:
        before = self.board.seq(client_id)
        params = {"orderLinkId": client_id}
        await self.client.call("cancel_order", None, S, params, mutation=True)
        seen = await self.board.wait_newer(client_id, before, self.settings.confirm_wait_s)
        if seen is not None and seen.status.is_final:
            return seen
        known = self.board.get(client_id) or self._spec_order(client_id)
        if known is not None:
            return replace(known, status=OrderStatus.CANCELLED, updated_ts_ms=self.clock())
        return await self._read_back(client_id, "cancel")

    async def fetch_order(self, client_id: str) -> Order | None:
        params = {"orderLinkId": client_id}  # never fetch_order(None, ...): it sends orderId=None
        found = await self.client.call("fetch_open_orders", S, None, None, params)
        if not found:
            found = await self.client.call("fetch_canceled_and_closed_orders", S, None, None, params)  # fmt: skip
        orders = self._orders(found)
        return next((o for o in orders if o.client_id == client_id), None)

    async def fetch_open_orders(self) -> list[Order]:
        return self._orders(await self.client.call("fetch_open_orders", S, None, 50))

    # ================================================================ stream
    def events(self) -> AsyncIterator[ExchangeEvent]:
        return self._iter_events()

    async def _iter_events(self) -> AsyncIterator[ExchangeEvent]:
        while True:
            yield await self._queue.get()

    async def close(self) -> None:
        await self.streams.stop()
        await self.client.close()

    # ================================================================ helpers
    async def _position_rows(self) -> list[Mapping[str, Any]]:
        answer = await self.client.call("privateGetV5PositionList", dict(INVERSE))
        rows = [r for r in result_of(answer).get("list") or [] if r.get("symbol") == SYMBOL]
        return sorted(rows, key=lambda r: -int(mapping.dec(r, "size")) if r.get("size") else 0)

    async def _idempotent(self, what: str, method: str, *args: Any) -> None:
        try:
            await self.client.call(method, *args, mutation=True)
        except port_errors.Rejected as e:
            if e.code != NOT_MODIFIED[what]:  # "not modified" is success (110025/110026/110043)
                raise

    def _create_args(self, spec: OrderSpec) -> tuple[Any, ...]:
        limit = spec.order_type is OrderType.LIMIT
        params: dict[str, Any] = {"orderLinkId": spec.client_id, "positionIdx": spec.position_idx}
        if spec.time_in_force is TimeInForce.POST_ONLY:
            params["timeInForce"] = "PostOnly"
        elif limit and spec.time_in_force is TimeInForce.IOC:
            params["timeInForce"] = "IOC"
        if spec.reduce_only:
            params["reduceOnly"] = True
        if spec.trigger_price is not None:  # G6: a conditional order, never position TP/SL
            rising = spec.trigger_direction is TriggerDirection.RISING
            params["triggerPrice"] = mapping.price_text(spec.trigger_price)
            params["triggerDirection"] = "ascending" if rising else "descending"
            params["triggerBy"] = (spec.trigger_by or self.settings.stop_trigger_by).value
        price = mapping.price_text(spec.price) if limit and spec.price is not None else None
        kind = "limit" if limit else "market"
        return S, kind, spec.side.value.lower(), spec.qty, price, params

    async def _settle_place(self, spec: OrderSpec, before: int, order_id: str) -> Order:
        cid, post_only = spec.client_id, spec.time_in_force is TimeInForce.POST_ONLY
        seen = await self.board.wait_newer(cid, before, self.settings.confirm_wait_s)
        if seen is None and post_only:
            seen = await self._lookup_quietly(cid)  # the ack alone cannot tell (§4.9)
        if seen is None:
            seen = mapping.accepted_order(spec, order_id, self.clock())
        if post_only and seen.status is OrderStatus.REJECTED:
            if seen.reject_reason == mapping.POST_ONLY_WOULD_TAKE:
                raise port_errors.PostOnlyWouldTake(f"{cid}: cancelled by Bybit, {seen.reject_reason}")  # fmt: skip
        elif post_only and seen.status.is_open:
            self._post_only_open.add(cid)
        return seen

    async def _lookup_quietly(self, cid: str) -> Order | None:
        try:
            return await self.fetch_order(cid)
        except port_errors.ExchangeError:
            return None

    async def _read_back(self, cid: str, what: str) -> Order:
        found = await self._lookup_quietly(cid)
        if found is None:
            raise port_errors.OutcomeUnknown(f"{what} of {cid} acknowledged, order not readable")
        return found

    def _orders(self, found: list[Mapping[str, Any]]) -> list[Order]:
        orders = read_answer(lambda: [mapping.order_from_row(o["info"]) for o in found])
        orders = [o for o in orders if o.client_id or o.order_id]
        for order in orders:
            self.board.update(order)
        return orders

    def _spec_order(self, cid: str) -> Order | None:
        spec = self._specs.get(cid)
        return None if spec is None else mapping.accepted_order(spec, "", 0)

    def _trigger_by(self, cid: str) -> TriggerBy:
        spec = self._specs.get(cid)
        return spec.trigger_by if spec is not None and spec.trigger_by else self.settings.stop_trigger_by  # fmt: skip

    def _emit(self, event: ExchangeEvent) -> None:
        if isinstance(event, OrderUpdated):
            self._late_post_only(event)
            self.board.update(event.order)
        self._queue.put_nowait(event)

    def _late_post_only(self, event: OrderUpdated) -> None:
        order = event.order
        if order.client_id not in self._post_only_open or order.status.is_open:
            return
        self._post_only_open.discard(order.client_id)
        if order.reject_reason == mapping.POST_ONLY_WOULD_TAKE:
            self._queue.put_nowait(
                CommandFailed(
                    exchange_ts_ms=event.exchange_ts_ms,
                    local_ts_ms=event.local_ts_ms,
                    request=RequestId.place(order.client_id),
                    failure=FailureKind.POST_ONLY_WOULD_TAKE,
                    message=f"{order.client_id}: cancelled by Bybit after the ack, {order.reject_reason}",
                )
            )

    def _on_request(self, path: str, latency_ms: int, was_prepaid: bool) -> None:
        if not was_prepaid:  # the executor reports the round trips of the calls it made
            now = self.clock()
            self._queue.put_nowait(
                RestRoundTrip(
                    exchange_ts_ms=now, local_ts_ms=now, endpoint=path, latency_ms=latency_ms
                )  # fmt: skip
            )
