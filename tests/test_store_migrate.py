"""The store's schema over time and its values: legacy SQLite stores (schema_version 1–4)
migrated by Alembic, exact integers and decimals on both backends, a lock waited out."""

from __future__ import annotations

import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from pipeline.model.records import CellKey
from pipeline.run import process
from pipeline.store import engine as store_engine
from pipeline.store import review as rs
from pipeline.store.db import Store, open_store
from pipeline.store.engine import StoreError, StoreWriteError
from pipeline.store.legacy import V4_SCHEMA
from pipeline.store.migrate import HEAD, head, scripts
from pipeline.store.schema import from_db, to_db

from .conftest import SAMPLES

SEED = SAMPLES / "003_47c37cecacaa7283.txt"
AMOUNT = ("active_disclosure", "centralized_procurement", "amount")
COUNT = ("applications", "granted", "total")

_NEWER = ("observed", "decisions", "reviews", "identifications")  # tables from version 3 on


def legacy_schema(version: int) -> str:
    """The DDL of a store at ``version`` (2–4), cut out of version 4's."""
    parts = [p for p in V4_SCHEMA.split(";") if p.strip()]
    drop = {2: _NEWER, 3: ("identifications",), 4: ()}[version]
    keep = [p for p in parts if not any(f"EXISTS {t} " in p for t in drop)]
    sql = ";".join(keep) + ";"
    if version < 3:
        sql = sql.replace("version INTEGER NOT NULL DEFAULT 0,", "")
    return sql + f"INSERT INTO schema_version VALUES ({version});"


def seed_rows(c: sqlite3.Connection, version: int) -> None:
    c.execute(
        "INSERT INTO documents (id, sha256, source, status, template, applications_layout,"
        " processed_at) VALUES (1, 'cafe', '/data/a.txt', 'ok', '2019', 'split', 'then')"
    )
    c.executemany(
        "INSERT INTO cells (document_id, tbl, row_key, col_key, value, status, confidence,"
        " suggestion) VALUES (1, ?, ?, ?, ?, 'ok', 1.0, ?)",
        [(*COUNT, 5.0, None), (*AMOUNT, 12.5, 13.0)],
    )
    c.execute(
        "INSERT INTO files (path, resolved, sha256, status, processed_at)"
        " VALUES ('a.txt', '/data/a.txt', 'cafe', 'ok', 'then')"
    )
    if version >= 3:
        c.execute("INSERT INTO decisions VALUES ('cafe', 'applications', 'granted', 'total',"
                  " 'value', 5.0)")  # fmt: skip


@pytest.mark.parametrize("version", [2, 3, 4])
def test_a_legacy_store_is_migrated(tmp_path: Path, version: int) -> None:
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as c:
        c.executescript(legacy_schema(version))
        seed_rows(c, version)
    c.close()
    with open_store(db) as store:
        cells = {(s.table, s.row, s.col): s for s in store.cells("cafe")}
        (f,) = store.files()
        assert (f.resolved, f.version, f.current) == ("/data/a.txt", 1, True)
        with store.read() as conn:
            rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            guard = conn.execute(text("SELECT version FROM schema_version")).scalars().all()
            decided = rs.decisions(conn, "cafe")
    assert rev == head() and guard == [5]
    count, amount = cells[COUNT], cells[AMOUNT]
    assert (count.value, type(count.value)) == (5, int)
    assert (amount.value, amount.suggestion) == (Decimal("12.5000"), Decimal("13.0000"))
    assert isinstance(amount.value, Decimal)
    if version >= 3:
        assert decided == {CellKey(*COUNT): ("value", 5)}
    with open_store(db) as store:  # opened again: nothing to do
        assert len(store.cells("cafe")) == 2


def test_a_version_1_store_is_migrated(tmp_path: Path) -> None:
    """Version 1 had no files table: the documents' sources become files."""
    db = tmp_path / "v1.sqlite"
    with sqlite3.connect(db) as c:
        c.executescript(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);"
            "INSERT INTO schema_version VALUES (1);"
            "CREATE TABLE documents (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE,"
            " source TEXT NOT NULL, status TEXT NOT NULL, template TEXT,"
            " applications_layout TEXT, organ TEXT, year INTEGER, reader TEXT, pages INTEGER,"
            " error_stage TEXT, error_message TEXT, warnings TEXT NOT NULL DEFAULT '[]',"
            " processed_at TEXT NOT NULL);"
            "INSERT INTO documents (sha256, source, status, processed_at)"
            " VALUES ('ab', '/data/bad.pdf', 'failed', 'then'),"
            " ('', '/data/gone.pdf', 'failed', 'then');"
        )
    c.close()
    with open_store(db) as store:
        assert [(f.path, f.sha256) for f in store.files()] == [
            ("/data/bad.pdf", "ab"),
            ("/data/gone.pdf", None),
        ]
        assert [d.sha256 for d in store.documents()] == ["ab"]


def test_a_newer_legacy_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    with sqlite3.connect(db) as c:
        c.executescript(
            "CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (99);"
        )
    c.close()
    with pytest.raises(StoreError, match="schema version 99.*upgrade gongkai"):
        open_store(db)


def test_values_at_the_boundary() -> None:
    assert to_db(AMOUNT, 0.00005) == Decimal("0.0000")  # half-even: to the even digit
    assert to_db(AMOUNT, 0.00015) == Decimal("0.0002")
    assert to_db(AMOUNT, 12.5) == Decimal("12.5000")
    assert to_db(COUNT, 3.0) == 3 and type(to_db(COUNT, 3.0)) is int
    with pytest.raises(ValueError, match="is a count"):
        to_db(COUNT, 2.5)
    assert from_db(COUNT, "7") == 7 and from_db(AMOUNT, "7") == Decimal("7.0000")


_AMOUNTS = st.decimals(
    min_value=Decimal("-9999999999999999.9999"),
    max_value=Decimal("9999999999999999.9999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
_COUNTS = st.integers(min_value=-(10**16) + 1, max_value=10**16 - 1)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amount=_AMOUNTS, count=_COUNTS)
def test_values_round_trip_exactly(store_url: str, amount: Decimal, count: int) -> None:
    """Every NUMERIC(20,4) amount and every count comes back as it went in, typed."""
    with Store(store_url) as store:
        with store.write() as db:
            rs.set_decision(db, "x" * 64, CellKey(*AMOUNT), "value", amount)
            rs.set_decision(db, "x" * 64, CellKey(*COUNT), "value", count)
        with store.read() as db:
            got = rs.decisions(db, "x" * 64)
    a, c = got[CellKey(*AMOUNT)][1], got[CellKey(*COUNT)][1]
    assert isinstance(a, Decimal) and a == amount
    assert type(c) is int and c == count


def test_a_lock_is_waited_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another connection holds SQLite's write lock longer than its busy timeout: the save
    is retried and goes through once the lock is let go; held for good, a StoreWriteError."""
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_MS", 20)
    db = tmp_path / "g.sqlite"
    r = process(SEED)
    with open_store(db) as store:
        other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        timer = threading.Timer(0.4, other.rollback)
        timer.start()
        start = time.monotonic()
        store.save(r)
        assert time.monotonic() - start >= 0.3
        assert store.summary()["documents"] == 1
        other.execute("BEGIN IMMEDIATE")
        monkeypatch.setattr(store_engine, "RETRIES", 2)
        with pytest.raises(StoreWriteError, match="locked"):
            store.save(r)
        other.rollback()
        other.close()


def test_the_head_revision_is_the_newest_shipped() -> None:
    assert scripts()[0] == HEAD == head() and "0001" in scripts()[1]
