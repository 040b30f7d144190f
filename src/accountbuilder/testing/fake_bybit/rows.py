"""V5 row builders: the exact JSON shapes Bybit returns for BTCUSD inverse (reference §2–§5).

Numbers are strings (prices with 2 decimals, BTC with 8), except the documented JSON ints
(``positionIdx``, ``triggerDirection``, ``seq``, ``riskId`` ...). Field sets follow the docs and
``constructed_inverse_*_fixtures.json``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accountbuilder.testing.fake_bybit.config import OtherPosition
from accountbuilder.testing.fake_bybit.engine import Engine
from accountbuilder.testing.fake_bybit.params import SYMBOL
from accountbuilder.testing.fake_bybit.state import SAT, Execution, FakeOrder, to_sat

CENT = Decimal("0.01")


def px(price: Decimal | None) -> str:
    """A price with 2 decimals ("" when absent)."""
    return "" if price is None else format(price.quantize(CENT), "f")


def btc(amount: Decimal) -> str:
    """A BTC amount with 8 decimals."""
    return format(to_sat(amount), "f")


def instrument_row(engine: Engine) -> dict[str, Any]:
    """``/v5/market/instruments-info`` row; ccxt takes contractSize from ``minOrderQty``."""
    cfg = engine.cfg
    return {
        "symbol": SYMBOL, "contractType": "InversePerpetual", "status": "Trading",
        "baseCoin": "BTC", "quoteCoin": "USD", "settleCoin": "BTC",
        "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "",
        "priceScale": "2",
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": px(cfg.tick_size), "maxPrice": "999999.00",
                        "tickSize": px(cfg.tick_size)},
        "lotSizeFilter": {"maxOrderQty": str(cfg.max_qty), "minOrderQty": str(cfg.min_qty),
                          "qtyStep": "1", "postOnlyMaxOrderQty": str(cfg.max_qty),
                          "maxMktOrderQty": str(cfg.max_qty // 2), "minNotionalValue": ""},
        "unifiedMarginTrade": True, "fundingInterval": 480, "copyTrading": "none",
        "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375",
        "isPreListing": False, "preListingInfo": None,
        "riskParameters": {"priceLimitRatioX": format(cfg.market_band, "f"),
                           "priceLimitRatioY": format(cfg.limit_band, "f")},
        "displayName": "", "symbolType": "",
    }  # fmt: skip


def ticker_row(engine: Engine, stats: dict[str, Decimal], next_funding_ms: int) -> dict[str, Any]:
    """``/v5/market/tickers`` row; ``stats`` has prev24h, high24h, low24h, volume24h, turnover24h."""
    last, tick = engine.last, engine.cfg.tick_size
    change = (last / stats["prev24h"] - 1).quantize(Decimal("0.000001"))
    return {
        "symbol": SYMBOL, "lastPrice": px(last), "indexPrice": px(engine.mark),
        "markPrice": px(engine.mark), "prevPrice24h": px(stats["prev24h"]),
        "price24hPcnt": format(change, "f"), "highPrice24h": px(stats["high24h"]),
        "lowPrice24h": px(stats["low24h"]), "prevPrice1h": px(stats["prev24h"]),
        "openInterest": "0", "openInterestValue": "0.00",
        "turnover24h": btc(stats["turnover24h"]), "volume24h": format(stats["volume24h"], "f"),
        "fundingRate": format(engine.cfg.funding_rate, "f"), "nextFundingTime": str(next_funding_ms),
        "predictedDeliveryPrice": "", "basisRate": "", "basis": "", "deliveryFeeRate": "",
        "deliveryTime": "0", "bid1Price": px(last), "bid1Size": "1000",
        "ask1Price": px(last + tick), "ask1Size": "1000", "preOpenPrice": "", "preQty": "",
        "curPreListingPhase": "", "fundingIntervalHour": "8", "fundingCap": "0.00375",
        "basisRateYear": "",
    }  # fmt: skip


def order_row(o: FakeOrder, ws: bool = False) -> dict[str, Any]:
    """Order row of ``/v5/order/realtime|history``; ``ws`` adds the ``order`` stream fields.

    No ``cumFeeDetail``: the docs document it for linear/spot only, so ccxt reports no order
    fee for inverse; take fees from executions (reference §6.6).
    """
    avg = o.cum_qty / o.cum_value if o.cum_qty else None
    row = {
        "orderId": o.order_id, "orderLinkId": o.link_id, "blockTradeId": "", "symbol": SYMBOL,
        "price": px(o.price) if o.price is not None else "0", "qty": str(o.qty), "side": o.side,
        "isLeverage": "", "positionIdx": 0, "orderStatus": o.status,
        "createType": "CreateByUser" if not o.is_conditional else "CreateByStopOrder",
        "cancelType": o.cancel_type, "rejectReason": o.reject_reason,
        "avgPrice": px(avg) if avg else "", "leavesQty": str(o.leaves),
        "leavesValue": btc(o.leaves / o.price) if o.price else "0",
        "cumExecQty": str(o.cum_qty), "cumExecValue": btc(o.cum_value),
        "cumExecFee": btc(o.cum_fee), "timeInForce": o.tif, "orderType": o.order_type,
        "stopOrderType": "Stop" if o.is_conditional else "", "orderIv": "",
        "triggerPrice": px(o.trigger_price), "takeProfit": "", "stopLoss": "",
        "tpTriggerBy": "", "slTriggerBy": "", "triggerDirection": o.trigger_direction,
        "triggerBy": o.trigger_by, "lastPriceOnCreated": px(o.price_on_created),
        "reduceOnly": o.reduce_only, "closeOnTrigger": o.close_on_trigger,
        "smpType": "None", "smpGroup": 0, "smpOrderId": "", "tpslMode": "",
        "tpLimitPrice": "", "slLimitPrice": "", "placeType": "",
        "createdTime": str(o.created_ms), "updatedTime": str(o.updated_ms),
    }  # fmt: skip
    if ws:
        row.update(category="inverse", closedPnl=btc(o.closed_pnl), feeCurrency="")
    return row


def execution_row(ex: Execution, ws: bool = False) -> dict[str, Any]:
    """Row of ``/v5/execution/list``; ``ws`` adds the ``execution`` stream fields."""
    o = ex.order
    created = "" if not o["order_id"] else "CreateByStopOrder" if o["stop"] else "CreateByUser"
    row = {
        "symbol": SYMBOL, "orderType": o["order_type"], "underlyingPrice": "",
        "orderLinkId": o["link_id"], "side": o["side"], "indexPrice": px(ex.mark),
        "orderId": o["order_id"], "stopOrderType": o["stop"] or "UNKNOWN",
        "leavesQty": str(o["leaves"]), "execTime": str(ex.time_ms), "feeCurrency": "BTC",
        "isMaker": ex.is_maker, "execFee": btc(ex.fee), "feeRate": format(ex.fee_rate, "f"),
        "execId": ex.exec_id, "tradeIv": "", "blockTradeId": "", "markPrice": px(ex.mark),
        "execPrice": px(ex.price), "markIv": "", "orderQty": str(o["qty"]),
        "orderPrice": px(o["price"]) if o["price"] is not None else "0",
        "execValue": btc(ex.qty / ex.price), "execType": ex.exec_type, "execQty": str(ex.qty),
        "closedSize": str(ex.closed_size), "extraFees": "", "seq": 0, "createType": created,
    }  # fmt: skip
    if ws:
        row.update(category="inverse", isLeverage="", marketUnit="", execPnl=btc(ex.pnl))
    return row


def position_rows(engine: Engine) -> list[dict[str, Any]]:
    """``/v5/position/list`` rows of BTCUSD: one (``positionIdx 0``), or 1 and 2 in hedge mode."""
    row = position_row(engine)
    if engine.cfg.position_mode != "hedge":
        return [row]
    flat = {**row, "positionIdx": 2, "side": "", "size": "0", "avgPrice": "0", "liqPrice": ""}
    return [{**row, "positionIdx": 1}, flat]


def position_row(engine: Engine, ws: bool = False) -> dict[str, Any]:
    """Row of ``/v5/position/list`` (flat: size "0", side ""); WS rows use ``entryPrice``."""
    p, liq = engine.position, engine.liq_price()
    im, value = engine.position_im_btc(), (p.size / p.entry if p.size else SAT * 0)
    mm = value * engine.cfg.mmr
    row = {
        "positionIdx": 0, "riskId": 1, "riskLimitValue": "150", "symbol": SYMBOL,
        "side": p.side, "size": str(p.size), "avgPrice": px(p.entry) if p.size else "0",
        "positionValue": btc(value), "tradeMode": 0, "positionStatus": p.status,
        "autoAddMargin": 0, "adlRankIndicator": 2 if p.size else 0,
        "leverage": format(p.leverage.normalize(), "f"), "breakEvenPrice": "",
        "positionBalance": btc(im), "markPrice": px(engine.mark), "liqPrice": px(liq),
        "bustPrice": "", "positionMM": btc(mm), "positionMMByMp": btc(mm),
        "positionIM": btc(im), "positionIMByMp": btc(im), "tpslMode": "Full",
        "takeProfit": "", "stopLoss": "", "trailingStop": "0",
        "unrealisedPnl": btc(engine.upnl_btc()), "curRealisedPnl": btc(p.cur_realised),
        "cumRealisedPnl": btc(p.cum_realised), "seq": p.seq, "isReduceOnly": False,
        "mmrSysUpdatedTime": "", "leverageSysUpdatedTime": "", "sessionAvgPrice": "",
        "createdTime": str(p.created_ms), "updatedTime": str(p.updated_ms),
    }  # fmt: skip
    if ws:
        row["category"] = "inverse"
        row["entryPrice"] = row.pop("avgPrice")
    return row


def other_position_row(o: OtherPosition) -> dict[str, Any]:
    """A ``position/list`` row of another symbol the account holds (the fields that matter)."""
    return {"positionIdx": 0, "symbol": o.symbol, "side": o.side, "size": format(o.size, "f"),
            "avgPrice": "1", "positionStatus": "Normal", "leverage": "1", "liqPrice": "",
            "unrealisedPnl": "0", "updatedTime": "1700000000000"}  # fmt: skip


def wallet_row(engine: Engine, coins: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One ``UNIFIED`` account entry (REST list item and WS data) with its coin rows.

    ``coins`` names the coin rows to include (a WS frame holds only the coins that changed);
    None: every coin (REST). Account totals are in USD and always cover every coin.
    """
    upnl, wallet, mark = engine.upnl_btc(), engine.wallet_btc, engine.mark
    pos_im, ord_im = engine.position_im_btc(), engine.order_im_btc()
    pos_mm = engine.position.size / engine.position.entry * engine.cfg.mmr if engine.position.size else SAT * 0  # fmt: skip
    others = engine.other_coins  # stablecoins: 1 coin = 1 USD here
    equity, extra_usd = wallet + upnl, sum(others.values(), Decimal(0))
    usd = lambda amount: format((amount * mark).quantize(CENT), "f")  # noqa: E731
    rows = [_btc_coin(engine, equity, usd)] + [_other_coin(c, amount) for c, amount in others.items()]  # fmt: skip
    chosen = [r for r in rows if coins is None or r["coin"] in coins]
    total = lambda btc_amount: format((btc_amount * mark + extra_usd).quantize(CENT), "f")  # noqa: E731
    return {
        "accountType": "UNIFIED", "accountIMRate": "0", "accountMMRate": "0",
        "totalEquity": total(equity), "totalWalletBalance": total(wallet),
        "totalMarginBalance": total(equity), "totalAvailableBalance": usd(engine.available_btc()),
        "totalPerpUPL": usd(upnl), "totalInitialMargin": usd(pos_im + ord_im),
        "totalMaintenanceMargin": usd(pos_mm), "accountLTV": "0", "coin": chosen,
    }  # fmt: skip


def _btc_coin(engine: Engine, equity: Decimal, usd: Any) -> dict[str, Any]:
    pos_im, ord_im = engine.position_im_btc(), engine.order_im_btc()
    pos_mm = engine.position.size / engine.position.entry * engine.cfg.mmr if engine.position.size else SAT * 0  # fmt: skip
    return {
        "coin": "BTC", "equity": btc(equity), "usdValue": usd(equity),
        "walletBalance": btc(engine.wallet_btc), "locked": btc(engine.locked_btc),
        "spotHedgingQty": "0", "borrowAmount": "0", "accruedInterest": "0",
        "totalOrderIM": btc(ord_im), "totalPositionIM": btc(pos_im),
        "totalPositionMM": btc(pos_mm), "unrealisedPnl": btc(engine.upnl_btc()),
        "cumRealisedPnl": btc(engine.position.cum_realised), "bonus": "0",
        "marginCollateral": True, "collateralSwitch": True, "spotBorrow": "0",
        "free": "", "availableToWithdraw": "", "availableToBorrow": "",
    }  # fmt: skip


def _other_coin(coin: str, amount: Decimal) -> dict[str, Any]:
    text = format(amount.quantize(Decimal("0.000001")), "f")
    return {
        "coin": coin, "equity": text, "usdValue": format(amount.quantize(CENT), "f"),
        "walletBalance": text, "locked": "0", "spotHedgingQty": "0", "borrowAmount": "0",
        "accruedInterest": "0", "totalOrderIM": "0", "totalPositionIM": "0",
        "totalPositionMM": "0", "unrealisedPnl": "0", "cumRealisedPnl": "0", "bonus": "0",
        "marginCollateral": True, "collateralSwitch": True, "spotBorrow": "0", "free": "",
        "availableToWithdraw": "", "availableToBorrow": "",
    }  # fmt: skip


def coin_info_row() -> dict[str, Any]:
    """BTC row of ``/v5/asset/coin/query-info`` (ccxt's fetch_currencies)."""
    chain = {
        "chainType": "BTC", "confirmation": "1", "withdrawFee": "0.0002", "depositMin": "0.0001",
        "withdrawMin": "0.001", "chain": "BTC", "chainDeposit": "1", "chainWithdraw": "1",
        "minAccuracy": "8", "withdrawPercentageFee": "0",
    }  # fmt: skip
    return {"name": "BTC", "coin": "BTC", "remainAmount": "150", "chains": [chain]}


def risk_limit_row(engine: Engine) -> dict[str, Any]:
    """Tier 1 of ``/v5/market/risk-limit`` in the docs' shape (MM/IM in percent)."""
    mm = (engine.cfg.mmr * 100).normalize()
    return {"id": 1, "symbol": SYMBOL, "riskLimitValue": "150", "maintenanceMargin": format(mm, "f"),
            "initialMargin": "1", "isLowestRisk": 1, "maxLeverage": "100.00", "mmDeduction": ""}  # fmt: skip
