"""``BybitExchange``: the ``ExchangePort`` over Bybit V5 BTCUSD inverse, through ccxt.

Same semantics as the simulator (``exchange.sim``): client ids are ``orderLinkId``; every
order is one-way (``positionIdx 0``); a duplicate id raises ``DuplicateClientId``; an
ambiguous outcome of a mutation (timeout, lost connection, 5xx, an answer without
``retCode`` or without an ``orderId``) raises ``OutcomeUnknown`` (the core looks the id up,
SPEC G2; ``outcomes.py``).

Acks are not evidence (SPEC G8, F4): ``order/create``, ``amend`` and ``cancel`` answers only
mean "accepted; processed asynchronously". ``place_order``, ``amend_order`` and
``cancel_order`` return an ``OrderAck`` as soon as Bybit answers and never build the order's
state from it. The state reaches the core as ``OrderUpdated`` from the ``order`` stream, or
from ``fetch_order`` (a REST read by ``orderLinkId``). A PostOnly that would take liquidity is
acked and then cancelled by Bybit (reference §4.9): it arrives as an ``OrderUpdated`` with
status ``REJECTED`` and ``reject_reason`` ``EC_PostOnlyWillTakeLiquidity``.

Besides the port: the start checks (``measure_clock``, ``verify_key``, ``verify_account``)
and ``health()`` for ``status`` (clock offset, invalid position answers, recovered fills).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from loguru import logger

from accountbuilder.domain.enums import (
    MarginMode,
    OrderType,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
)
from accountbuilder.domain.events import ExchangeEvent, OrderUpdated, RestRoundTrip
from accountbuilder.domain.models import (
    AccountSnapshot,
    Candle,
    FeeRates,
    Instrument,
    Order,
    OrderSpec,
)
from accountbuilder.domain.reasons import Denial
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit import account as bybit_account
from accountbuilder.exchange.bybit import mapping, positions
from accountbuilder.exchange.bybit.client import (
    CCXT_SYMBOL,
    BybitClient,
    ClientSettings,
    Clock,
    ExecutorPort,
    read_answer,
    result_of,
)
from accountbuilder.exchange.bybit.clock_sync import ClockReading, ClockSync
from accountbuilder.exchange.bybit.health import ExchangeHealth
from accountbuilder.exchange.bybit.market import INVERSE, MarketReads
from accountbuilder.exchange.bybit.outcomes import ack_of
from accountbuilder.exchange.bybit.permissions import KeyCheck, assess_key
from accountbuilder.exchange.bybit.recovery import GapHandlers, GapRecovery
from accountbuilder.exchange.bybit.secrets import Credentials
from accountbuilder.exchange.bybit.streams import OrderBoard, StreamSet
from accountbuilder.exchange.port import AccountSettings, ExchangePosition, OrderAck
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.records.redact import Redactor
from accountbuilder.signal.ids import validate_client_id

S = CCXT_SYMBOL
NOT_MODIFIED = {"margin_mode": 110026, "leverage": 110043}


@dataclass(frozen=True, slots=True)
class BybitSettings:
    """Adapter settings; ``stop_trigger_by`` is sent with every stop amend (ccxt's default
    would silently switch a MarkPrice stop to LastPrice, reference §6.6)."""

    client: ClientSettings = field(default_factory=ClientSettings)
    stop_trigger_by: TriggerBy = TriggerBy.MARK_PRICE


class BybitExchange:
    """The live exchange port. Build with ``connect``; call ``start_streams`` before reading."""

    def __init__(self, client: BybitClient, settings: BybitSettings) -> None:
        self.client, self.settings, self.clock = client, settings, client.clock
        self.board = OrderBoard()
        self._queue: asyncio.Queue[ExchangeEvent] = asyncio.Queue()
        self._specs: dict[str, OrderSpec] = {}
        self._key: KeyCheck | None = None
        self._invalid_positions = 0
        self.streams = StreamSet(client, self._emit, on_gap=self._on_gap)
        handlers = GapHandlers(
            self.streams.deliver_execution, self._recovered_order, self.streams.deliver_position
        )
        self.recovery = GapRecovery(client, self.streams.ledger, self.streams.gap_since, handlers)
        self.clock_sync = ClockSync(client)
        self.market = MarketReads(client)
        client.on_request = self._on_request
        client.on_timestamp_refused = self.clock_sync.mark_stale

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
    async def measure_clock(self) -> ClockReading:
        """Read Bybit's clock; every signature uses the offset from now on (issue 16 §7)."""
        return await self.clock_sync.measure()

    async def verify_key(self) -> KeyCheck:
        """Read the key's permissions; refuse anything beyond the allowlist (or no trading)."""
        check = assess_key(result_of(await self.client.call("privateGetV5UserQueryApi")))
        if check.refusal is not None:
            refused = (
                port_errors.PermissionRefused if check.extra_permissions else port_errors.AuthError
            )
            raise refused(check.refusal)
        self._key = check
        return check

    async def verify_account(self) -> bybit_account.AccountMode:
        """Read ``account/info``; refuse an account that is not UTA 2.0 (``UnsupportedAccount``)."""
        info = result_of(await self.client.call("privateGetV5AccountInfo"))
        mode = bybit_account.assess_account(info)
        key = self._key
        uta, unified = (key.uta, key.unified_margin) if key is not None else (True, False)
        self.client.set_account_type(uta, unified, mode.unified_margin_status)
        return mode

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

    def health(self) -> ExchangeHealth:
        counts = self.streams.counts()
        return ExchangeHealth(
            clock=self.clock_sync.reading,
            invalid_position_answers=self._invalid_positions + counts.invalid_position_frames,
            invalid_wallet_frames=counts.invalid_wallet_frames,
            dropped_frames=counts.dropped_frames,
            fills_recovered=self.recovery.fills_recovered,
        )

    # ================================================================ reference data
    async def load_instrument(self) -> Instrument:
        return await self.market.load_instrument()

    async def fetch_fee_rates(self) -> FeeRates:
        fee = await self.client.call("fetch_trading_fee", S)
        return read_answer(lambda: mapping.fee_rates(fee["info"]))

    async def fetch_candles(self, interval: str, limit: int) -> list[Candle]:
        return await self.market.fetch_candles(interval, limit)

    async def fetch_mark_price(self) -> Decimal:
        return await self.market.fetch_mark_price()

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
        try:
            rows = await self._position_rows()
            pos = read_answer(lambda: positions.position_from_row(rows[0], self.clock()))
        except port_errors.MalformedResponse as e:
            self._invalid_positions += 1
            logger.error("E3: invalid position answer #{}: {}", self._invalid_positions, e)
            raise
        if isinstance(pos.position_idx, str):
            logger.info("positionIdx {!r} (a string) accepted (F7)", pos.position_idx)
        return pos

    async def fetch_settings(self) -> AccountSettings:
        account = result_of(await self.client.call("privateGetV5AccountInfo"))
        rows = await self._position_rows()
        one_way = all(str(r.get("positionIdx", 0)) == "0" for r in rows)
        leverage = read_answer(lambda: positions.position_from_row(rows[0], 0).leverage)
        return AccountSettings(one_way, read_answer(lambda: mapping.margin_mode(account)), leverage)

    async def set_margin_mode(self, mode: MarginMode) -> None:
        # UTA 2.0: the margin mode is account-wide; never switch it under other positions.
        others = await self._other_positions()
        if others:
            raise port_errors.MarginModeRefused(
                f"not switching the account-wide margin mode to {mode.value}: the account holds "
                f"other positions ({'; '.join(others)}); close them or trade BTCUSD in a "
                "separate (sub)account",
                reasons=tuple(others),
            )
        await self._idempotent("margin_mode", "set_margin_mode", mode.value, S)

    async def set_leverage(self, leverage: Decimal) -> None:
        value = int(leverage) if leverage == leverage.to_integral_value() else float(leverage)
        await self._idempotent("leverage", "set_leverage", value, S)

    # ================================================================ orders
    async def place_order(self, spec: OrderSpec) -> OrderAck:
        validate_client_id(spec.client_id)  # G1: a bad id is a bug, never sent
        self._specs[spec.client_id] = spec
        answer = await self.client.call("create_order", *self._create_args(spec), mutation=True)
        return ack_of(answer, spec.client_id, "create")

    async def amend_order(
        self, client_id: str, *, qty: int | None = None, trigger_price: Decimal | None = None
    ) -> OrderAck:
        params: dict[str, Any] = {"orderLinkId": client_id}
        if trigger_price is not None:
            params["triggerPrice"] = mapping.price_text(trigger_price)
            params["triggerBy"] = self._trigger_by(client_id).value
        # ccxt requires a type and side; Bybit's amend ignores both (reference §4.3).
        kind, side = self._kind_and_side(client_id)
        answer = await self.client.call(
            "edit_order", None, S, kind, side, qty, None, params, mutation=True
        )
        return ack_of(answer, client_id, "amend")

    async def cancel_order(self, client_id: str) -> OrderAck:
        params = {"orderLinkId": client_id}
        answer = await self.client.call("cancel_order", None, S, params, mutation=True)
        return ack_of(answer, client_id, "cancel")

    async def fetch_order(self, client_id: str) -> Order | None:
        params = {"orderLinkId": client_id}  # never fetch_order(None, ...): it sends orderId=None
        found = await self.client.call("fetch_open_orders", S, None, None, params)
        if not found:  # UTA 2.0 history: closed orders only
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
        await self.recovery.stop()
        await self.streams.stop()
        await self.client.close()

    # ================================================================ helpers
    async def _position_rows(self) -> list[Mapping[str, Any]]:
        """BTCUSD rows, the largest first; an answer that cannot be the position is malformed."""
        answer = await self.client.call("privateGetV5PositionList", dict(INVERSE))
        rows = positions.btcusd_rows(result_of(answer))
        return sorted(rows, key=lambda r: -read_answer(lambda: mapping.contracts(r, "size")))

    async def _other_positions(self) -> list[str]:
        found: list[str] = []
        for query in bybit_account.OTHER_POSITION_QUERIES:
            answer = result_of(await self.client.call("privateGetV5PositionList", dict(query)))
            rows = answer.get("list") or []
            found += read_answer(lambda q=query, r=rows: bybit_account.other_positions(q["category"], r))  # fmt: skip
        return found

    async def _idempotent(self, what: str, method: str, *args: Any) -> None:
        try:
            await self.client.call(method, *args, mutation=True)
        except port_errors.Rejected as e:
            if e.code != NOT_MODIFIED[what]:  # "not modified" is success (110026/110043)
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
            params.update(self._stop_params(spec))
        price = mapping.price_text(spec.price) if limit and spec.price is not None else None
        kind = "limit" if limit else "market"
        return S, kind, spec.side.value.lower(), spec.qty, price, params

    def _stop_params(self, spec: OrderSpec) -> dict[str, Any]:
        rising = spec.trigger_direction is TriggerDirection.RISING
        assert spec.trigger_price is not None
        params = {
            "triggerPrice": mapping.price_text(spec.trigger_price),
            "triggerDirection": "ascending" if rising else "descending",
            "triggerBy": (spec.trigger_by or self.settings.stop_trigger_by).value,
        }
        if spec.reduce_only:  # G6: reduce when triggered whatever the available margin (Bybit
            params["closeOnTrigger"] = True  # cancels a triggered order short of margin otherwise)
        return params

    def _orders(self, found: list[Mapping[str, Any]]) -> list[Order]:
        orders = read_answer(lambda: [mapping.order_from_row(o["info"]) for o in found])
        orders = [o for o in orders if o.client_id or o.order_id]
        for order in orders:
            self.board.update(order)
        return orders

    def _kind_and_side(self, cid: str) -> tuple[str, str]:
        known = self.board.get(cid)
        spec = self._specs.get(cid)
        order_type = known.order_type if known else spec.order_type if spec else OrderType.MARKET
        side = known.side if known else spec.side if spec else None
        return ("market" if order_type is OrderType.MARKET else "limit"), (side.value.lower() if side else "sell")  # fmt: skip

    def _trigger_by(self, cid: str) -> TriggerBy:
        spec = self._specs.get(cid)
        return spec.trigger_by if spec is not None and spec.trigger_by else self.settings.stop_trigger_by  # fmt: skip

    def _recovered_order(self, row: Mapping[str, Any]) -> None:
        """An order read back after a stream gap: delivered when newer than what is known."""
        cid, updated = str(row.get("orderLinkId") or ""), str(row.get("updatedTime") or "")
        known = self.board.get(cid)
        if known is None or not updated.isdigit() or int(updated) > known.updated_ts_ms:
            self.streams.deliver_order(row)

    def _on_gap(self, reason: str) -> None:
        self.recovery.request(reason)

    def _emit(self, event: ExchangeEvent) -> None:
        if isinstance(event, OrderUpdated):
            self.board.update(event.order)
        self._queue.put_nowait(event)

    def _on_request(self, path: str, latency_ms: int, was_prepaid: bool) -> None:
        if not was_prepaid:  # the executor reports the round trips of the calls it made
            now = self.clock()
            self._queue.put_nowait(
                RestRoundTrip(
                    exchange_ts_ms=now, local_ts_ms=now, endpoint=path, latency_ms=latency_ms
                )  # fmt: skip
            )
