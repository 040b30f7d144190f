"""A simulated Bybit BTCUSD inverse exchange for paper trading, backtests and scenario tests.

``SimExchange`` implements ``ExchangePort`` and adds a synchronous driver API; the fill,
path, fee, funding, liquidation, latency and fault models are described in
``docs/simulator.md``.
"""

from accountbuilder.exchange.sim.config import SimConfig
from accountbuilder.exchange.sim.exchange import RestCall, SimExchange
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.funding import load_funding_rates

__all__ = ["FaultPlan", "RestCall", "SimConfig", "SimExchange", "load_funding_rates"]
