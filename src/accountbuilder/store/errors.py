"""Errors of the store. Each message says what is wrong and what to do about it."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of the store's errors."""


class StoreNotFoundError(StoreError):
    """A read-only open of a store file that does not exist."""


class UnreadableStoreError(StoreError):
    """SQLite cannot open or read the file (not a database, damaged, read-only directory)."""


class NotAStoreError(StoreError):
    """The file is an SQLite database, but not an accountbuilder store."""


class SchemaTooNewError(StoreError):
    """The store was written by a newer accountbuilder; this one refuses to touch it."""


class SchemaTooOldError(StoreError):
    """A read-only open of a store that needs a migration (only a writer migrates)."""


class ReadOnlyStoreError(StoreError):
    """A write was attempted through a read-only store."""


class DuplicateIntentError(StoreError):
    """A second intent with the same intent id, or a second send of the same client id (SPEC G2)."""


class IntentTransitionError(StoreError):
    """An intent status change the lifecycle does not allow (a bug in the caller)."""


class UnknownIntentError(StoreError):
    """No intent with that id."""


class StoreLockedError(StoreError):
    """Another process holds the store's lock (defined in ``lock.py``, raised there)."""


class SessionCorruptError(StoreError):
    """No stored session revision is intact: refuse to start as if fresh (SPEC I4)."""
