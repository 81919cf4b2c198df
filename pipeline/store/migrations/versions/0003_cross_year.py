"""The cross-year identity's flags: a cell sent to review because the organ's neighbouring
year carried another number, with what it was before (pipeline/store/crossyear.py).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    T = sa.Text  # noqa: N806
    fk = sa.ForeignKey("documents.id", ondelete="CASCADE")
    op.create_table(
        "cross_year_flags",
        sa.Column("document_id", sa.Integer, fk, nullable=False, primary_key=True),
        sa.Column("tbl", T, nullable=False, primary_key=True),
        sa.Column("row_key", T, nullable=False, primary_key=True),
        sa.Column("col_key", T, nullable=False, primary_key=True),
        sa.Column("status", T, nullable=False),
        sa.Column("reason", T),
        sa.Column("doc_status", T, nullable=False),
    )
    op.create_index("documents_year", "documents", ["year"])


def downgrade() -> None:
    raise NotImplementedError("a store is not taken back to an older gongkai")
