"""Frozen value objects: instrument filters, snapshots, positions, orders and fills.

Prices and BTC amounts are ``Decimal``; contracts are ``int`` (1 contract = 1 USD);
timestamps are integer UTC milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from accountbuilder.domain.enums import (
    Liquidity,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    Side,
    Stage,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
)

SYMBOL = "BTCUSD"
CCXT_SYMBOL = "BTC/USD:BTC"


@dataclass(frozen=True, slots=True)
class RiskTier:
    """One risk-limit tier of the instrument (``/v5/market/risk-limit``).

    ``limit_contracts`` is the largest position (contracts = USD) the tier covers.
    Rates are fractions (0.005 = 0.5%).
    """

    limit_contracts: int
    maintenance_margin_rate: Decimal
    initial_margin_rate: Decimal
    max_leverage: Decimal
    mm_deduction_btc: Decimal = Decimal(0)


DEFAULT_RISK_TIERS: tuple[RiskTier, ...] = (
    RiskTier(150 * 60_000, Decimal("0.005"), Decimal("0.01"), Decimal(100)),
)


@dataclass(frozen=True, slots=True)
class Instrument:
    """Trading filters of BTCUSD (``/v5/market/instruments-info``)."""

    symbol: str = SYMBOL
    tick_size: Decimal = Decimal("0.5")
    qty_step: int = 1
    min_qty: int = 1
    max_qty: int = 1_000_000
    risk_tiers: tuple[RiskTier, ...] = DEFAULT_RISK_TIERS

    def tier_for(self, contracts: int) -> RiskTier:
        """The risk tier whose limit covers ``contracts`` (the last tier above all limits)."""
        for tier in self.risk_tiers:
            if contracts <= tier.limit_contracts:
                return tier
        return self.risk_tiers[-1]


@dataclass(frozen=True, slots=True)
class FeeRates:
    """Fee rates as fractions of notional (SPEC A3 defaults)."""

    maker: Decimal = Decimal("0.0001")
    taker: Decimal = Decimal("0.0006")


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle; ``ts_ms`` is its open time."""

    ts_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """What the core reads about the market at one moment."""

    ts_ms: int
    mark_price: Decimal
    last_price: Decimal | None = None
    atr_pct_24h: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """Wallet view in BTC (SPEC A1)."""

    ts_ms: int
    wallet_balance_btc: Decimal
    unrealized_pnl_btc: Decimal = Decimal(0)
    currency: str = "BTC"

    @property
    def equity_btc(self) -> Decimal:
        return self.wallet_balance_btc + self.unrealized_pnl_btc

    def equity_usd(self, mark_price: Decimal) -> Decimal:
        return self.equity_btc * mark_price


@dataclass(frozen=True, slots=True)
class Position:
    """An open position. ``entry_stage`` keeps the stage's rules until close (SPEC B1)."""

    side: Side
    contracts: int
    entry_price: Decimal
    entry_stage: Stage
    leverage: Decimal
    liq_price: Decimal | None = None
    opened_ts_ms: int = 0
    signal_id: str = ""
    max_loss_btc: Decimal = Decimal(0)
    stop_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    entry_working: bool = False  # SPEC G5: entry order still has quantity to fill

    def unrealized_pnl_btc(self, mark_price: Decimal) -> Decimal:
        """Inverse PnL (SPEC A2)."""
        from accountbuilder.domain.inverse import pnl_btc

        return pnl_btc(self.side, self.contracts, self.entry_price, mark_price)


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """An order the core wants placed. ``client_id`` is the Bybit ``orderLinkId`` (SPEC G1)."""

    client_id: str
    role: OrderRole
    side: OrderSide
    order_type: OrderType
    qty: int
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    trigger_price: Decimal | None = None
    trigger_direction: TriggerDirection | None = None
    trigger_by: TriggerBy | None = None
    position_idx: int = 0  # SPEC F7: one-way mode, always 0

    @property
    def is_conditional(self) -> bool:
        return self.trigger_price is not None


@dataclass(frozen=True, slots=True)
class Order:
    """The exchange's view of an order."""

    client_id: str
    order_id: str
    role: OrderRole
    side: OrderSide
    order_type: OrderType
    qty: int
    status: OrderStatus
    price: Decimal | None = None
    filled_qty: int = 0
    avg_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    trigger_price: Decimal | None = None
    trigger_direction: TriggerDirection | None = None
    reject_reason: str = ""
    position_idx: int = 0
    updated_ts_ms: int = 0

    @property
    def leaves_qty(self) -> int:
        return max(self.qty - self.filled_qty, 0)

    @classmethod
    def from_spec(cls, spec: OrderSpec, order_id: str, status: OrderStatus, **changes) -> Order:
        """The exchange's view of ``spec``; ``changes`` set what the exchange changed (qty, fills…)."""
        fields_ = {
            "client_id": spec.client_id,
            "order_id": order_id,
            "role": spec.role,
            "side": spec.side,
            "order_type": spec.order_type,
            "qty": spec.qty,
            "status": status,
            "price": spec.price,
            "time_in_force": spec.time_in_force,
            "reduce_only": spec.reduce_only,
            "trigger_price": spec.trigger_price,
            "trigger_direction": spec.trigger_direction,
            "position_idx": spec.position_idx,
        }
        return cls(**(fields_ | changes))


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution, with the fee the exchange really charged (``execFee``, BTC)."""

    exec_id: str
    client_id: str
    order_id: str
    side: OrderSide
    price: Decimal
    qty: int
    fee_btc: Decimal
    fee_rate: Decimal
    liquidity: Liquidity
    ts_ms: int
    role: OrderRole | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)
