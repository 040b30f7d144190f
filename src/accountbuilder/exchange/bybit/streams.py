"""Bybit WebSocket frames → domain events (SPEC F2, F4, E2).

``StreamSet`` keeps one ccxt.pro subscription per topic alive (re-watching after a drop) and
reads every frame through the client's tap: tickers (mark price), confirmed klines ("1", "D"),
and the private order, execution, position and wallet streams. Each event carries the
exchange's time (``ts`` / ``creationTime``) and the local time of arrival, so the core can
measure each event's age (E2). A new connection replacing a dropped one is reported as
``StreamReconnected`` (F2), every pong as ``PongReceived``. A frame that cannot be read is
dropped, logged and counted, except a BTCUSD position row or a BTC wallet row, which becomes
``AccountAnswerInvalid`` (E3) and never updates the view. A wallet frame carries only the coins
that changed: one without a BTC row changes nothing. Executions are delivered once per
``execId``; after a gap in the private stream the ones it missed are read back by REST
(``recovery.py``) and delivered through the same handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loguru import logger

from accountbuilder.domain.enums import OrderSide, Side
from accountbuilder.domain.events import (
    AccountAnswerInvalid,
    CandleClosed,
    ExchangeEvent,
    FundingApplied,
    MarkPriceUpdated,
    OrderFilled,
    OrderUpdated,
    PongReceived,
    PositionLiquidated,
    PositionUpdated,
    StreamReconnected,
    WalletUpdated,
)
from accountbuilder.domain.models import SYMBOL, Order
from accountbuilder.domain.reasons import Denial
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit import mapping, positions
from accountbuilder.exchange.bybit.client import WATCHES, BybitClient
from accountbuilder.exchange.bybit.recovery import ExecutionLedger, GapWatch
from accountbuilder.exchange.port import ExchangePosition

Emit = Callable[[ExchangeEvent], None]
KLINE_INTERVALS = {"1": "1", "D": "D"}
LIQUIDATION_EXEC = ("BustTrade", "AdlTrade")
# Bybit's position row says when the position is being liquidated / auto-deleveraged.
LIQUIDATION_STATUS = ("Liq", "Adl")
RETRY_S = (0.2, 1.0, 2.0, 5.0)


class OrderBoard:
    """The newest known state of each order by client id (what an amend needs to name it)."""

    def __init__(self, keep: int = 1000) -> None:
        self._latest: OrderedDict[str, Order] = OrderedDict()
        self._keep = keep

    def get(self, cid: str) -> Order | None:
        return self._latest.get(cid)

    def update(self, order: Order) -> None:
        """Take ``order`` unless a newer state of it is already known."""
        cid = order.client_id
        known = self._latest.get(cid)
        if not cid or (known is not None and known.updated_ts_ms > order.updated_ts_ms):
            return
        self._latest[cid] = order
        self._latest.move_to_end(cid)
        while len(self._latest) > self._keep:
            self._latest.popitem(last=False)


@dataclass(frozen=True, slots=True)
class StreamCounts:
    """What the streams refused or repaired since start (``status`` shows it)."""

    invalid_position_frames: int
    invalid_wallet_frames: int
    dropped_frames: int
    duplicate_executions: int


class StreamSet:
    """Subscriptions and frame decoding for one ``BybitClient``."""

    def __init__(
        self,
        client: BybitClient,
        emit: Emit,
        *,
        sleep: Callable[[float], Any] = asyncio.sleep,
        on_gap: Callable[[str], None] | None = None,
        topics: tuple[str, ...] = tuple(WATCHES),
    ) -> None:
        self.client, self.emit, self.sleep = client, emit, sleep
        self.topics = topics  # the dry run subscribes to the public topics only
        self.on_gap = on_gap or (lambda reason: None)  # missed executions may need a REST read
        self.clock = client.clock
        self.ledger, self.gaps = ExecutionLedger(), GapWatch()
        self.started_ms: int | None = None
        self._counts = {"position": 0, "wallet": 0, "dropped": 0, "duplicate": 0}
        self._tasks: list[asyncio.Task[None]] = []
        self._connections: dict[str, int] = {}
        self._ticker: dict[str, Any] = {}
        self._last_closed: dict[str, int] = {}
        self._position_status = "Normal"
        self._acks = {"public": 0, "private": 0}
        self._ready = asyncio.Event()
        client.tap = self.tap

    # --------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Open every subscription (each in its own task, re-watched after a drop)."""
        if not self._tasks:
            self.started_ms = self.clock()
            self._tasks = [asyncio.create_task(self._keep(topic)) for topic in self.topics]

    def counts(self) -> StreamCounts:
        c = self._counts
        return StreamCounts(c["position"], c["wallet"], c["dropped"], c["duplicate"])

    async def ready(self, timeout_s: float) -> bool:
        """Wait until every topic's subscription was acknowledged (False after ``timeout_s``)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        return self._ready.is_set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def _keep(self, topic: str) -> None:
        failures = 0
        while True:
            try:
                await self.client.watch(topic)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a drop or a refused subscription: watch again
                logger.warning(
                    "ws {} watch failed: {}", topic, self.client.redact(f"{type(e).__name__}: {e}")
                )
                await self.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1

    # --------------------------------------------------------------------------- frames
    def tap(self, url: str, conn_id: int, frame: Any) -> None:
        """Decode one raw frame; never raises into ccxt."""
        if not isinstance(frame, Mapping):
            return
        now = self.clock()
        kind = "private" if "/private" in url else "public"
        try:
            self._note_connection(kind, conn_id, now)
            if kind == "private" and self.gaps.on_frame(now):
                self.on_gap("private stream silent")
            if frame.get("op") == "subscribe" and frame.get("success"):
                self._acked(kind)
            self._dispatch(frame, now)
        except Exception as e:  # a frame we cannot read is dropped, never fatal
            self._counts["dropped"] += 1
            logger.warning("ws frame dropped: {}", self.client.redact(f"{type(e).__name__}: {e}"))

    def _note_connection(self, kind: str, conn_id: int, now: int) -> None:
        previous = self._connections.get(kind)
        self._connections[kind] = conn_id
        if previous is not None and previous != conn_id:
            self._acks[kind] = 0
            if kind == "private":
                self.gaps.on_reconnect()
            self.emit(StreamReconnected(exchange_ts_ms=now, local_ts_ms=now))

    def _acked(self, kind: str) -> None:
        self._acks[kind] += 1
        private = sum(1 for t in self.topics if t in _PRIVATE)
        if kind == "private" and self._acks["private"] >= private and self.gaps.on_subscribed():
            self.on_gap("private stream reconnected")
        if self._acks["private"] >= private and self._acks["public"] >= len(self.topics) - private:
            self._ready.set()

    def _dispatch(self, frame: Mapping[str, Any], now: int) -> None:
        topic = str(frame.get("topic") or "")
        if frame.get("ret_msg") == "pong" or frame.get("op") == "pong":
            self.emit(PongReceived(exchange_ts_ms=_pong_ts(frame, now), local_ts_ms=now))
        elif topic.startswith("tickers."):
            self._on_ticker(frame, now)
        elif topic.startswith("kline."):
            self._on_kline(topic, frame, now)
        elif topic:
            handler = _PRIVATE.get(topic.split(".")[0])
            ts = int(frame.get("creationTime") or now)
            for row in frame.get("data") or ():
                if handler is not None and isinstance(row, Mapping):
                    handler(self, row, ts, now)

    def _on_ticker(self, frame: Mapping[str, Any], now: int) -> None:
        data = frame.get("data") or {}
        if frame.get("type") == "snapshot":
            self._ticker = {}
        self._ticker.update(data)
        if "markPrice" not in data and "lastPrice" not in data:
            return
        mark = mapping.dec(self._ticker, "markPrice")
        last = mapping.opt_price(self._ticker, "lastPrice")
        ts = int(frame.get("ts") or now)
        self.emit(MarkPriceUpdated(exchange_ts_ms=ts, local_ts_ms=now, mark_price=mark, last_price=last))  # fmt: skip

    def _on_kline(self, topic: str, frame: Mapping[str, Any], now: int) -> None:
        interval = KLINE_INTERVALS.get(topic.split(".")[1])
        if interval is None:
            return
        ts = int(frame.get("ts") or now)
        for data in frame.get("data") or ():
            if not data.get("confirm"):
                continue
            candle = mapping.candle_from_ws(data)
            if candle.ts_ms <= self._last_closed.get(interval, -1):
                continue  # already delivered (a reconnect may resend it)
            self._last_closed[interval] = candle.ts_ms
            self.emit(CandleClosed(exchange_ts_ms=ts, local_ts_ms=now, interval=interval, candle=candle))  # fmt: skip

    # --------------------------------------------------------------------------- private rows
    def _on_order(self, row: Mapping[str, Any], ts: int, now: int) -> None:
        if _ours(row):
            order = mapping.order_from_row(row)
            self.emit(OrderUpdated(exchange_ts_ms=ts, local_ts_ms=now, order=order))

    def deliver_execution(self, row: Mapping[str, Any]) -> None:
        """An execution read back by REST (already de-duplicated): the stream's own handler."""
        now = self.clock()
        if _ours(row):
            self._on_execution_row(row, int(mapping.dec(row, "execTime")), now)

    def gap_since(self) -> int:
        """Since when the latest private gap may have hidden something (its last frame)."""
        start = self.gaps.gap_start_ms
        return start if start is not None else (self.started_ms or self.clock())

    def deliver_order(self, row: Mapping[str, Any]) -> None:
        """An order row read by REST after a gap: the stream's order handler."""
        now = self.clock()
        try:
            self._on_order(row, int(mapping.dec(row, "updatedTime")), now)
        except port_errors.MalformedResponse as e:
            self._counts["dropped"] += 1
            logger.warning("order read after a gap dropped: {}", e)

    def deliver_position(self, result: Mapping[str, Any]) -> None:
        """A ``position/list`` result read by REST after a gap: the stream's position handler."""
        now = self.clock()
        try:
            rows = positions.btcusd_rows(result)
        except port_errors.MalformedResponse as e:  # E3, as an invalid stream frame
            self._invalid("position", f"position read after a gap: {e}", now, now)
            return
        row = next((r for r in rows if str(r.get("positionIdx", 0)) == "0"), rows[0])
        self._on_position(row, now, now)

    def _on_execution(self, row: Mapping[str, Any], ts: int, now: int) -> None:
        if not _ours(row):
            return
        if not self.ledger.first_time(row):
            self._counts["duplicate"] += 1
            return
        self._on_execution_row(row, ts, now)

    def _on_execution_row(self, row: Mapping[str, Any], ts: int, now: int) -> None:
        kind = row.get("execType")
        if kind == "Trade":
            fill = mapping.fill_from_row(row)
            self.emit(OrderFilled(exchange_ts_ms=ts, local_ts_ms=now, fill=fill))
        elif kind == "Funding":
            paid = mapping.dec(row, "execFee")  # positive = paid by us
            rate = mapping.dec(row, "feeRate")
            self.emit(FundingApplied(exchange_ts_ms=ts, local_ts_ms=now, rate=rate, amount_btc=-paid))  # fmt: skip
        elif kind in LIQUIDATION_EXEC:  # SPEC E6: the exchange liquidated / ADL'd us
            side = Side.LONG if row.get("side") == OrderSide.SELL.value else Side.SHORT
            self.emit(
                PositionLiquidated(
                    exchange_ts_ms=ts,
                    local_ts_ms=now,
                    side=side,
                    contracts=mapping.contracts(row, "execQty"),
                    price=mapping.dec(row, "execPrice"),
                )
            )

    def _on_position(self, row: Mapping[str, Any], ts: int, now: int) -> None:
        if not _ours(row):
            return
        try:
            pos = positions.position_from_row(row, ts)
        except port_errors.MalformedResponse as e:  # E3: never folded into the view
            self._invalid("position", f"position frame: {e}", ts, now)
            return
        if isinstance(pos.position_idx, str):
            logger.info(
                "position row with positionIdx {!r} (string) accepted (F7)", pos.position_idx
            )
        self.emit(
            PositionUpdated(
                exchange_ts_ms=ts,
                local_ts_ms=now,
                side=pos.side,
                contracts=pos.contracts,
                entry_price=pos.entry_price,
                liq_price=pos.liq_price,
                unrealized_pnl_btc=pos.unrealized_pnl_btc,
                leverage=pos.leverage or None,
                position_idx=pos.position_idx,
            )
        )
        self._on_position_status(row, pos, ts, now)

    def _on_position_status(
        self, row: Mapping[str, Any], pos: ExchangePosition, ts: int, now: int
    ) -> None:
        """SPEC E6: ``positionStatus`` ``Liq``/``Adl`` is the exchange liquidating us (once)."""
        status = str(row.get("positionStatus") or "Normal")
        entering = status in LIQUIDATION_STATUS and status != self._position_status
        self._position_status = status
        if entering and pos.side is not None:
            price = mapping.opt_price(row, "markPrice") or pos.liq_price or Decimal(0)
            self.emit(
                PositionLiquidated(
                    exchange_ts_ms=ts,
                    local_ts_ms=now,
                    side=pos.side,
                    contracts=pos.contracts,
                    price=price,
                )
            )

    def _on_wallet(self, row: Mapping[str, Any], ts: int, now: int) -> None:
        coins = row.get("coin")
        if not isinstance(coins, list):
            self._invalid("wallet", f"wallet frame without a coin list: {coins!r}", ts, now)
            return
        if mapping.btc_coin(coins) is None:
            return  # only other coins changed (the frame holds changed coins only)
        account = mapping.account_from_wallet(row, ts)
        if isinstance(account, Denial):
            self._invalid("wallet", str(account), ts, now)
        else:
            self.emit(WalletUpdated(exchange_ts_ms=ts, local_ts_ms=now, account=account))

    def _invalid(self, what: str, detail: str, ts: int, now: int) -> None:
        self._counts[what] += 1
        logger.error("E3: invalid {} answer #{} ignored: {}", what, self._counts[what], detail)
        self.emit(AccountAnswerInvalid(exchange_ts_ms=ts, local_ts_ms=now, detail=detail))


_PRIVATE: dict[str, Callable[[StreamSet, Mapping[str, Any], int, int], None]] = {
    "order": StreamSet._on_order,
    "execution": StreamSet._on_execution,
    "position": StreamSet._on_position,
    "wallet": StreamSet._on_wallet,
}


def _ours(row: Mapping[str, Any]) -> bool:
    """BTCUSD inverse rows only (the all-in-one private topics carry every category)."""
    return row.get("symbol") == SYMBOL and row.get("category", "inverse") == "inverse"


def _pong_ts(frame: Mapping[str, Any], now: int) -> int:
    args = frame.get("args")
    if isinstance(args, list) and args and str(args[0]).isdigit():
        return int(args[0])
    return now
