"""accountbuilder: a survival-first account builder for Bybit inverse perpetual BTCUSD.

The importable library holds the deterministic core: state machines, risk gates, emergency
checks, execution logic and the simulated exchange. It performs no network I/O, adds no log
sinks and never reads the clock; the runner (``accountbuilder_runner``) does those things.
"""

from loguru import logger

logger.disable("accountbuilder")

__version__ = "0.1.0"
