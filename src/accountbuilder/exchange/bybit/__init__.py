"""The live Bybit V5 adapter for BTCUSD inverse (ccxt / ccxt.pro), implementing the port.

``client`` owns ccxt; ``mapping`` turns Bybit rows into domain values and ``positions`` the
position rows (well-formed only); ``outcomes`` turns ccxt errors into typed, definite or
ambiguous, errors; ``streams`` turns WebSocket frames into events and ``recovery`` repairs a
private-stream gap; ``adapter`` is the ``ExchangePort``; ``secrets`` reads the key pair;
``permissions`` judges the key (an allowlist), ``account`` the account mode; ``clock_sync``
measures Bybit's clock; ``health`` is what ``status`` shows of it all.
"""

from accountbuilder.exchange.bybit.adapter import BybitExchange, BybitSettings
from accountbuilder.exchange.bybit.client import ClientSettings, ExecutorPort
from accountbuilder.exchange.bybit.permissions import KeyCheck, assess_key
from accountbuilder.exchange.bybit.secrets import Credentials, SecretsError, load_credentials

__all__ = [
    "BybitExchange",
    "BybitSettings",
    "ClientSettings",
    "Credentials",
    "ExecutorPort",
    "KeyCheck",
    "SecretsError",
    "assess_key",
    "load_credentials",
]
