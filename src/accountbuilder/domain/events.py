"""Exchange events the core consumes (past tense). Each carries exchange time and local time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.enums import Side
from accountbuilder.domain.models import AccountSnapshot, Candle, Fill, Order
from accountbuilder.domain.requests import FailureKind, RequestId


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeEvent:
    """Base: ``exchange_ts_ms`` is when the exchange produced it, ``local_ts_ms`` when it arrived."""

    exchange_ts_ms: int
    local_ts_ms: int

    @property
    def age_ms(self) -> int:
        return self.local_ts_ms - self.exchange_ts_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkPriceUpdated(ExchangeEvent):
    mark_price: Decimal
    last_price: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CandleClosed(ExchangeEvent):
    interval: str  # "1" (minute) or "D"
    candle: Candle


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUpdated(ExchangeEvent):
    """Exchange evidence of an order: from the order stream, or a REST read (``via_rest``).

    The core confirms a stop (G8) and moves an order's lifecycle only on these, never on an ack.
    """

    order: Order
    via_rest: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(ExchangeEvent):
    """An execution (partial or full) with its real fee."""

    fill: Fill


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionUpdated(ExchangeEvent):
    """The exchange's position; ``contracts == 0`` means flat."""

    side: Side | None
    contracts: int
    entry_price: Decimal | None
    liq_price: Decimal | None
    unrealized_pnl_btc: Decimal = Decimal(0)
    leverage: Decimal | None = None
    position_idx: int | str = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletUpdated(ExchangeEvent):
    account: AccountSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionLiquidated(ExchangeEvent):
    """The exchange liquidated (or ADL'd) the position (SPEC E6)."""

    side: Side
    contracts: int
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingApplied(ExchangeEvent):
    rate: Decimal
    amount_btc: Decimal  # positive = received, negative = paid


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamReconnected(ExchangeEvent):
    """The WS stream reconnected: events may have been lost (SPEC F2)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PongReceived(ExchangeEvent):
    """A heartbeat answer on the WS (SPEC F2)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSucceeded(ExchangeEvent):
    """The exchange answered a request without an error.

    For a place, amend or cancel this is an ack and nothing more (SPEC G8, F4): the order's
    state comes from ``OrderUpdated``. For a lookup, ``found`` says whether the order exists
    (its state, when found, arrives as an ``OrderUpdated`` read by REST).
    """

    request: RequestId
    order_id: str = ""
    found: bool | None = None

    @property
    def client_id(self) -> str:
        return self.request.client_id


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandFailed(ExchangeEvent):
    """A request did not take effect, or its outcome is unknown (``failure.outcome``)."""

    request: RequestId
    failure: FailureKind
    message: str = ""

    @property
    def client_id(self) -> str:
        return self.request.client_id


@dataclass(frozen=True, slots=True, kw_only=True)
class RestRoundTrip(ExchangeEvent):
    """A REST call's round trip, for the E2 latency check."""

    endpoint: str
    latency_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HaltResetRequested(ExchangeEvent):
    """`accountbuilder halt reset --reason` asked to lift a HALT (SPEC E5)."""

    reason: str
    who: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountAnswerInvalid(ExchangeEvent):
    """A wallet/balance answer was missing, non-numeric or otherwise invalid (SPEC E3)."""

    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockOffsetMeasured(ExchangeEvent):
    """The exchange's clock minus ours (issue 16 §7). Beyond ``limit_ms`` no entry is made;
    stop supervision goes on (requests are signed with the measured offset)."""

    offset_ms: int
    limit_ms: int = 1_000

    @property
    def in_sync(self) -> bool:
        return abs(self.offset_ms) <= self.limit_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreUnavailable(ExchangeEvent):
    """The store could not commit a round (full disk, I/O error): entries stop (SPEC I4).

    Protective commands still went out; the rest were refused as never sent.
    """

    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeSnapshotFetched(ExchangeEvent):
    """The exchange's truth read by REST (start, DEGRADED, F4 triggers) for reconcile (F5).

    ``position`` is an ``exchange.port.ExchangePosition``; ``startup`` makes the core take the
    truth at once instead of waiting for 3 identical mismatches.
    """

    position: object
    open_orders: tuple[Order, ...]
    startup: bool = False
