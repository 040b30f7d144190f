"""The live Bybit V5 adapter for BTCUSD inverse (ccxt / ccxt.pro), implementing the port.

``client`` owns ccxt; ``mapping`` turns Bybit rows and ccxt errors into domain values and typed
errors; ``streams`` turns WebSocket frames into events; ``adapter`` is the ``ExchangePort``;
``secrets`` reads the key pair; ``permissions`` refuses a key that can withdraw.
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
