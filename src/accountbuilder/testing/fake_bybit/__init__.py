"""A fake Bybit V5 server (REST + WebSocket) for BTCUSD inverse that unmodified ccxt talks to.

See ``docs/fake-bybit.md``. Entry points: ``FakeBybit`` (the server object and its control
API), ``FakeConfig``/``ApiKey`` (starting state); ``ccxt_setup.connect_ccxt`` builds a ccxt
client aimed at it (not imported here, so the standalone server starts without ccxt).
"""

from accountbuilder.testing.fake_bybit.bars import Bar, load_candles
from accountbuilder.testing.fake_bybit.config import ApiKey, FakeConfig
from accountbuilder.testing.fake_bybit.rest import RecordedRequest
from accountbuilder.testing.fake_bybit.server import FakeBybit, RecordedWsMessage
from accountbuilder.testing.fake_bybit.state import Execution, FakeOrder, FakePosition

__all__ = [
    "ApiKey", "Bar", "Execution", "FakeBybit", "FakeConfig", "FakeOrder", "FakePosition",
    "RecordedRequest", "RecordedWsMessage", "load_candles",
]  # fmt: skip
