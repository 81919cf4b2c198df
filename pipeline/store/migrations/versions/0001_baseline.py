"""The baseline: schema version 4 as it was before Alembic (pipeline/store/legacy.py).

A legacy SQLite store is brought to version 4 and stamped with this revision; a new store
(SQLite or PostgreSQL) is created by it.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

F = sa.Float  # DOUBLE PRECISION in version 4


def _doc(pk: bool = False) -> sa.Column:
    fk = sa.ForeignKey("documents.id", ondelete="CASCADE")
    return sa.Column("document_id", sa.Integer, fk, nullable=False, primary_key=pk)


def _box() -> list[sa.Column]:
    return [sa.Column(n, F) for n in ("x0", "y0", "x1", "y1")]


def upgrade() -> None:
    T, I = sa.Text, sa.Integer  # noqa: E741, N806
    op.create_table("schema_version", sa.Column("version", I, nullable=False))
    op.create_table(
        "documents",
        sa.Column("id", I, primary_key=True),
        sa.Column("sha256", T, nullable=False, unique=True),
        sa.Column("source", T, nullable=False),
        sa.Column("status", T, nullable=False),
        *(sa.Column(n, T) for n in ("template", "applications_layout", "organ")),
        sa.Column("year", I),
        sa.Column("reader", T),
        sa.Column("pages", I),
        sa.Column("error_stage", T),
        sa.Column("error_message", T),
        sa.Column("warnings", T, nullable=False, server_default="[]"),
        sa.Column("processed_at", T, nullable=False),
    )
    op.create_table(
        "cells",
        sa.Column("id", I, primary_key=True),
        _doc(),
        *(sa.Column(n, T, nullable=False) for n in ("tbl", "row_key", "col_key")),
        sa.Column("value", F),
        sa.Column("status", T, nullable=False),
        sa.Column("confidence", F, nullable=False),
        sa.Column("page", I),
        *_box(),
        sa.Column("line", I),
        sa.Column("reason", T),
        sa.Column("suggestion", F),
        sa.Column("version", I, nullable=False, server_default="0"),
        sa.UniqueConstraint("document_id", "tbl", "row_key", "col_key"),
    )
    op.create_index("cells_document", "cells", ["document_id"])
    op.create_table(
        "checks",
        sa.Column("id", I, primary_key=True),
        _doc(),
        sa.Column("identity", T, nullable=False),
        sa.Column("holds", I, nullable=False),
        sa.Column("detail", T),
    )
    op.create_index("checks_document", "checks", ["document_id"])
    op.create_table(
        "files",
        sa.Column("id", I, primary_key=True),
        sa.Column("path", T, nullable=False),
        sa.Column("resolved", T, nullable=False, unique=True),
        sa.Column("sha256", T),
        sa.Column("status", T, nullable=False),
        sa.Column("error_stage", T),
        sa.Column("error_message", T),
        sa.Column("output", T),
        sa.Column("processed_at", T, nullable=False),
    )
    op.create_index("files_sha256", "files", ["sha256"])
    op.create_index("files_output", "files", ["output"])
    op.create_table(
        "observed",
        _doc(pk=True),
        *(sa.Column(n, T, primary_key=True) for n in ("tbl", "row_key", "col_key")),
        sa.Column("value", F),
        sa.Column("confidence", F, nullable=False),
        sa.Column("blank", I, nullable=False),
        sa.Column("seen", T),
        sa.Column("text", T),
        sa.Column("page", I),
        *_box(),
        sa.Column("line", I),
    )
    op.create_table(
        "decisions",
        *(sa.Column(n, T, primary_key=True) for n in ("sha256", "tbl", "row_key", "col_key")),
        sa.Column("kind", T, nullable=False),
        sa.Column("value", F),
    )
    op.create_table(
        "reviews",
        sa.Column("id", I, primary_key=True),
        *(sa.Column(n, T, nullable=False) for n in ("sha256", "tbl", "row_key", "col_key")),
        sa.Column("action", T, nullable=False),
        sa.Column("old_value", F),
        sa.Column("new_value", F),
        sa.Column("old_status", T),
        sa.Column("old_kind", T),
        sa.Column("old_decided", F),
        sa.Column("reviewer", T, nullable=False),
        sa.Column("at", T, nullable=False),
        sa.Column("undone", I, nullable=False, server_default="0"),
    )
    op.create_table(
        "identifications",
        sa.Column("sha256", T, primary_key=True),
        *(sa.Column(n, T, nullable=False) for n in ("template", "layout", "reviewer", "at")),
    )
    op.execute("INSERT INTO schema_version VALUES (4)")


def downgrade() -> None:
    raise NotImplementedError("a store is not taken back to an older gongkai")
