"""The store's names at their old place (the store is no longer SQLite only): new code
imports from pipeline.store.db and pipeline.store.engine."""

from pipeline.store.db import Store, StoredCell, StoredDocument, StoredFile, open_store
from pipeline.store.engine import StoreError, StoreWriteError, UnsupportedStore
from pipeline.store.legacy import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "StoreWriteError",
    "StoredCell",
    "StoredDocument",
    "StoredFile",
    "UnsupportedStore",
    "open_store",
]
