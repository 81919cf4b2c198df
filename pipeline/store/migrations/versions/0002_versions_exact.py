"""File versions and exact values.

``files`` holds every version of an input file (its resolved path): ``version`` counts them,
``is_current`` marks the newest, ``pipeline_version`` says which gongkai processed it. The
cells' values, suggestions, observations, decisions and the audit trail's values become
exact: NUMERIC(20,4) on PostgreSQL, canonical text on SQLite (pipeline/store/schema.py).
``schema_version`` goes to 5 so that a gongkai from before Alembic refuses the store.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

EXACT = {
    "cells": ("value", "suggestion"),
    "observed": ("value",),
    "decisions": ("value",),
    "reviews": ("old_value", "new_value", "old_decided"),
}

# SQLite cannot change a column's type: each table is made again and its rows copied
_SQLITE = {
    "cells": """(
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    value EXACT_TEXT, status TEXT NOT NULL, confidence FLOAT NOT NULL, page INTEGER,
    x0 FLOAT, y0 FLOAT, x1 FLOAT, y1 FLOAT, line INTEGER, reason TEXT, suggestion EXACT_TEXT,
    version INTEGER DEFAULT '0' NOT NULL,
    UNIQUE (document_id, tbl, row_key, col_key))""",
    "observed": """(
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    value EXACT_TEXT, confidence FLOAT NOT NULL, blank INTEGER NOT NULL,
    seen TEXT, text TEXT, page INTEGER, x0 FLOAT, y0 FLOAT, x1 FLOAT, y1 FLOAT, line INTEGER,
    PRIMARY KEY (document_id, tbl, row_key, col_key))""",
    "decisions": """(
    sha256 TEXT NOT NULL, tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    kind TEXT NOT NULL, value EXACT_TEXT, PRIMARY KEY (sha256, tbl, row_key, col_key))""",
    "reviews": """(
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL, tbl TEXT NOT NULL, row_key TEXT NOT NULL, col_key TEXT NOT NULL,
    action TEXT NOT NULL, old_value EXACT_TEXT, new_value EXACT_TEXT,
    old_status TEXT, old_kind TEXT, old_decided EXACT_TEXT,
    reviewer TEXT NOT NULL, at TEXT NOT NULL, undone INTEGER DEFAULT '0' NOT NULL)""",
    "files": """(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, resolved TEXT NOT NULL,
    version INTEGER DEFAULT '1' NOT NULL, is_current BOOLEAN DEFAULT true NOT NULL,
    sha256 TEXT, status TEXT NOT NULL, error_stage TEXT, error_message TEXT, output TEXT,
    pipeline_version TEXT, processed_at TEXT NOT NULL,
    CONSTRAINT files_resolved_version UNIQUE (resolved, version))""",
}
_INDEXES = (
    "CREATE INDEX cells_document ON cells (document_id)",
    "CREATE INDEX files_sha256 ON files (sha256)",
    "CREATE INDEX files_output ON files (output)",
)
_CURRENT = "CREATE UNIQUE INDEX files_current ON files (resolved) WHERE is_current"


def _whole(c: str) -> str:
    """A REAL that is a whole number copied as an INTEGER: ``5``, not ``5.0``."""
    return f"CASE WHEN {c} = CAST({c} AS INTEGER) THEN CAST({c} AS INTEGER) ELSE {c} END"


def _sqlite() -> None:
    db = op.get_bind()
    for table, ddl in _SQLITE.items():
        cols = [r[1] for r in db.exec_driver_sql(f"PRAGMA table_info({table})")]
        exact = EXACT.get(table, ())
        select = ", ".join(_whole(c) if c in exact else c for c in cols)
        db.exec_driver_sql(f"CREATE TABLE {table}_new {ddl}")
        db.exec_driver_sql(
            f"INSERT INTO {table}_new ({', '.join(cols)}) SELECT {select} FROM {table}"
        )
        db.exec_driver_sql(f"DROP TABLE {table}")
        db.exec_driver_sql(f"ALTER TABLE {table}_new RENAME TO {table}")
    for stmt in (*_INDEXES, _CURRENT):
        db.exec_driver_sql(stmt)


def _postgresql() -> None:
    for table, cols in EXACT.items():
        for c in cols:
            op.alter_column(table, c, type_=sa.Numeric(20, 4), postgresql_using=f"{c}::numeric")
    op.add_column("files", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column(
        "files",
        sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.text("true")),
    )
    op.add_column("files", sa.Column("pipeline_version", sa.Text))
    op.drop_constraint("files_resolved_key", "files", type_="unique")
    op.create_unique_constraint("files_resolved_version", "files", ["resolved", "version"])
    op.execute(_CURRENT)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite()
    else:
        _postgresql()
    op.execute("UPDATE schema_version SET version = 5")


def downgrade() -> None:
    raise NotImplementedError("a store is not taken back to an older gongkai")
