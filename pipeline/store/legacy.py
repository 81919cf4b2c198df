"""Stores from before Alembic: a ``schema_version`` table, versions 1 to 4 (SQLite only).

Such a store is brought to version 4 by the steps it always had, then stamped with the
Alembic baseline (which is version 4), and Alembic takes it from there.
"""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.engine import Connection

# 2: the files table; documents no longer hold unreadable files (sha256 '')
# 3: the review desk: cells.version, the observations, reviewers' decisions and their audit log
# 4: identifications, a reviewer's template and （六） layout per document content
SCHEMA_VERSION = 4
# what schema_version says once Alembic manages the store: a gongkai from before refuses it
LEGACY_GUARD = 5

V4_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    status TEXT NOT NULL, template TEXT, applications_layout TEXT, organ TEXT, year INTEGER,
    reader TEXT, pages INTEGER, error_stage TEXT, error_message TEXT,
    warnings TEXT NOT NULL DEFAULT '[]', processed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    value DOUBLE PRECISION, status TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL,
    page INTEGER,
    x0 DOUBLE PRECISION, y0 DOUBLE PRECISION, x1 DOUBLE PRECISION, y1 DOUBLE PRECISION,
    line INTEGER, reason TEXT, suggestion DOUBLE PRECISION,
    version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (document_id, tbl, row_key, col_key)
);
CREATE INDEX IF NOT EXISTS cells_document ON cells(document_id);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    identity TEXT NOT NULL, holds INTEGER NOT NULL, detail TEXT
);
CREATE INDEX IF NOT EXISTS checks_document ON checks(document_id);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, resolved TEXT NOT NULL UNIQUE, sha256 TEXT,
    status TEXT NOT NULL, error_stage TEXT, error_message TEXT, output TEXT,
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


def script(db: Connection, sql: str) -> None:
    """Statements one by one, inside the caller's transaction (``executescript`` commits)."""
    for stmt in sql.split(";"):
        if stmt.strip():
            db.exec_driver_sql(stmt)


def to_v4(db: Connection, version: int, tables: set[str]) -> None:
    """A legacy store (``version`` 1–4) brought to version 4, in the caller's transaction."""
    if version < 3 and "cells" in tables:  # before the schema script: version exists from 3 on
        db.exec_driver_sql("ALTER TABLE cells ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
    script(db, V4_SCHEMA)
    if version < 2:
        _1_to_2(db)
    db.exec_driver_sql("DELETE FROM schema_version")
    db.execute(text("INSERT INTO schema_version VALUES (:v)"), {"v": SCHEMA_VERSION})


def _1_to_2(db: Connection) -> None:
    """Version 1 had no files table: each document's source becomes a file (its path made
    absolute against the current directory), and the one row of unreadable files (sha256
    '') leaves the documents table for it."""
    rows = db.exec_driver_sql(
        "SELECT source, sha256, status, error_stage, error_message, processed_at"
        " FROM documents ORDER BY id"
    ).fetchall()
    for src, sha, *rest in rows:
        db.exec_driver_sql(
            "INSERT OR REPLACE INTO files (path, resolved, sha256, status, error_stage,"
            " error_message, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (src, os.path.abspath(src), sha or None, *rest),
        )
    db.exec_driver_sql("DELETE FROM documents WHERE sha256 = ''")
