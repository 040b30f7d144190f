"""REST routes of the fake Bybit V5 API (reference §1–§4, checklist §8).

Every answer is a V5 envelope (HTTP 200 for business errors too). Private routes verify the
HMAC over the raw query string / raw body bytes exactly as received.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from accountbuilder.testing.fake_bybit import rows
from accountbuilder.testing.fake_bybit.config import OtherPosition
from accountbuilder.testing.fake_bybit.faults import MALFORMED_KINDS, corrupt
from accountbuilder.testing.fake_bybit.params import SYMBOL, ApiError
from accountbuilder.testing.fake_bybit.signing import check_rest_auth

if TYPE_CHECKING:
    from accountbuilder.testing.fake_bybit.server import FakeBybit
    from accountbuilder.testing.fake_bybit.state import FakeOrder

Params = dict[str, Any]
PRE_FAULTS = frozenset({"http_403", "rate_limit"})
POST_FAULTS = frozenset({"delay", "drop", "rewrite", *MALFORMED_KINDS})


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One REST request as received (``params``: parsed query or JSON body)."""

    method: str
    path: str
    params: Params
    raw_query: str
    raw_body: bytes
    headers: dict[str, str]
    time_ms: int


def _parse(method: str, raw_query: str, raw_body: bytes) -> Params | None:
    if method == "GET":
        return dict(parse_qsl(raw_query, keep_blank_values=True))
    try:
        body = json.loads(raw_body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _page(items: list[Any], p: Params, default: int, most: int) -> tuple[list[Any], str]:
    """Offset cursor paging; ``nextPageCursor`` is "" on the last page (ccxt stops on "")."""
    limit = min(int(p.get("limit") or default), most)
    start = int(p.get("cursor") or 0)
    more = start + limit < len(items)
    return items[start : start + limit], str(start + limit) if more else ""


def _inverse_btc(p: Params) -> bool:
    """Whether the query selects inverse BTCUSD (other categories/coins answer empty)."""
    return (
        p.get("category") == "inverse"
        and p.get("symbol", SYMBOL) == SYMBOL
        and p.get("settleCoin", "BTC") in ("BTC", "")
        and p.get("baseCoin", "BTC") in ("BTC", "")
    )


def _selects(p: Params, other: OtherPosition) -> bool:
    """Whether a ``position/list`` query selects one of the account's other positions."""
    if p.get("category") != other.category:
        return False
    if p.get("symbol"):
        return p["symbol"] == other.symbol
    return other.category != "linear" or p.get("settleCoin") == other.settle_coin


class RestApi:
    """Route table and request pipeline bound to one FakeBybit."""

    def __init__(self, srv: FakeBybit) -> None:
        self.srv = srv
        self.routes: dict[tuple[str, str], tuple[bool, Callable[[Params, str], Any]]] = {
            ("GET", "/v5/market/time"): (False, self.market_time),
            ("GET", "/v5/market/instruments-info"): (False, self.instruments),
            ("GET", "/v5/market/tickers"): (False, self.tickers),
            ("GET", "/v5/market/kline"): (False, self.kline),
            ("GET", "/v5/market/mark-price-kline"): (False, self.price_kline),
            ("GET", "/v5/market/index-price-kline"): (False, self.price_kline),
            ("GET", "/v5/market/risk-limit"): (False, self.risk_limit),
            ("GET", "/v5/asset/coin/query-info"): (
                True,
                lambda p, k: {"rows": [rows.coin_info_row()]},
            ),  # fmt: skip
            ("GET", "/v5/user/query-api"): (True, self.query_api),
            ("GET", "/v5/account/info"): (True, self.account_info),
            ("GET", "/v5/account/wallet-balance"): (True, self.wallet_balance),
            ("GET", "/v5/account/fee-rate"): (True, self.fee_rate),
            ("POST", "/v5/account/set-margin-mode"): (True, self.set_margin_mode),
            ("GET", "/v5/position/list"): (True, self.position_list),
            ("POST", "/v5/position/set-leverage"): (True, self.set_leverage),
            ("POST", "/v5/position/switch-mode"): (True, self.switch_mode),
            ("POST", "/v5/position/trading-stop"): (True, self.trading_stop),
            ("POST", "/v5/order/create"): (True, self.order_create),
            ("POST", "/v5/order/amend"): (True, self.order_amend),
            ("POST", "/v5/order/cancel"): (True, self.order_cancel),
            ("POST", "/v5/order/cancel-all"): (True, self.order_cancel_all),
            ("GET", "/v5/order/realtime"): (True, self.order_realtime),
            ("GET", "/v5/order/history"): (True, self.order_history),
            ("GET", "/v5/execution/list"): (True, self.execution_list),
        }

    # ----- pipeline ----------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Record, apply faults, authenticate, dispatch and answer one REST request."""
        srv, path = self.srv, request.path
        raw_body = await request.read()
        raw_query = request.raw_path.partition("?")[2]  # exact bytes that were signed
        params = _parse(request.method, raw_query, raw_body)
        headers = {k: v for k, v in request.headers.items() if k.upper().startswith("X-BAPI")}
        srv.requests.append(RecordedRequest(request.method, path, params or {}, raw_query,
                                            raw_body, headers, srv.clock()))  # fmt: skip
        srv.settle_funding()
        fault = srv.faults.take(path, PRE_FAULTS)
        if fault is not None and fault.kind == "http_403":
            return web.Response(status=403, text="access too frequent")
        if fault is not None:
            return web.json_response(self.envelope(10006, "Too many visits!", {}))
        try:
            result = self._dispatch(request.method, path, params, raw_query or raw_body.decode(errors="replace"), request.headers)  # fmt: skip
            envelope = self.envelope(0, "OK", result)
        except ApiError as err:
            envelope = self.envelope(
                err.code, err.msg, err.result if err.result is not None else {}
            )
        except (ValueError, KeyError, TypeError) as err:  # e.g. limit=abc, missing key
            envelope = self.envelope(10001, f"params error: {type(err).__name__}", {})
        return await self._answer(request, path, envelope)

    def envelope(self, code: int, msg: str, result: Any) -> dict[str, Any]:
        """The V5 envelope with the real epoch-ms ``time`` ccxt relies on."""
        return {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {},
                "time": self.srv.clock()}  # fmt: skip

    def _dispatch(self, method: str, path: str, params: Params | None, payload: str, headers: Any) -> Any:  # fmt: skip
        route = self.routes.get((method, path))
        if route is None:
            raise ApiError(10017, f"route not found: {method} {path}")
        private, handler = route
        key = ""
        if private:
            failure = check_rest_auth(headers, payload, self.srv.keys, self.srv.clock())
            if failure:
                raise ApiError(*failure)
            key = headers["X-BAPI-API-KEY"]
            if method == "POST" and self.srv.keys[key].read_only:
                raise ApiError(10005, "Permission denied, please check your API key permissions.")
        if params is None:
            raise ApiError(10001, "params error: request body is not a JSON object")
        return handler(params, key)

    async def _answer(self, request: web.Request, path: str, envelope: dict[str, Any]) -> web.StreamResponse:  # fmt: skip
        fault = self.srv.faults.take(path, POST_FAULTS)
        if fault is None:
            return web.json_response(envelope)
        if fault.kind == "delay":
            await self.srv.wait_unless_stopping(fault.seconds)
            return web.json_response(envelope)
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)
        status = 502 if fault.kind == "not_json" else 200
        ctype = "text/html" if fault.kind == "not_json" else "application/json"
        return web.Response(status=status, text=corrupt(envelope, fault), content_type=ctype)

    # ----- market ------------------------------------------------------------------------
    def market_time(self, p: Params, key: str) -> Any:
        now = self.srv.clock()
        return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}

    def instruments(self, p: Params, key: str) -> Any:
        live = _inverse_btc(p) and p.get("status", "Trading") == "Trading"
        listed = [rows.instrument_row(self.srv.engine)] if live else []
        return {"category": p.get("category", ""), "list": listed, "nextPageCursor": ""}

    def tickers(self, p: Params, key: str) -> Any:
        listed = [self.srv.ticker_row()] if _inverse_btc(p) else []
        return {"category": p.get("category", ""), "list": listed}

    def price_kline(self, p: Params, key: str) -> Any:
        """Mark/index klines: ``[start, open, high, low, close]`` (same path as the last price)."""
        return self.kline(p, key, width=5)

    def kline(self, p: Params, key: str, width: int = 7) -> Any:
        """Klines newest first: ``[start, open, high, low, close, volume USD, turnover BTC]``."""
        interval = p.get("interval", "")
        if not _inverse_btc(p) or not interval:
            raise ApiError(10001, "params error: category, symbol or interval invalid")
        self.srv.ensure_bar()
        start, end = p.get("start"), p.get("end")
        bars = self.srv.bars.aggregate(interval, int(start) if start else None, int(end) if end else None)  # fmt: skip
        limit = min(int(p.get("limit") or 200), 1000)
        newest = list(reversed(bars))[:limit]
        listed = [[str(b.start_ms), rows.px(b.open), rows.px(b.high), rows.px(b.low), rows.px(b.close),
                   format(b.volume, "f"), rows.btc(b.turnover)][:width] for b in newest]  # fmt: skip
        return {"category": "inverse", "symbol": SYMBOL, "list": listed}

    def risk_limit(self, p: Params, key: str) -> Any:
        listed = [rows.risk_limit_row(self.srv.engine)] if _inverse_btc(p) else []
        return {"category": p.get("category", ""), "list": listed}

    # ----- account -----------------------------------------------------------------------
    def query_api(self, p: Params, key: str) -> Any:
        api = self.srv.keys[key]
        return {
            "id": "1", "note": "fake-bybit", "apiKey": api.key, "readOnly": int(api.read_only),
            "secret": "", "permissions": api.permissions(), "ips": ["*"], "type": 1,
            "deadlineDay": -1, "expiredAt": "", "createdAt": "2025-01-01T00:00:00Z",
            "unified": 0, "uta": 1, "userID": 1, "inviterID": 0, "vipLevel": "No VIP",
            "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "", "isMaster": True,
            "parentUid": "0", "kycLevel": "LEVEL_1", "kycRegion": "",
        }  # fmt: skip

    def account_info(self, p: Params, key: str) -> Any:
        engine = self.srv.engine
        return {"marginMode": engine.margin_mode, "updatedTime": "1700000000000",
                "unifiedMarginStatus": engine.cfg.unified_margin_status, "dcpStatus": "OFF",
                "timeWindow": 10, "smpGroup": 0, "isMasterTrader": False,
                "spotHedgingStatus": "OFF"}  # fmt: skip

    def wallet_balance(self, p: Params, key: str) -> Any:
        if p.get("accountType") != "UNIFIED":
            raise ApiError(10001, "accountType only support UNIFIED.")
        return {"list": [rows.wallet_row(self.srv.engine)]}

    def fee_rate(self, p: Params, key: str) -> Any:
        cfg = self.srv.engine.cfg
        fee = {"symbol": SYMBOL, "takerFeeRate": format(cfg.taker_fee, "f"), "makerFeeRate": format(cfg.maker_fee, "f")}  # fmt: skip
        return {"category": p.get("category", ""), "list": [fee] if _inverse_btc(p) else []}

    def set_margin_mode(self, p: Params, key: str) -> Any:
        self.srv.engine.set_margin_mode(p)
        return {"reasons": []}

    # ----- position ----------------------------------------------------------------------
    def position_list(self, p: Params, key: str) -> Any:
        """BTCUSD (with ``symbol`` a flat row too) and the account's other open positions."""
        engine = self.srv.engine
        shown = _inverse_btc(p) and ("symbol" in p or engine.position.size > 0)
        listed = rows.position_rows(engine) if shown else []
        listed += [rows.other_position_row(o) for o in engine.other_positions if _selects(p, o)]
        return {"category": p.get("category", ""), "list": listed, "nextPageCursor": ""}

    def set_leverage(self, p: Params, key: str) -> Any:
        self.srv.engine.set_leverage(p)
        return {}

    def switch_mode(self, p: Params, key: str) -> Any:
        self.srv.engine.switch_mode(p)

    def trading_stop(self, p: Params, key: str) -> Any:
        raise ApiError(10001, "position trading-stop (position TP/SL) is not modelled by the fake")

    # ----- orders ------------------------------------------------------------------------
    @staticmethod
    def _ack(o: FakeOrder) -> dict[str, str]:
        return {"orderId": o.order_id, "orderLinkId": o.link_id}

    def order_create(self, p: Params, key: str) -> Any:
        return self._ack(self.srv.engine.create(p))

    def order_amend(self, p: Params, key: str) -> Any:
        return self._ack(self.srv.engine.amend(p))

    def order_cancel(self, p: Params, key: str) -> Any:
        return self._ack(self.srv.engine.cancel(p))

    def order_cancel_all(self, p: Params, key: str) -> Any:
        cancelled = self.srv.engine.cancel_all(p)
        return {"list": [self._ack(o) for o in cancelled], "success": "1"}

    def order_realtime(self, p: Params, key: str) -> Any:
        return self._orders(p, realtime=True)

    def order_history(self, p: Params, key: str) -> Any:
        return self._orders(p, realtime=False)

    def _orders(self, p: Params, realtime: bool) -> Any:
        found = list(reversed(self.srv.engine.orders.values())) if _inverse_btc(p) else []
        oid, lid = p.get("orderId"), p.get("orderLinkId")
        if oid or lid:  # by id Bybit ignores openOnly (finds recently closed orders too)
            found = [o for o in found if o.order_id == (oid or o.order_id) and o.link_id == (lid or o.link_id)]  # fmt: skip
        elif realtime:
            found = [o for o in found if o.is_open == (p.get("openOnly", "0") == "0")]
        if not realtime:  # UTA 2.0: order/history holds closed orders only, by id too
            found = [o for o in found if not o.is_open]
        kind = p.get("orderFilter")
        if kind in ("Order", "StopOrder"):
            found = [o for o in found if o.is_conditional == (kind == "StopOrder")]
        elif kind:
            found = []
        if not realtime and p.get("orderStatus"):
            found = [o for o in found if o.status in p["orderStatus"].split(",")]
        page, cursor = _page(found, p, 20, 50)
        return {"category": p.get("category", ""), "list": [rows.order_row(o) for o in page],
                "nextPageCursor": cursor}  # fmt: skip

    def execution_list(self, p: Params, key: str) -> Any:
        """Newest first; ``execType`` (any when absent), ``startTime``/``endTime`` (execTime)."""
        found = list(reversed(self.srv.engine.executions)) if _inverse_btc(p) else []
        oid, lid = p.get("orderId"), p.get("orderLinkId")
        found = [e for e in found if e.order["order_id"] == (oid or e.order["order_id"])
                 and e.order["link_id"] == (lid or e.order["link_id"])]  # fmt: skip
        if p.get("execType"):
            found = [e for e in found if e.exec_type in p["execType"].split(",")]
        start, end = int(p.get("startTime") or 0), int(p.get("endTime") or 0)
        found = [e for e in found if e.time_ms >= start and (not end or e.time_ms <= end)]
        page, cursor = _page(found, p, 50, 100)
        return {"category": p.get("category", ""), "list": [rows.execution_row(e) for e in page],
                "nextPageCursor": cursor}  # fmt: skip
