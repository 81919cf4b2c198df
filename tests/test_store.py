"""The SQLite store: round trip, idempotent re-runs, failures, reviewer corrections, atomicity."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeline.model.records import DocResult, ErrorItem
from pipeline.run import process
from pipeline.store.sqlite import Store, StoreError, UnsupportedStore, open_store

from .conftest import SAMPLES

SEED = SAMPLES / "003_47c37cecacaa7283.txt"


@pytest.fixture
def result() -> DocResult:
    return process(SEED)


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as c:
        return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_round_trip(tmp_path: Path, result: DocResult) -> None:
    db = tmp_path / "g.sqlite"
    with open_store(f"sqlite:///{db}") as store:
        store.save(result)
        (doc,) = store.documents()
        assert (doc.sha256, doc.template, doc.organ, doc.year) == (
            result.sha256,
            "2019",
            "芙蓉镇",
            2020,
        )
        cells = {(c.table, c.row, c.col): c for c in store.cells(result.sha256)}
    assert len(cells) == len(result.cells)
    c = cells[("applications", "new_requests", "natural_person")]
    assert (c.value, c.status, c.line) == (5, "inferred", 55)
    assert count(db, "checks") == len(result.checks)


def test_rerun_replaces_and_keeps_corrections(tmp_path: Path, result: DocResult) -> None:
    db = tmp_path / "g.sqlite"
    with open_store(db) as store:
        store.save(result)
        store.correct(result.sha256, "applications", "granted", "total", 2)
        store.save(result)
        store.save(result)
        assert store.summary()["documents"] == 1
        cells = {(c.table, c.row, c.col): c for c in store.cells(result.sha256)}
    assert count(db, "cells") == len(result.cells)
    fixed = cells[("applications", "granted", "total")]
    assert (fixed.value, fixed.status) == (2, "corrected")


def test_corrections_survive_a_rerun_that_lacks_them(tmp_path: Path, result: DocResult) -> None:
    """A failed (or differently laid out) re-run must not drop a reviewer's work."""
    failed = DocResult(result.source, result.sha256, "failed", error=ErrorItem("read", "flaky"))
    with open_store(tmp_path / "g.sqlite") as store:
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


def test_failed_document_is_stored(tmp_path: Path) -> None:
    failed = DocResult("bad.pdf", "ab" * 32, "failed", error=ErrorItem("read", "BadPDF: not a PDF"))
    with open_store(tmp_path / "g.sqlite") as store:
        store.save(failed)
        (doc,) = store.documents()
        assert (doc.status, doc.error_stage, doc.error_message) == (
            "failed",
            "read",
            "BadPDF: not a PDF",
        )
        assert store.summary() == {"documents": 1, "failed": 1, "cells": 0, "review_cells": 0}


def test_crash_mid_save_keeps_the_earlier_version(
    tmp_path: Path, result: DocResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "g.sqlite"
    with open_store(db) as store:
        store.save(result)

        def boom(*args: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(Store, "_corrected", lambda self, doc_id: {})
        real = store._db

        class Flaky:
            def __getattr__(self, name: str) -> object:
                return getattr(real, name)

            def executemany(self, sql: str, rows: object) -> object:
                if "INSERT INTO checks" in sql:
                    boom()
                return real.executemany(sql, rows)  # type: ignore[arg-type]

            def __enter__(self) -> object:
                return real.__enter__()

            def __exit__(self, *exc: object) -> object:
                return real.__exit__(*exc)  # type: ignore[arg-type]

        store._db = Flaky()  # type: ignore[assignment]
        with pytest.raises(RuntimeError):
            store.save(result)
        store._db = real
    assert count(db, "documents") == 1
    assert count(db, "cells") == len(result.cells)
    assert count(db, "checks") == len(result.checks)


def test_unsupported_url(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedStore):
        open_store("mysql://somewhere/db")


def test_unreadable_files_are_recorded_each_under_its_path(tmp_path: Path) -> None:
    """No bytes, no sha256: the file is recorded, the documents are untouched."""
    with open_store(tmp_path / "g.sqlite") as store:
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
