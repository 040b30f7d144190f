"""Small builders for simulator tests: candle rows, order specs, event filters."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from accountbuilder.domain.enums import (
    OrderRole,
    OrderSide,
    OrderType,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
)
from accountbuilder.domain.models import OrderSpec
from accountbuilder.exchange.sim import SimConfig, SimExchange
from accountbuilder.marketdata.candles import CandleArrays, candles_from_columns

DAY0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
MIN = 60_000
BUY, SELL = OrderSide.BUY, OrderSide.SELL
D = Decimal


def arrays(rows, start_ms: int = DAY0, tf: int = MIN) -> CandleArrays:
    """Rows of (open, high, low, close[, volume]) as consecutive candles from ``start_ms``."""
    rows = [tuple(r) + ((1000.0,) if len(r) == 4 else ()) for r in rows]
    cols = np.array(rows, dtype=np.float64)
    ts = start_ms + np.arange(len(rows), dtype=np.int64) * tf
    return candles_from_columns(ts, *cols.T, timeframe_ms=tf)


def flat_rows(price: float, n: int, spread: float = 10.0):
    """``n`` quiet candles around ``price`` (high/low ± spread)."""
    return [(price, price + spread, price - spread, price)] * n


def sim(rows, start_ms: int = DAY0, tf: int = MIN, **config) -> SimExchange:
    """A loaded simulator; ``config`` overrides ``SimConfig`` fields."""
    config.setdefault("start_balance_btc", D("0.01"))
    return SimExchange(SimConfig(**config), arrays(rows, start_ms, tf))


def market(cid: str, side: OrderSide, qty: int, reduce_only: bool = False) -> OrderSpec:
    role = OrderRole.CLOSE if reduce_only else OrderRole.TAKER_ENTRY
    return OrderSpec(cid, role, side, OrderType.MARKET, qty, reduce_only=reduce_only)


def limit(
    cid: str,
    side: OrderSide,
    qty: int,
    price,
    *,
    post_only: bool = True,
    reduce_only: bool = False,
    tif: TimeInForce | None = None,
) -> OrderSpec:
    role = OrderRole.TAKE_PROFIT if reduce_only else OrderRole.ENTRY
    tif = tif or (TimeInForce.POST_ONLY if post_only else TimeInForce.GTC)
    return OrderSpec(
        cid,
        role,
        side,
        OrderType.LIMIT,
        qty,
        price=D(str(price)),
        time_in_force=tif,
        reduce_only=reduce_only,
    )


def stop(cid: str, side: OrderSide, qty: int, trigger, reduce_only: bool = True) -> OrderSpec:
    """SPEC G6 stop: Market, reduce-only, trigger by mark; a sell stop falls (2), a buy rises (1)."""
    direction = TriggerDirection.FALLING if side is SELL else TriggerDirection.RISING
    return OrderSpec(
        cid,
        OrderRole.STOP,
        side,
        OrderType.MARKET,
        qty,
        reduce_only=reduce_only,
        trigger_price=D(str(trigger)),
        trigger_direction=direction,
        trigger_by=TriggerBy.MARK_PRICE,
    )


def of(events, cls):
    """The events of one type, in order."""
    return [e for e in events if isinstance(e, cls)]
