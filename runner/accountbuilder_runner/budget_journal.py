"""SPEC F1 across restarts: the live REST budget starts from the calls recorded in the store
and records each grant there before the call is sent (the ``rest_calls`` table)."""

from __future__ import annotations

import sqlite3

from loguru import logger

from accountbuilder.constants import REST_BUDGET_WINDOW_MS
from accountbuilder.health.rest_budget import Grant, RestBudget
from accountbuilder.store.errors import StoreError
from accountbuilder.store.sqlite_store import SqliteStore


class BudgetJournal:
    """Writes every grant to the store; a failed write is logged, never blocks the call."""

    def __init__(self, store: SqliteStore, window_ms: int = REST_BUDGET_WINDOW_MS) -> None:
        self.store, self.window_ms = store, window_ms
        self.failed = 0

    def __call__(self, grant: Grant) -> None:
        try:
            self.store.record_rest_call(grant.ts_ms, grant.protective, self.window_ms)
        except (StoreError, sqlite3.Error, OSError) as e:
            # The call still goes out (a stop must not wait on the disk); the in-memory window
            # still counts it. Only a restart right now could overspend, and it is logged.
            self.failed += 1
            logger.warning("F1: REST call at {} not recorded in the store: {}", grant.ts_ms, e)


def journaled_budget(store: SqliteStore, now_ms: int) -> RestBudget:
    """A budget holding the calls of the last window (from before a restart), journaled."""
    history = store.rest_calls_since(now_ms - REST_BUDGET_WINDOW_MS)
    if history:
        logger.info("F1: {} REST calls of the last 60 s restored from the store", len(history))
    return RestBudget(history=history, on_grant=BudgetJournal(store))
