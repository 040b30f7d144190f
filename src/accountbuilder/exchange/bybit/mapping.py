"""Bybit V5 rows → domain values, in one place (ccxt errors: ``outcomes.py``).

REST rows (ccxt's ``info``) and WebSocket rows share their shapes (reference §4–§5), so one
function maps each kind for both. Anything missing, non-numeric or NaN where a number is
required raises ``MalformedResponse`` (SPEC E3 for the wallet). Bybit quirks handled here:
``""``/``"0"`` mean "none" for optional prices; a PostOnly cancelled with
``EC_PostOnlyWillTakeLiquidity`` is a rejection, not a cancel (§4.9); the risk-limit
``maintenanceMargin`` may be in percent (§2.5). Position rows: ``positions.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from accountbuilder.domain.enums import (
    Liquidity,
    MarginMode,
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TriggerDirection,
)
from accountbuilder.domain.models import (
    SYMBOL,
    AccountSnapshot,
    Candle,
    FeeRates,
    Fill,
    Instrument,
    Order,
    RiskTier,
)
from accountbuilder.domain.reasons import Denial
from accountbuilder.emergency.balance import assess_balance
from accountbuilder.exchange import errors as port_errors
from accountbuilder.signal.ids import parse_client_id

Row = Mapping[str, Any]
POST_ONLY_WOULD_TAKE = "EC_PostOnlyWillTakeLiquidity"
NO_ERROR_REASONS = frozenset({"", "EC_NoError", "UNKNOWN"})

# ------------------------------------------------------------------------------ numbers


def dec(row: Row, key: str) -> Decimal:
    """A required finite number; ``MalformedResponse`` names the field otherwise."""
    raw = row.get(key) if isinstance(row, Mapping) else None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise port_errors.MalformedResponse(f"field {key}={raw!r} is not a number") from None
    if raw is None or raw == "" or not value.is_finite():
        raise port_errors.MalformedResponse(f"field {key}={raw!r} is not a number")
    return value


def opt_price(row: Row, key: str) -> Decimal | None:
    """An optional price: missing, ``""`` and ``"0"`` mean none."""
    raw = row.get(key)
    if raw in (None, "", "0", 0):
        return None
    value = dec(row, key)
    return value if value > 0 else None


def contracts(row: Row, key: str) -> int:
    """A whole number of contracts (1 contract = 1 USD)."""
    value = dec(row, key)
    if value != value.to_integral_value() or value < 0:
        raise port_errors.MalformedResponse(f"field {key}={row.get(key)!r} is not whole contracts")
    return int(value)


# ------------------------------------------------------------------------------ answers


def price_text(price: Decimal) -> str:
    """A price as Bybit wants it in a request: plain decimal text, no exponent."""
    return format(price.normalize(), "f")


# ------------------------------------------------------------------------------ orders

_TIF = {"PostOnly": TimeInForce.POST_ONLY, "IOC": TimeInForce.IOC, "FOK": TimeInForce.IOC}


def role_of(cid: str, reduce_only: bool, conditional: bool, order_type: OrderType) -> OrderRole:
    """The role coded in our client ids (G1); a guess from the order's shape for foreign ones."""
    parsed = parse_client_id(cid)
    if parsed is not None:
        return parsed[2]
    if reduce_only and conditional:
        return OrderRole.STOP
    if reduce_only:
        return OrderRole.CLOSE if order_type is OrderType.MARKET else OrderRole.TAKE_PROFIT
    return OrderRole.ENTRY


def order_status(row: Row) -> OrderStatus:
    """Bybit's status, except that a PostOnly cancelled for taking liquidity is Rejected (§4.9)."""
    try:
        status = OrderStatus(row.get("orderStatus"))
    except ValueError:
        raise port_errors.MalformedResponse(
            f"orderStatus {row.get('orderStatus')!r} unknown"
        ) from None
    if status is OrderStatus.CANCELLED and row.get("rejectReason") == POST_ONLY_WOULD_TAKE:
        return OrderStatus.REJECTED
    return status


def order_from_row(row: Row) -> Order:
    """An order row of ``/v5/order/realtime|history`` or of the ``order`` stream."""
    try:
        order_type = OrderType(row.get("orderType"))
        side = OrderSide(row.get("side"))
    except ValueError:
        raise port_errors.MalformedResponse(f"order row type/side {row.get('orderType')!r}/{row.get('side')!r}") from None  # fmt: skip
    cid = str(row.get("orderLinkId") or "")
    trigger = opt_price(row, "triggerPrice")
    reduce_only = row.get("reduceOnly") in (True, "true", "True", 1, "1")
    direction = int(row.get("triggerDirection") or 0)
    reason = str(row.get("rejectReason") or "")
    return Order(
        client_id=cid,
        order_id=str(row.get("orderId") or ""),
        role=role_of(cid, reduce_only, trigger is not None, order_type),
        side=side,
        order_type=order_type,
        qty=contracts(row, "qty"),
        status=order_status(row),
        price=opt_price(row, "price") if order_type is OrderType.LIMIT else None,
        filled_qty=contracts(row, "cumExecQty") if row.get("cumExecQty") not in (None, "") else 0,
        avg_price=opt_price(row, "avgPrice"),
        time_in_force=_TIF.get(str(row.get("timeInForce")), TimeInForce.GTC),
        reduce_only=reduce_only,
        trigger_price=trigger,
        trigger_direction=TriggerDirection(direction) if direction in (1, 2) else None,
        reject_reason="" if reason in NO_ERROR_REASONS else reason,
        position_idx=int(row.get("positionIdx") or 0),
        updated_ts_ms=int(row.get("updatedTime") or 0),
    )


def fill_from_row(row: Row) -> Fill:
    """A ``Trade`` execution with the fee Bybit really charged (``execFee``, BTC; SPEC G10)."""
    cid = str(row.get("orderLinkId") or "")
    parsed = parse_client_id(cid)
    try:
        side = OrderSide(row.get("side"))
    except ValueError:
        raise port_errors.MalformedResponse(f"execution side {row.get('side')!r}") from None
    maker = row.get("isMaker") in (True, "true", "True", 1, "1")
    return Fill(
        exec_id=str(row.get("execId") or ""),
        client_id=cid,
        order_id=str(row.get("orderId") or ""),
        side=side,
        price=dec(row, "execPrice"),
        qty=contracts(row, "execQty"),
        fee_btc=dec(row, "execFee"),
        fee_rate=dec(row, "feeRate"),
        liquidity=Liquidity.MAKER if maker else Liquidity.TAKER,
        ts_ms=int(dec(row, "execTime")),
        role=None if parsed is None else parsed[2],
        extra={"execType": str(row.get("execType") or "")},
    )


# ------------------------------------------------------------------------------ account


def btc_coin(coins: Sequence[Row] | None) -> Row | None:
    for coin in coins or ():
        if isinstance(coin, Mapping) and coin.get("coin") == "BTC":
            return coin
    return None


def account_from_wallet(entry: Row | None, ts_ms: int) -> AccountSnapshot | Denial:
    """The BTC coin row of a wallet entry, checked by the E3 rules (a Denial when anomalous)."""
    coin = btc_coin(entry.get("coin") if isinstance(entry, Mapping) else None)
    if coin is None:
        return assess_balance(ts_ms, None, None, None)
    return assess_balance(
        ts_ms,
        coin.get("walletBalance"),
        coin.get("unrealisedPnl"),
        coin.get("coin"),
        equity=coin.get("equity"),
    )


def margin_mode(account_info: Row) -> MarginMode:
    """``/v5/account/info`` ``marginMode``: ISOLATED_MARGIN is isolated; anything else shares."""
    raw = account_info.get("marginMode")
    if raw not in ("ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN"):
        raise port_errors.MalformedResponse(f"marginMode {raw!r} unknown")
    return MarginMode.ISOLATED if raw == "ISOLATED_MARGIN" else MarginMode.CROSS


# ------------------------------------------------------------------------------ reference data


def risk_tiers(rows: Sequence[Row], mark: Decimal) -> tuple[RiskTier, ...]:
    """Tiers from ``/v5/market/risk-limit``; BTC limits become contracts at ``mark``.

    The docs' BTCUSD sample gives ``maintenanceMargin "0.5"`` and ``initialMargin "1"`` with
    ``maxLeverage 100``: percent, since the initial margin rate is 1/maxLeverage. Units are
    decided per row by that relation, so a fraction-valued answer is read right too.
    """
    tiers = []
    for row in rows:
        max_lev = dec(row, "maxLeverage")
        mm, im = dec(row, "maintenanceMargin"), dec(row, "initialMargin")
        percent = abs(im - 100 / max_lev) < abs(im - 1 / max_lev)
        scale = Decimal(100) if percent else Decimal(1)
        deduction = row.get("mmDeduction")
        tiers.append(
            RiskTier(
                limit_contracts=int(dec(row, "riskLimitValue") * mark),
                maintenance_margin_rate=mm / scale,
                initial_margin_rate=im / scale,
                max_leverage=max_lev,
                mm_deduction_btc=dec(row, "mmDeduction") if deduction else Decimal(0),
            )
        )
    if not tiers or any(not 0 < t.maintenance_margin_rate < 1 for t in tiers):
        raise port_errors.MalformedResponse(f"risk-limit tiers unusable: {tiers}")
    return tuple(sorted(tiers, key=lambda t: t.limit_contracts))


def instrument_from(info: Row, tiers: tuple[RiskTier, ...]) -> Instrument:
    """BTCUSD filters from its ``instruments-info`` row (ccxt's ``market['info']``)."""
    prices, lots = info.get("priceFilter") or {}, info.get("lotSizeFilter") or {}
    if info.get("symbol") != SYMBOL or info.get("contractType") != "InversePerpetual":
        raise port_errors.MalformedResponse(f"instrument {info.get('symbol')!r} is not BTCUSD")
    return Instrument(
        symbol=SYMBOL,
        tick_size=dec(prices, "tickSize"),
        qty_step=contracts(lots, "qtyStep"),
        min_qty=contracts(lots, "minOrderQty"),
        max_qty=contracts(lots, "maxOrderQty"),
        risk_tiers=tiers,
    )


def fee_rates(row: Row) -> FeeRates:
    """``/v5/account/fee-rate`` row: the account's real rates (SPEC A3)."""
    return FeeRates(maker=dec(row, "makerFeeRate"), taker=dec(row, "takerFeeRate"))


def candle_from_rest(row: Sequence[Any]) -> Candle:
    """A ``/v5/market/kline`` row ``[start, open, high, low, close, volume, turnover]``."""
    keys = ("start", "open", "high", "low", "close", "volume")
    named = dict(zip(keys, row, strict=False))
    return candle_from_ws(named)


def candle_from_ws(data: Row) -> Candle:
    """A kline (stream ``data`` entry or a named REST row); volume is in contracts (USD)."""
    volume = data.get("volume")
    return Candle(
        ts_ms=int(dec(data, "start")),
        open=dec(data, "open"),
        high=dec(data, "high"),
        low=dec(data, "low"),
        close=dec(data, "close"),
        volume=dec(data, "volume") if volume not in (None, "") else Decimal(0),
    )
