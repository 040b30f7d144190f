"""What a dry run shows a person: its log sinks and the summary printed at the stop.

Every human line says DRY RUN, so a dry run's log can never be read as a live one's.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loguru import logger

from accountbuilder.records.sinks import (
    BIND_KEY,
    DEFAULT_TEXT_TEMPLATE,
    RecordKind,
    sink_config,
    text_format,
)
from accountbuilder.records.trade_log import TradeExitRecord
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.dry_account_file import AccountFile

BANNER = "DRY RUN"
TEMPLATE = f"{DEFAULT_TEXT_TEMPLATE}{BANNER} | "


def dry_logging(log_dir: Path, secrets: tuple[str, ...]) -> None:
    """The record files and the human log (``dryrun.log`` and stderr), notification URLs masked."""
    log_dir.mkdir(parents=True, exist_ok=True)
    logger.remove()
    logger.enable("accountbuilder")
    for kind in RecordKind:
        logger.add(**sink_config(kind, log_dir, secrets=secrets))
    human = {"format": text_format(secrets, TEMPLATE), "filter": _not_a_record,
             "diagnose": False, "backtrace": False}  # fmt: skip
    logger.add(sys.stderr, level="INFO", **human)
    logger.add(str(log_dir / "dryrun.log"), level="DEBUG", rotation="50 MB", encoding="utf-8", **human)  # fmt: skip
    logging.getLogger("ccxt").setLevel(logging.WARNING)


def _not_a_record(record: dict) -> bool:
    return BIND_KEY not in record["extra"]


def summary_text(store: SqliteStore, session: Any, account: AccountFile, now_ms: int) -> str:
    """The stop's summary: state, equity against the start, closed trades, where things are."""
    s, engine = session.core.state, session.port.engine
    ledger, mark = engine.book.ledger, engine.mark_price
    equity = ledger.wallet_btc + ledger.unrealised_btc(mark)
    exits = [t for t in store.trades_between(0, now_ms + 1) if isinstance(t, TradeExitRecord)]
    wins = sum(1 for t in exits if t.is_win)
    origin = account.origin
    since = datetime.fromtimestamp(origin.started_ms / 1000, UTC).isoformat(timespec="seconds")
    return "\n".join(
        [
            f"{BANNER} stopped: {s.main.state}, stop {s.stop.state} — simulated orders on "
            "Bybit's public prices; nothing was sent to any account",
            f"  equity {equity:.8f} BTC = ${equity * mark:.2f} at mark {mark} "
            f"(started ${origin.start_equity_usd} on {since})",
            f"  closed trades {len(exits)} ({wins} won); realised {ledger.realised_btc:.8f} BTC, "
            f"fees {ledger.fees_btc:.8f} BTC, funding {ledger.funding_btc:+.8f} BTC",
            f"  store {store.path} (`accountbuilder status --state {store.path}`), "
            f"account {account.path}",
        ]
    )
