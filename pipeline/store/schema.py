"""The store's schema (the head of the Alembic migrations), and its values' types.

Counts are whole numbers, amounts exact decimals (``taxonomy.is_amount``): one column type,
:class:`Exact`, holds both, NUMERIC(20,4) on PostgreSQL. SQLite has no exact decimal (NUMERIC
affinity keeps 15 significant digits), so there the column is text in a canonical form (``5``,
``12.34``) that compares equal when the values are equal. The in-memory records carry floats:
:func:`to_db` and :func:`from_db` convert at the store's boundary.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from pipeline.model.taxonomy import is_amount

SCALE = Decimal("0.0001")  # the amount scale: Numeric(20, 4)


class _ExactText(UserDefinedType[str]):
    """SQLite's column for an exact value: TEXT affinity, so no digit is rounded away."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "EXACT_TEXT"


class Exact(TypeDecorator[Decimal]):
    """A count or an amount, exactly: NUMERIC(20,4), or canonical text on SQLite."""

    impl = Numeric(20, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_ExactText())
        return dialect.type_descriptor(Numeric(20, 4, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        d = _decimal(value).quantize(SCALE, ROUND_HALF_EVEN)
        if dialect.name != "sqlite":
            return d
        return canonical(d)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else _decimal(value)


def canonical(d: Decimal) -> str:
    """``5``, ``12.34``: one text per value, so that SQL's ``IS NOT`` compares values."""
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def _decimal(v: Any) -> Decimal:
    if isinstance(v, float):
        return Decimal(repr(v))  # the shortest text that reads back as this float
    return v if isinstance(v, Decimal) else Decimal(str(v))


def to_db(key: tuple[str, str, str], v: float | int | Decimal | None) -> int | Decimal | None:
    """A record's value as the store keeps it: an amount rounded half-even to 4 places, a
    count an ``int`` (a count that is not whole is a bug upstream: refused)."""
    if v is None:
        return None
    d = _decimal(v)
    if is_amount(*key):
        return d.quantize(SCALE, ROUND_HALF_EVEN)
    if d != d.to_integral_value():
        raise ValueError(f"{'.'.join(key)} is a count, not {v!r}")
    return int(d)


def from_db(key: tuple[str, str, str], v: Any) -> int | Decimal | None:
    """A stored value, typed: ``Decimal`` for an amount, ``int`` for a count."""
    if v is None:
        return None
    d = _decimal(v)
    if is_amount(*key):
        return d.quantize(SCALE, ROUND_HALF_EVEN)
    return int(d)


def to_record(v: int | Decimal | None) -> float | int | None:
    """A stored value as the records (and the JSON) carry it: a whole number an ``int``."""
    if v is None:
        return None
    if isinstance(v, int) or v == v.to_integral_value():
        return int(v)
    return float(v)


metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", Text, nullable=False, unique=True),
    Column("source", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("template", Text),
    Column("applications_layout", Text),
    Column("organ", Text),
    Column("year", Integer),
    Column("reader", Text),
    Column("pages", Integer),
    Column("error_stage", Text),
    Column("error_message", Text),
    Column("warnings", Text, nullable=False, server_default="[]"),
    Column("processed_at", Text, nullable=False),
    Index("documents_year", "year"),
)


def _doc_fk(primary_key: bool = False) -> Column[int]:
    return Column(
        "document_id",
        Integer,
        ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _box() -> list[Column[Any]]:
    return [Column(n, Float) for n in ("x0", "y0", "x1", "y1")]


cells = Table(
    "cells",
    metadata,
    Column("id", Integer, primary_key=True),
    _doc_fk(),
    Column("tbl", Text, nullable=False),
    Column("row_key", Text, nullable=False),
    Column("col_key", Text, nullable=False),
    Column("value", Exact),
    Column("status", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("page", Integer),
    *_box(),
    Column("line", Integer),
    Column("reason", Text),
    Column("suggestion", Exact),
    Column("version", Integer, nullable=False, server_default="0"),
    UniqueConstraint("document_id", "tbl", "row_key", "col_key"),
    Index("cells_document", "document_id"),
)

checks = Table(
    "checks",
    metadata,
    Column("id", Integer, primary_key=True),
    _doc_fk(),
    Column("identity", Text, nullable=False),
    Column("holds", Integer, nullable=False),
    Column("detail", Text),
    Index("checks_document", "document_id"),
)

# one row per version of an input file (its resolved path); the newest is current
files = Table(
    "files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("path", Text, nullable=False),
    Column("resolved", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("is_current", Boolean, nullable=False, server_default=text("true")),
    Column("sha256", Text),
    Column("status", Text, nullable=False),
    Column("error_stage", Text),
    Column("error_message", Text),
    Column("output", Text),
    Column("pipeline_version", Text),
    Column("processed_at", Text, nullable=False),
    UniqueConstraint("resolved", "version", name="files_resolved_version"),
    Index("files_sha256", "sha256"),
    Index("files_output", "output"),
    Index(
        "files_current",
        "resolved",
        unique=True,
        sqlite_where=text("is_current"),
        postgresql_where=text("is_current"),
    ),
)

observed = Table(
    "observed",
    metadata,
    _doc_fk(primary_key=True),
    Column("tbl", Text, nullable=False, primary_key=True),
    Column("row_key", Text, nullable=False, primary_key=True),
    Column("col_key", Text, nullable=False, primary_key=True),
    Column("value", Exact),
    Column("confidence", Float, nullable=False),
    Column("blank", Integer, nullable=False),
    Column("seen", Text),
    Column("text", Text),
    Column("page", Integer),
    *_box(),
    Column("line", Integer),
)

decisions = Table(
    "decisions",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("tbl", Text, primary_key=True),
    Column("row_key", Text, primary_key=True),
    Column("col_key", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("value", Exact),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", Text, nullable=False),
    Column("tbl", Text, nullable=False),
    Column("row_key", Text, nullable=False),
    Column("col_key", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("old_value", Exact),
    Column("new_value", Exact),
    Column("old_status", Text),
    Column("old_kind", Text),
    Column("old_decided", Exact),
    Column("reviewer", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("undone", Integer, nullable=False, server_default="0"),
)

identifications = Table(
    "identifications",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("template", Text, nullable=False),
    Column("layout", Text, nullable=False),
    Column("reviewer", Text, nullable=False),
    Column("at", Text, nullable=False),
)

# a cell the cross-year identity sent to review, with what it was before, so that the flag
# can be taken back when the two years agree again (pipeline/store/crossyear.py)
cross_year_flags = Table(
    "cross_year_flags",
    metadata,
    _doc_fk(primary_key=True),
    Column("tbl", Text, nullable=False, primary_key=True),
    Column("row_key", Text, nullable=False, primary_key=True),
    Column("col_key", Text, nullable=False, primary_key=True),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    Column("doc_status", Text, nullable=False),
)

# kept at LEGACY_GUARD so that a gongkai from before Alembic refuses the store
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
