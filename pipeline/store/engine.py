"""Which database a store URL names, how to connect to it, and what its errors mean.

A plain path or ``sqlite:///path`` is an SQLite file; ``postgresql://`` (psycopg 3) a
PostgreSQL database. Writers take one lock, on both backends, for the length of their
transaction (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock), so
that a check and the write it allows are never split by another process. A lock that does
not come in time is retried with backoff; any other database error on a write is a
:class:`StoreWriteError`, so that a batch can fail one file and go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError

BUSY_TIMEOUT_MS = 5000  # SQLite waits this long for a lock before it says "locked"
RETRIES = 6  # then the store retries, 0.05 s, 0.1 s, … apart
_PG_LOCK = 0x676F6E67  # "gong": the advisory lock every writer of a PostgreSQL store takes
_PG_RETRY = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available

T = TypeVar("T")


class UnsupportedStore(ValueError):
    """The store URL names a backend gongkai does not have."""


class StoreError(Exception):
    """The store cannot be opened: not a database, not writable, or from a newer gongkai."""


class StoreWriteError(StoreError):
    """A write failed for a reason other than a lock: the caller fails that one file."""


def store_url(url: str | Path) -> URL:
    """The SQLAlchemy URL of a store: a path or ``sqlite:///path``, or ``postgresql://…``."""
    raw = str(url)
    if "://" not in raw:
        return URL.create("sqlite", database=raw)
    scheme = raw.split("://", 1)[0]
    if scheme in ("sqlite", "sqlite+pysqlite") and raw.startswith(f"{scheme}:///"):
        return URL.create("sqlite", database=raw[len(scheme) + 4 :])
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        try:
            return make_url("postgresql+psycopg://" + raw.split("://", 1)[1])
        except ArgumentError as e:
            raise UnsupportedStore(f"bad PostgreSQL URL {raw!r}: {e}") from e
    raise UnsupportedStore(
        f"unsupported store URL {raw!r}: {scheme} is not supported; "
        "use a path, sqlite:///path or postgresql://user@host/db"
    )


def sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite store, None for a server database."""
    return Path(url.database or "") if url.get_backend_name() == "sqlite" else None


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 0})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi: Any, record: Any) -> None:
        dbapi.isolation_level = None  # transactions are begun below, not by the driver
        cur = dbapi.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("gongkai_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def is_lock(e: BaseException) -> bool:
    """A lock that did not come in time, or a transaction PostgreSQL chose to abort: retry."""
    if isinstance(e, DBAPIError):
        code = getattr(e.orig, "sqlstate", None)
        if code in _PG_RETRY:
            return True
        if isinstance(e, OperationalError):
            msg = str(e.orig).lower()
            return "locked" in msg or "busy" in msg
    return False


def retrying(fn: Callable[[], T], what: str) -> T:
    """``fn`` (a whole transaction), again after a lock timeout; other errors said in one line."""
    for attempt in range(RETRIES + 1):
        try:
            return fn()
        except SQLAlchemyError as e:
            if is_lock(e) and attempt < RETRIES:
                time.sleep(0.05 * 2**attempt)
                continue
            raise StoreWriteError(f"{what}: {one_line(e)}") from e
    raise AssertionError("unreachable")


def one_line(e: BaseException) -> str:
    orig = getattr(e, "orig", None) or e
    return " ".join(str(orig).split()) or type(orig).__name__


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction holding the store's write lock; committed unless it raises."""
    for attempt in range(RETRIES + 1):
        conn = engine.connect().execution_options(gongkai_write=True)
        try:
            tx = conn.begin()
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            break
        except SQLAlchemyError as e:
            conn.close()
            if is_lock(e) and attempt < RETRIES:
                time.sleep(0.05 * 2**attempt)
                continue
            raise StoreWriteError(f"cannot lock the store: {one_line(e)}") from e
    try:
        with tx:
            yield conn
    finally:
        conn.close()
