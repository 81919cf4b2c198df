"""The store, on SQLite and PostgreSQL: round trip, idempotent re-runs, failures, reviewer
corrections, atomicity, exact values, file versions and the corrections they carry."""

from __future__ import annotations

import multiprocessing
import sqlite3
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.model.records import CellKey, DocResult, ErrorItem, Number, Reason
from pipeline.recover.reconcile import reconcile
from pipeline.run import process
from pipeline.store import db as store_db
from pipeline.store.db import Store, open_store
from pipeline.store.engine import StoreError, StoreWriteError, UnsupportedStore, store_url

from .conftest import SAMPLES

SEED = SAMPLES / "003_47c37cecacaa7283.txt"
GRANTED = CellKey("applications", "granted", "total")  # read as 1
AMOUNT = CellKey("active_disclosure", "centralized_procurement", "amount")  # read as 357595


@pytest.fixture(scope="module")
def seed() -> DocResult:
    return process(SEED)


@pytest.fixture
def result(seed: DocResult) -> DocResult:
    return seed


def count(url: str, table: str) -> int:
    engine = create_engine(store_url(url))
    try:
        with engine.connect() as c:
            return int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def k3(key: CellKey) -> tuple[str, str, str]:
    return key.table, key.row, key.col


def by_key(store: Store, sha: str) -> dict[tuple[str, str, str], store_db.StoredCell]:
    return {(c.table, c.row, c.col): c for c in store.cells(sha)}


def test_round_trip(store_url: str, result: DocResult) -> None:
    with open_store(store_url) as store:
        store.save(result)
        (doc,) = store.documents()
        assert (doc.sha256, doc.template, doc.organ, doc.year) == (
            result.sha256,
            "2019",
            "芙蓉镇",
            2020,
        )
        cells = by_key(store, result.sha256)
    assert len(cells) == len(result.cells)
    c = cells[("applications", "new_requests", "natural_person")]
    assert (c.value, c.status, c.line) == (5, "inferred", 55)
    assert type(c.value) is int
    amount = cells[(AMOUNT.table, AMOUNT.row, AMOUNT.col)].value
    assert isinstance(amount, Decimal) and amount == Decimal("357595.0000")
    assert count(store_url, "checks") == len(result.checks)


def test_rerun_replaces_and_keeps_corrections(store_url: str, result: DocResult) -> None:
    with open_store(store_url) as store:
        store.save(result)
        store.correct(result.sha256, "applications", "granted", "total", 2)
        store.save(result)
        store.save(result)
        assert store.summary()["documents"] == 1
        cells = by_key(store, result.sha256)
    assert count(store_url, "cells") == len(result.cells)
    fixed = cells[("applications", "granted", "total")]
    assert (fixed.value, fixed.status) == (2, "corrected")


def test_corrections_survive_a_rerun_that_lacks_them(store_url: str, result: DocResult) -> None:
    """A failed (or differently laid out) re-run must not drop a reviewer's work."""
    failed = DocResult(result.source, result.sha256, "failed", error=ErrorItem("read", "flaky"))
    with open_store(store_url) as store:
        store.save(result)
        store.correct(result.sha256, "applications", "granted", "total", 2)
        store.save(failed)
        (kept,) = store.cells(result.sha256)
        assert (kept.table, kept.row, kept.col, kept.value, kept.status) == (
            "applications",
            "granted",
            "total",
            2,
            "corrected",
        )
        store.save(result)
        cells = store.cells(result.sha256)
    assert len(cells) == len(result.cells)
    assert [(c.row, c.col, c.value) for c in cells if c.status == "corrected"] == [
        ("granted", "total", 2)
    ]


def test_failed_document_is_stored(store_url: str) -> None:
    failed = DocResult("bad.pdf", "ab" * 32, "failed", error=ErrorItem("read", "BadPDF: not a PDF"))
    with open_store(store_url) as store:
        store.save(failed)
        (doc,) = store.documents()
        assert (doc.status, doc.error_stage, doc.error_message) == (
            "failed",
            "read",
            "BadPDF: not a PDF",
        )
        assert store.summary() == {"documents": 1, "failed": 1, "cells": 0, "review_cells": 0}


def test_crash_mid_save_keeps_the_earlier_version(
    store_url: str, result: DocResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(store_url) as store:
        store.save(result)

        def boom(*args: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(store_db, "_observed", boom)
        with pytest.raises(RuntimeError):
            store.save(replace(result, source="elsewhere.txt"))
    assert count(store_url, "documents") == 1
    assert count(store_url, "cells") == len(result.cells)
    assert count(store_url, "checks") == len(result.checks)
    assert count(store_url, "files") == 1


def test_a_database_error_is_one_store_write_error(store_url: str, result: DocResult) -> None:
    """Not a lock: the caller gets a StoreWriteError (one line) and can go on."""
    with open_store(store_url) as store:
        with store.write() as db:
            db.execute(text("DROP TABLE checks"))
        with pytest.raises(StoreWriteError) as e:
            store.save(result)
    assert "cannot save" in str(e.value) and "\n" not in str(e.value)
    assert "checks" in str(e.value)


def test_unsupported_url(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedStore):
        open_store("mysql://somewhere/db")
    assert store_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert store_url(tmp_path / "x.sqlite").database == str(tmp_path / "x.sqlite")


def test_unreadable_files_are_recorded_each_under_its_path(store_url: str) -> None:
    """No bytes, no sha256: the file is recorded, the documents are untouched."""
    with open_store(store_url) as store:
        for name in ("a.pdf", "b.pdf"):
            store.save(DocResult(name, "", "failed", error=ErrorItem("read", "cannot read")))
        assert [(f.path, f.sha256, f.status) for f in store.files()] == [
            ("a.pdf", None, "failed"),
            ("b.pdf", None, "failed"),
        ]
        assert store.documents() == []


def test_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "x.sqlite").write_bytes(b"not a database at all, just some bytes" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store(tmp_path / "x.sqlite")
    with sqlite3.connect(tmp_path / "other.sqlite") as c:
        c.execute("CREATE TABLE notes (x TEXT)")
    with pytest.raises(StoreError, match="not a gongkai store"):
        open_store(tmp_path / "other.sqlite")


def test_a_newer_revision_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    with Store(store_url) as store, store.write() as db:
        db.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="newer than this gongkai: upgrade gongkai"):
        open_store(store_url)


# --- file versions -------------------------------------------------------------------------


def new_content(
    r: DocResult, tag: str, reads: dict[CellKey, float | int] | None = None
) -> DocResult:
    """``r`` as if the file had been edited: another sha256, and some cells read otherwise."""
    obs = []
    for o in r.observed:
        if reads and o.key in reads:
            o = replace(o, number=Number(reads[o.key], 1.0), text=str(reads[o.key]))
        obs.append(o)
    assert r.identification is not None
    cells, checks = reconcile(r.identification, {o.key: o for o in obs})
    return replace(
        r, sha256=(tag * 64)[:64], observed=tuple(obs), cells=tuple(cells), checks=tuple(checks)
    )


def test_a_new_content_is_a_new_version(store_url: str, result: DocResult) -> None:
    key = str(SEED.resolve())
    edited = new_content(result, "e")
    with open_store(store_url) as store:
        store.save(result, key, "/out/x.json", "1.0")
        store.save(result, key, None, "1.1")  # the same content again: the same version
        assert [(f.version, f.sha256, f.pipeline_version) for f in store.files()] == [
            (1, result.sha256, "1.1")
        ]
        store.save(edited, key, None, "1.1")
        (cur,) = store.files()
        assert (cur.version, cur.sha256, cur.current, cur.output) == (
            2,
            edited.sha256,
            True,
            "/out/x.json",
        )
        history = store.files(all_versions=True)
        assert [(f.version, f.current) for f in history] == [(2, True), (1, False)]
        assert [d.sha256 for d in store.documents()] == [edited.sha256]
        assert {d.sha256 for d in store.documents(current_only=False)} == {
            result.sha256,
            edited.sha256,
        }
        assert store.owner_of("/out/x.json") == key


def test_done(store_url: str, result: DocResult) -> None:
    key = str(SEED.resolve())
    with open_store(store_url) as store:
        assert not store.done(key, result.sha256, "1.0")
        store.save(result, key, None, "1.0")
        assert store.done(key, result.sha256, "1.0")
        assert not store.done(key, result.sha256, "1.1")
        store.save(new_content(result, "f"), key, None, "1.0")
        assert not store.done(key, result.sha256, "1.0")
        assert store.done(key, "f" * 64, "1.0")


def test_corrections_carried_to_a_new_version(store_url: str, result: DocResult) -> None:
    """The new file reads the cell as the old did → the correction is carried; it reads the
    corrected value → nothing to do; it reads something else → review, with the correction
    as the suggestion. Then the desk's resettle keeps all three so."""
    from pipeline.review.desk import resettle

    key = str(SEED.resolve())
    other = CellKey("applications", "granted", "natural_person")
    third = CellKey("applications", "new_requests", "total")
    obs = {o.key: o.number.value for o in result.observed}
    assert obs[other] is not None and obs[third] is not None
    with open_store(store_url) as store:
        store.save(result, key)
        store.correct(result.sha256, *k3(GRANTED), 7)  # read 1: agrees below
        store.correct(result.sha256, *k3(other), obs[other] + 5)  # read otherwise
        store.correct(result.sha256, *k3(third), obs[third] + 2)  # read as fixed
        edited = new_content(result, "e", {other: obs[other] + 9, third: obs[third] + 2})
        store.save(edited, key)
        cells = by_key(store, edited.sha256)
        assert resettle(store, edited.sha256)
        settled = by_key(store, edited.sha256)
    for got in (cells, settled):
        carried = got[(GRANTED.table, GRANTED.row, GRANTED.col)]
        assert (carried.value, carried.status) == (7, "corrected")
        doubt = got[(other.table, other.row, other.col)]
        assert (doubt.status, doubt.reason, doubt.suggestion) == (
            "review",
            Reason.EARLIER_CORRECTION,
            obs[other] + 5,
        )
        fixed = got[(third.table, third.row, third.col)]
        assert fixed.status != "corrected" and fixed.reason != Reason.EARLIER_CORRECTION


def _save_in_another_process(url: str, r: DocResult, key: str) -> None:
    with Store(url) as store:
        store.save(r, key, None, "1.0")


def test_two_processes_save_the_same_document(store_url: str, result: DocResult) -> None:
    """Both open a new store and save one content at once: one document, no error."""
    spawn = multiprocessing.get_context("spawn")
    procs = [
        spawn.Process(target=_save_in_another_process, args=(store_url, result, f"/in/{i}.txt"))
        for i in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with open_store(store_url) as store:
        assert store.summary()["documents"] == 1
        assert len(store.files()) == 2
    assert count(store_url, "cells") == len(result.cells)


def test_a_value_the_schema_refuses_fails_that_save_only(store_url: str, result: DocResult) -> None:
    """A count that is not whole (a bug upstream) is a StoreWriteError for that file, and
    nothing of it is kept; the store goes on taking other files."""
    bad = tuple(replace(c, value=1.5) if c.key == GRANTED else c for c in result.cells)
    with open_store(store_url) as st:
        with pytest.raises(StoreWriteError, match="is a count"):
            st.save(replace(result, cells=bad), "/x/bad.txt")
        assert st.documents() == []
        st.save(result, "/x/good.txt")
        assert len(st.documents()) == 1
