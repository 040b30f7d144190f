"""The live-only options of ``accountbuilder run --exchange bybit`` (no ccxt import here).

Kept apart from ``live`` so that building the CLI parser (``--help``, every other command)
does not import ccxt, which takes most of a second.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The live-only options, for ``run`` to add next to its ``--exchange {sim,bybit}``.

    ``live.run_live`` also reads ``config`` and ``state`` when the namespace has them.
    """
    parser.add_argument("--testnet", action="store_true", help="Bybit testnet (ccxt sandbox)")
    parser.add_argument(
        "--exchange-url",
        metavar="URL",
        help="another Bybit V5 base URL, e.g. a local fake (default: Bybit mainnet; with "
        "--dry-run its public endpoints only)",
    )
    parser.add_argument(
        "--key-file", type=Path, metavar="FILE",
        help="api_key/api_secret file, mode 0600 (default: ACCOUNTBUILDER_API_KEY/_SECRET)",
    )  # fmt: skip
    parser.add_argument(
        "--log-dir", type=Path, metavar="DIR", help="live logs (default: runner_config log_dir)"
    )
