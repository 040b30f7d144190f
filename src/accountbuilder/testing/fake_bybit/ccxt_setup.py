"""Point a real ccxt / ccxt.pro Bybit client at a FakeBybit (reference §6.4 "URL override")."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from accountbuilder.testing.fake_bybit.server import FakeBybit


def point_ccxt_at(exchange: Any, server: FakeBybit) -> Any:
    """Rewrite ``exchange.urls['api']`` in place (REST keys and, for ccxt.pro, the ws tree)."""
    api = exchange.urls["api"]
    for name in ("spot", "futures", "v2", "public", "private"):
        api[name] = server.url
    ws = api.get("ws")
    if isinstance(ws, dict):
        ws["public"]["inverse"] = server.ws_url + "/v5/public/inverse"
        ws["public"]["linear"] = server.ws_url + "/v5/public/linear"
        ws["private"]["contract"] = server.ws_url + "/v5/private"
        ws["private"]["spot"]["unified"] = server.ws_url + "/v5/private"
        ws["private"]["trade"] = server.ws_url + "/v5/trade"
    return exchange


def connect_ccxt(
    server: FakeBybit, *, pro: bool = False, api_key: str | None = None,
    secret: str | None = None, **config: Any,
) -> Any:  # fmt: skip
    """Build ``ccxt.async_support.bybit`` (or ``ccxt.pro.bybit``) aimed at ``server``.

    Defaults: no client-side rate limiting, inverse markets only, no close() delay. ``config`` is merged over
    them (e.g. ``timeout=500`` or ``streaming={'keepAlive': 200}``). The caller closes it.
    """
    options = {"fetchMarkets": {"types": ["inverse"]}, **config.pop("options", {})}
    # timeout_on_exit: ccxt sleeps 250 ms in close() for TLS shutdown; plain HTTP needs none
    settings: dict[str, Any] = {"enableRateLimit": False, "timeout_on_exit": 0, "options": options, **config}  # fmt: skip
    if api_key is not None:
        settings.update(apiKey=api_key, secret=secret)
    exchange = (ccxt_pro if pro else ccxt_async).bybit(settings)
    return point_ccxt_at(exchange, server)
