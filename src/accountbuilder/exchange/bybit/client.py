"""The one module that owns the ccxt / ccxt.pro Bybit client (reference §6).

``BybitClient`` builds ``ccxt.pro.bybit`` for BTCUSD inverse only (no currency or account
probes; the account type is set from our own ``query-api`` read) and hooks it in three places:

* ``fetch`` — every REST request passes the F1 ``RestBudget`` first and has its round trip
  measured. A request the ``CommandExecutor`` already paid for (``prepaid``) is not counted
  twice; any other request (startup reads, lookups the adapter adds) acquires its own slot.
* ``milliseconds`` — ccxt signs with the injected clock (the same one the events carry),
  less the offset ``set_time_offset`` was given (``clock_sync.py``).
* ``handle_message`` — every WebSocket frame is handed to a tap before ccxt parses it, so the
  streams read Bybit's raw rows (``creationTime``, ``confirm``, pongs) instead of ccxt's views.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ccxt.pro as ccxt_pro

from accountbuilder.domain.reasons import Denial
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.outcomes import translate_error
from accountbuilder.health.rest_budget import RestBudget, acquire

CCXT_SYMBOL = "BTC/USD:BTC"

Clock = Callable[[], int]
Sleep = Callable[[float], Awaitable[Any]]
Tap = Callable[[str, int, Any], None]  # (connection url, connection id, frame)
OnRequest = Callable[[str, int, bool], None]  # (path, latency ms, prepaid)


@dataclass
class CallBudget:
    """What the current port call may spend: ``prepaid`` requests were counted by its caller."""

    prepaid: int = 0
    protective: bool = False


_CALL: ContextVar[CallBudget | None] = ContextVar("accountbuilder_bybit_call", default=None)
# Requests that left during the current ``BybitClient.call`` (none: ccxt refused the arguments).
_SENT: ContextVar[list[str] | None] = ContextVar("accountbuilder_bybit_sent", default=None)


@contextlib.contextmanager
def prepaid(requests: int = 1, protective: bool = False) -> Iterator[CallBudget]:
    """Mark the enclosed port call as already counted by the executor (F1: count once)."""
    budget = CallBudget(requests, protective)
    token = _CALL.set(budget)
    try:
        yield budget
    finally:
        _CALL.reset(token)


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How to reach Bybit: mainnet, testnet (ccxt sandbox) or a given base URL (a local fake)."""

    testnet: bool = False
    url: str | None = None  # e.g. http://127.0.0.1:8080 (REST); WS is derived from it
    timeout_ms: int = 10_000
    keepalive_ms: int = 20_000  # SPEC F2: a ping every 20 s
    rate_limit: bool = True  # ccxt's own per-endpoint throttle (our F1 budget is stricter)
    budget_wait_ms: int = 65_000  # how long the adapter's own reads wait for a budget slot


class _HookedBybit(ccxt_pro.bybit):
    """``ccxt.pro.bybit`` with the budget/latency, clock and frame-tap hooks (see module doc)."""

    def __init__(self, config: dict[str, Any], hooks: BybitClient) -> None:
        super().__init__(config)
        self._ab_hooks = hooks

    def milliseconds(self) -> int:  # type: ignore[override]
        return self._ab_hooks.clock()

    async def fetch(self, url, method="GET", headers=None, body=None):  # type: ignore[override]
        hooks = self._ab_hooks
        was_prepaid = await hooks.spend(urlsplit(url).path)
        sent = _SENT.get()
        if sent is not None:
            sent.append(urlsplit(url).path)
        start = hooks.clock()
        try:
            return await super().fetch(url, method, headers, body)
        finally:
            hooks.on_request(urlsplit(url).path, hooks.clock() - start, was_prepaid)

    def handle_message(self, client, message):  # type: ignore[override]
        self._ab_hooks.tap(client.url, id(client), message)
        return super().handle_message(client, message)


class BybitClient:
    """ccxt for BTCUSD inverse, with F1 accounting, an injected clock and a frame tap."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        settings: ClientSettings,
        budget: RestBudget,
        clock: Clock,
        sleep: Sleep,
        redact: Callable[[str], str],
    ) -> None:
        self.settings, self.budget, self.clock, self.sleep = settings, budget, clock, sleep
        self.redact = redact
        self.tap: Tap = lambda url, conn, frame: None
        self.on_request: OnRequest = lambda path, latency, was_prepaid: None
        self.on_timestamp_refused: Callable[[], None] = lambda: None  # a 10002 answer
        self.ccxt = _HookedBybit(self._config(api_key, api_secret), self)
        if settings.testnet:
            self.ccxt.set_sandbox_mode(True)  # before any URL override (reference §6.4)
        if settings.url:
            _point_at(self.ccxt, settings.url)

    def _config(self, api_key: str, api_secret: str) -> dict[str, Any]:
        s = self.settings
        return {
            "apiKey": api_key,
            "secret": api_secret,
            "enableRateLimit": s.rate_limit,
            "timeout": s.timeout_ms,
            "timeout_on_exit": 0,  # plain close; TLS shutdown needs no 250 ms pause here
            "has": {"fetchCurrencies": False},  # no /v5/asset/coin/query-info at load_markets
            "streaming": {"keepAlive": s.keepalive_ms},
            "options": {
                "fetchMarkets": {"types": ["inverse"]},  # only the 2 inverse calls
                "defaultType": "swap",
                "defaultSubType": "inverse",
                "defaultSettle": "BTC",  # symbol-less calls must not leak settleCoin=USDT
                "watchPositions": {"fetchPositionsSnapshot": False},
            },
        }

    def set_time_offset(self, offset_ms: int) -> None:
        """Sign with Bybit's time: ccxt stamps ``milliseconds() − timeDifference``."""
        self.ccxt.options["timeDifference"] = -offset_ms

    def set_account_type(self, uta: bool, unified_margin: bool, status: int) -> None:
        """Preset what ccxt's hidden account probe would learn (reference §6.3)."""
        options = self.ccxt.options
        options["enableUnifiedAccount"] = uta
        options["enableUnifiedMargin"] = unified_margin
        options["unifiedMarginStatus"] = status

    # --------------------------------------------------------------------------- F1 budget
    async def spend(self, path: str) -> bool:
        """Count one REST request in the budget; True when the executor had paid for it."""
        call = _CALL.get()
        if call is not None and call.prepaid > 0:
            call.prepaid -= 1
            return True
        protective = call.protective if call is not None else False
        # Inside an executor call (a tick) an extra request never waits for a slot: the tick
        # must not stall. The adapter's own reads (start, wallet re-read) may wait.
        wait = 0 if call is not None else self.settings.budget_wait_ms
        deadline = self.clock() + wait
        grant = await acquire(self.budget, self.clock, self.sleep, protective, deadline)
        if isinstance(grant, Denial):
            raise port_errors.RateLimited(f"F1 REST budget: {path} not sent ({grant})")
        return False

    # --------------------------------------------------------------------------- calls
    async def call(self, method: str, *args: Any, mutation: bool = False, **kwargs: Any) -> Any:
        """Call a ccxt method; its errors become the port's typed errors (outcomes.py)."""
        sent: list[str] = []
        token = _SENT.set(sent)
        try:
            return await getattr(self.ccxt, method)(*args, **kwargs)
        except port_errors.ExchangeError:
            raise
        except Exception as e:  # every ccxt or parsing failure is translated
            e.args = tuple(self.redact(str(a)) for a in e.args)
            error = translate_error(e, mutation=mutation, redact=self.redact, sent=bool(sent))
            if isinstance(error, port_errors.TimestampOutsideWindow):
                self.on_timestamp_refused()
            raise error from e
        finally:
            _SENT.reset(token)

    def market_info(self) -> dict[str, Any]:
        """BTCUSD's raw ``instruments-info`` row (after ``load_markets``)."""
        return self.ccxt.market(CCXT_SYMBOL)["info"]

    async def watch(self, topic: str) -> Any:
        """Hold one stream subscription open; resolves on traffic, raises when it drops."""
        return await WATCHES[topic](self.ccxt)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ccxt.close()


# Bybit topics and the ccxt.pro call that subscribes each (reference §6.8). Frames are read by
# the tap; what the calls return is not used. watch_balance never resolves on a UTA wallet
# frame when subType is inverse (§6.8) — harmless here, it only keeps "wallet" subscribed.
WATCHES: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "tickers": lambda ex: ex.watch_ticker(CCXT_SYMBOL),
    "kline.1": lambda ex: ex.watch_ohlcv(CCXT_SYMBOL, "1m"),
    "kline.D": lambda ex: ex.watch_ohlcv(CCXT_SYMBOL, "1d"),
    "order": lambda ex: ex.watch_orders(CCXT_SYMBOL),
    "execution": lambda ex: ex.watch_my_trades(CCXT_SYMBOL),
    "position": lambda ex: ex.watch_positions([CCXT_SYMBOL]),
    "wallet": lambda ex: ex.watch_balance(),
}


def result_of(answer: Any) -> Mapping[str, Any]:
    """The ``result`` object of a V5 envelope (ccxt's implicit calls return the envelope)."""
    result = answer.get("result") if isinstance(answer, Mapping) else None
    if not isinstance(result, Mapping):
        raise port_errors.MalformedResponse("answer without a result object")
    return result


def read_answer(build: Callable[[], Any]) -> Any:
    """Run a mapping; a missing key or bad value in the answer is a ``MalformedResponse``."""
    try:
        return build()
    except port_errors.ExchangeError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError, IndexError) as e:
        raise port_errors.MalformedResponse(f"unreadable answer: {type(e).__name__}: {e}") from e


class ExecutorPort:
    """A port as the ``CommandExecutor`` sees it: the executor counts one request per call in
    the F1 budget itself, so the first request of each of these calls is not counted again."""

    _PREPAID = frozenset(
        {"place_order", "amend_order", "cancel_order", "fetch_order", "fetch_open_orders",
         "fetch_position", "set_leverage"}
    )  # fmt: skip

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in self._PREPAID:
            return attr

        async def counted(*args: Any, **kwargs: Any) -> Any:
            with prepaid(1):
                return await attr(*args, **kwargs)

        return counted


def _point_at(exchange: Any, base_url: str) -> None:
    """Aim REST and WS at ``base_url`` keeping Bybit's paths (reference §6.4)."""
    base = base_url.rstrip("/")
    parts = urlsplit(base)
    ws = ("wss" if parts.scheme == "https" else "ws") + "://" + parts.netloc
    api = exchange.urls["api"]
    for name in ("spot", "futures", "v2", "public", "private"):
        api[name] = base
    tree = api["ws"]
    tree["public"]["inverse"] = ws + "/v5/public/inverse"
    tree["public"]["linear"] = ws + "/v5/public/linear"
    tree["private"]["contract"] = ws + "/v5/private"
    tree["private"]["spot"]["unified"] = ws + "/v5/private"
    tree["private"]["trade"] = ws + "/v5/trade"
