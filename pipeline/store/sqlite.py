"""The embedded store: input files, and documents with their cells and checks, in SQLite.

Documents (extraction results) are keyed by the content's sha256: saving a document again
replaces its rows in one transaction, so a re-run never duplicates and a crash mid-save
leaves the previous version. Cells a reviewer ``corrected`` survive a re-run of extraction.
Input files are keyed by their resolved path, so two names for the same bytes are both
recorded, and a file that could not even be read is recorded under its own path.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pipeline.model.records import DocResult, Status
from pipeline.store.review import VALUE

# 2: the files table; documents no longer hold unreadable files (sha256 '')
# 3: the review desk: cells.version, the observations, reviewers' decisions and their audit log
# 4: identifications, a reviewer's template and （六） layout per document content
SCHEMA_VERSION = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    template TEXT,
    applications_layout TEXT,
    organ TEXT,
    year INTEGER,
    reader TEXT,
    pages INTEGER,
    error_stage TEXT,
    error_message TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    processed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tbl TEXT NOT NULL,
    row_key TEXT NOT NULL,
    col_key TEXT NOT NULL,
    value DOUBLE PRECISION,
    status TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    page INTEGER,
    x0 DOUBLE PRECISION, y0 DOUBLE PRECISION, x1 DOUBLE PRECISION, y1 DOUBLE PRECISION,
    line INTEGER,
    reason TEXT,
    suggestion DOUBLE PRECISION,
    version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (document_id, tbl, row_key, col_key)
);
CREATE INDEX IF NOT EXISTS cells_document ON cells(document_id);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    identity TEXT NOT NULL,
    holds INTEGER NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS checks_document ON checks(document_id);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    resolved TEXT NOT NULL UNIQUE,
    sha256 TEXT,
    status TEXT NOT NULL,
    error_stage TEXT,
    error_message TEXT,
    output TEXT,
    processed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_sha256 ON files(sha256);
CREATE INDEX IF NOT EXISTS files_output ON files(output);
CREATE TABLE IF NOT EXISTS observed (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    value DOUBLE PRECISION, confidence DOUBLE PRECISION NOT NULL, blank INTEGER NOT NULL,
    seen TEXT, text TEXT, page INTEGER,
    x0 DOUBLE PRECISION, y0 DOUBLE PRECISION, x1 DOUBLE PRECISION, y1 DOUBLE PRECISION,
    line INTEGER,
    PRIMARY KEY (document_id, tbl, row_key, col_key)
);
CREATE TABLE IF NOT EXISTS decisions (
    sha256 TEXT NOT NULL, tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    kind TEXT NOT NULL, value DOUBLE PRECISION,
    PRIMARY KEY (sha256, tbl, row_key, col_key)
);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL, tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    action TEXT NOT NULL, old_value DOUBLE PRECISION, new_value DOUBLE PRECISION,
    old_status TEXT, old_kind TEXT, old_decided DOUBLE PRECISION,
    reviewer TEXT NOT NULL, at TEXT NOT NULL, undone INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS identifications (
    sha256 TEXT PRIMARY KEY, template TEXT NOT NULL, layout TEXT NOT NULL,
    reviewer TEXT NOT NULL, at TEXT NOT NULL
);
"""


class UnsupportedStore(ValueError):
    """The store URL names a backend gongkai does not have."""


class StoreError(Exception):
    """The store cannot be opened: not a database, not writable, or from a newer gongkai."""


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    source: str
    status: str
    template: str | None
    organ: str | None
    year: int | None
    error_stage: str | None
    error_message: str | None


@dataclass(frozen=True)
class StoredFile:
    """One input file: its path as given and resolved, its content's sha256 (None when its bytes
    could not be read), its outcome, and the JSON it was written to."""

    path: str
    resolved: str
    sha256: str | None
    status: str
    error_stage: str | None
    error_message: str | None
    output: str | None
    processed_at: str


@dataclass(frozen=True)
class StoredCell:
    table: str
    row: str
    col: str
    value: float | None
    status: str
    confidence: float
    page: int | None
    bbox: tuple[float, float, float, float] | None
    line: int | None
    reason: str | None
    suggestion: float | None


def sqlite_path(url: str | Path) -> Path:
    """A plain path or ``sqlite:///path``; anything else is not (yet) a backend."""
    text = str(url)
    if text.startswith("sqlite:///"):
        return Path(text[len("sqlite:///") :])
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise UnsupportedStore(
            f"unsupported store URL {text!r}: {scheme} is not supported (yet); "
            "use a path or sqlite:///path"
        )
    return Path(text)


def open_store(url: str | Path) -> Store:
    return Store(sqlite_path(url))


class Store:
    def __init__(self, path: Path) -> None:
        """Open (or create) the store; a version 1 store is migrated in place."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot open the store {path}: {e}") from e
        try:
            self._open()
        except (StoreError, sqlite3.Error) as e:
            self._db.close()
            if isinstance(e, StoreError):
                raise
            raise StoreError(f"cannot open the store {path}: {e}") from e

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, for the review desk's queries (pipeline/store/review.py)."""
        return self._db

    def _open(self) -> None:
        db = self._db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "schema_version" not in tables:
            raise StoreError(f"{self._name()} is an SQLite file but not a gongkai store")
        version = (
            db.execute("SELECT max(version) FROM schema_version").fetchone()[0] if tables else None
        )
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"{self._name()} has schema version {version}, newer than this gongkai's "
                f"{SCHEMA_VERSION}: upgrade gongkai"
            )
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA busy_timeout = 5000")
        if version is not None and version < 3 and "cells" in tables:
            with db:  # before the schema script: the version column exists from 3 on
                db.execute("ALTER TABLE cells ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
        with db:
            db.executescript(_SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(files)")}
            if "pipeline_version" not in columns:  # what made the file's result (batch resume)
                db.execute("ALTER TABLE files ADD COLUMN pipeline_version TEXT")
        with db:
            if version is None:
                db.execute("DELETE FROM schema_version")
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            else:
                if version < 2:
                    self._migrate_1_to_2()
                self._db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def _name(self) -> str:
        return str(self._db.execute("PRAGMA database_list").fetchone()[2])

    def _migrate_1_to_2(self) -> None:
        """Version 1 had no files table: each document's source becomes a file (its path made
        absolute against the current directory), and the one row of unreadable files (sha256
        '') leaves the documents table for it."""
        rows = self._db.execute(
            "SELECT source, sha256, status, error_stage, error_message, processed_at"
            " FROM documents ORDER BY id"
        ).fetchall()
        self._db.executemany(
            "INSERT OR REPLACE INTO files (path, resolved, sha256, status, error_stage,"
            " error_message, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(src, os.path.abspath(src), sha or None, *rest) for src, sha, *rest in rows],
        )
        self._db.execute("DELETE FROM documents WHERE sha256 = ''")

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def save(
        self,
        r: DocResult,
        resolved: str | None = None,
        output: str | None = None,
        pipeline_version: str | None = None,
    ) -> None:
        """Store one input file's outcome, replacing an earlier run of the same file.

        ``resolved`` is the file's identity (default: its source made absolute) and ``output``
        the path of the JSON written for it; ``pipeline_version`` what made the result (see
        :meth:`done`). The document (by sha256) is stored when the bytes were read, failed or
        not; the file is always recorded.
        """
        key = resolved or os.path.abspath(r.source)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db:  # one transaction: all of it or none of it
            self._db.execute(
                "INSERT INTO files (path, resolved, sha256, status, error_stage, error_message,"
                " output, processed_at, pipeline_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (resolved) DO UPDATE SET path = excluded.path,"
                " sha256 = excluded.sha256, status = excluded.status,"
                " error_stage = excluded.error_stage, error_message = excluded.error_message,"
                " output = coalesce(excluded.output, files.output),"
                " processed_at = excluded.processed_at,"
                " pipeline_version = excluded.pipeline_version",
                (
                    r.source,
                    key,
                    r.sha256 or None,
                    r.status,
                    r.error.stage if r.error else None,
                    r.error.message if r.error else None,
                    output,
                    now,
                    pipeline_version,
                ),
            )
            if output is not None:  # an output file belongs to one input
                self._db.execute(
                    "UPDATE files SET output = NULL WHERE output = ? AND resolved != ?",
                    (output, key),
                )
            if r.sha256:
                self._save_document(r, now)

    def _save_document(self, r: DocResult, now: str) -> None:
        """The document's rows (inside ``save``'s transaction), keeping corrected cells."""
        ident = r.identification
        old = self._db.execute("SELECT id FROM documents WHERE sha256 = ?", (r.sha256,)).fetchone()
        corrected = self._corrected(old[0]) if old else {}
        if old:
            self._db.execute("DELETE FROM documents WHERE id = ?", (old[0],))
        self._db.execute(
            "INSERT INTO documents (sha256, source, status, template, applications_layout,"
            " organ, year, reader, pages, error_stage, error_message, warnings, processed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                r.sha256,
                r.source,
                r.status,
                ident.template if ident else None,
                ident.applications_layout if ident else None,
                ident.organ if ident else None,
                ident.year if ident else None,
                r.reader,
                r.pages,
                r.error.stage if r.error else None,
                r.error.message if r.error else None,
                json.dumps(list(r.warnings), ensure_ascii=False),
                now,
            ),
        )
        doc_id = self._db.execute(
            "SELECT id FROM documents WHERE sha256 = ?", (r.sha256,)
        ).fetchone()[0]
        rows = []
        for c in r.cells:
            key = (c.key.table, c.key.row, c.key.col)
            kept = corrected.pop(key, None)
            value, status, reason = (
                (kept[3], kept[4], kept[12]) if kept else (c.value, str(c.status), c.reason)
            )
            bbox = c.origin.bbox or (None, None, None, None)
            rows.append(
                (doc_id, *key, value, status, c.confidence, c.origin.page, *bbox,
                 c.origin.line, reason, c.suggestion)
            )  # fmt: skip
        # a corrected cell this run did not produce (a failed re-run, another layout)
        # is kept as it was: a reviewer's work is never dropped by re-extraction
        rows.extend((doc_id, *old) for old in corrected.values())
        self._db.executemany(
            "INSERT INTO cells (document_id, tbl, row_key, col_key, value, status, confidence,"
            " page, x0, y0, x1, y1, line, reason, suggestion)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._db.executemany(
            "INSERT INTO checks (document_id, identity, holds, detail) VALUES (?, ?, ?, ?)",
            [(doc_id, ch.identity, int(ch.holds), ch.detail) for ch in r.checks],
        )
        self._db.executemany(
            "INSERT INTO observed (document_id, tbl, row_key, col_key, value, confidence, blank,"
            " seen, text, page, x0, y0, x1, y1, line)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (doc_id, o.key.table, o.key.row, o.key.col, o.number.value, o.number.confidence,
                 int(o.number.blank), o.seen, o.text, o.origin.page,
                 *(o.origin.bbox or (None, None, None, None)), o.origin.line)
                for o in r.observed
            ],
        )  # fmt: skip

    def _corrected(self, doc_id: int) -> dict[tuple[str, str, str], tuple[Any, ...]]:
        """The document's corrected cells: whole rows, in the cells INSERT's column order."""
        rows = self._db.execute(
            "SELECT tbl, row_key, col_key, value, status, confidence, page,"
            " x0, y0, x1, y1, line, reason, suggestion FROM cells"
            " WHERE document_id = ? AND status = ? ORDER BY id",
            (doc_id, str(Status.CORRECTED)),
        ).fetchall()
        return {(r[0], r[1], r[2]): tuple(r) for r in rows}

    def correct(self, sha256: str, table: str, row: str, col: str, value: float) -> None:
        """A reviewer's correction of one cell, also kept as a decision (pipeline/store/review.py)
        so that the reviewer's desk re-reconciles with it. The desk's own path also re-runs
        reconciliation and keeps an audit row; this one only sets the value."""
        with self._db:
            cur = self._db.execute(
                "UPDATE cells SET value = ?, status = ?, reason = NULL, suggestion = NULL,"
                " version = version + 1"
                " WHERE document_id = (SELECT id FROM documents WHERE sha256 = ?)"
                " AND tbl = ? AND row_key = ? AND col_key = ?",
                (value, str(Status.CORRECTED), sha256, table, row, col),
            )
            if cur.rowcount != 1:
                raise KeyError(f"no cell {table}.{row}.{col} in document {sha256[:12]}")
            self._db.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?)",
                (sha256, table, row, col, VALUE, value),
            )

    def done(self, resolved: str, sha256: str, pipeline_version: str) -> bool:
        """Whether the file ``resolved`` was last stored with this content and by this pipeline
        version (whatever its status): a resumed batch skips it."""
        row = self._db.execute(
            "SELECT 1 FROM files WHERE resolved = ? AND sha256 = ? AND pipeline_version = ?",
            (resolved, sha256, pipeline_version),
        ).fetchone()
        return row is not None

    def documents(self) -> list[StoredDocument]:
        rows = self._db.execute(
            "SELECT sha256, source, status, template, organ, year, error_stage, error_message"
            " FROM documents ORDER BY id"
        ).fetchall()
        return [StoredDocument(*r) for r in rows]

    def files(self) -> list[StoredFile]:
        """Every input file recorded, in the order first seen."""
        rows = self._db.execute(
            "SELECT path, resolved, sha256, status, error_stage, error_message, output,"
            " processed_at FROM files ORDER BY id"
        ).fetchall()
        return [StoredFile(*r) for r in rows]

    def owner_of(self, output: str) -> str | None:
        """The resolved path of the input whose JSON is ``output``, if the store knows it."""
        row = self._db.execute(
            "SELECT resolved FROM files WHERE output = ? ORDER BY id DESC", (output,)
        ).fetchone()
        return str(row[0]) if row else None

    def cells(self, sha256: str) -> list[StoredCell]:
        rows = self._db.execute(
            "SELECT tbl, row_key, col_key, value, status, confidence, page, x0, y0, x1, y1,"
            " line, reason, suggestion FROM cells"
            " WHERE document_id = (SELECT id FROM documents WHERE sha256 = ?) ORDER BY id",
            (sha256,),
        ).fetchall()
        out = []
        for t, r, c, v, s, conf, page, x0, y0, x1, y1, line, reason, sug in rows:
            bbox = (x0, y0, x1, y1) if x0 is not None else None
            out.append(StoredCell(t, r, c, v, s, conf, page, bbox, line, reason, sug))
        return out

    def summary(self) -> dict[str, int]:
        docs, failed = self._db.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)"
            " FROM documents"
        ).fetchone()
        cells, review = self._db.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN status = 'review' THEN 1 ELSE 0 END), 0)"
            " FROM cells"
        ).fetchone()
        return {"documents": docs, "failed": failed, "cells": cells, "review_cells": review}
