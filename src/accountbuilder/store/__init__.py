"""The crash-safe SQLite store: session state, the order lifecycle and audit records (SPEC G2, I1–I4).

An edge, not the core: it does file I/O but never reads the clock. The runner wires it; the
core never imports it.
"""

from accountbuilder.store.decisions import DecisionWrite
from accountbuilder.store.errors import (
    DuplicateIntentError,
    IntentTransitionError,
    NotAStoreError,
    ReadOnlyStoreError,
    SchemaTooNewError,
    SchemaTooOldError,
    SessionCorruptError,
    StoreError,
    StoreNotFoundError,
    UnknownIntentError,
)
from accountbuilder.store.orders import OrderRecord
from accountbuilder.store.session import SessionRevision
from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder.store.status import StatusView

__all__ = [
    "DecisionWrite",
    "DuplicateIntentError",
    "OrderRecord",
    "IntentTransitionError",
    "NotAStoreError",
    "ReadOnlyStoreError",
    "SchemaTooNewError",
    "SchemaTooOldError",
    "SessionCorruptError",
    "SessionRevision",
    "SqliteStore",
    "StatusView",
    "StoreError",
    "StoreNotFoundError",
    "UnknownIntentError",
]
