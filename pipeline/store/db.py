"""The store: input files (with their versions), and documents with their cells and checks,
in SQLite or PostgreSQL (SQLAlchemy Core; the schema in pipeline/store/schema.py).

Documents (extraction results) are keyed by the content's sha256: saving a document again
replaces its rows in one transaction, so a re-run never duplicates and a crash mid-save
leaves the previous version. Cells a reviewer ``corrected`` survive a re-run of extraction,
and a new version of a file gets the corrections that still apply (pipeline/store/versions.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import case, delete, exists, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from pipeline.model.records import DocResult, DocStatus, Observed, Reason, Status
from pipeline.store import crossyear, versions
from pipeline.store.engine import (
    StoreError,
    StoreWriteError,
    make_engine,
    one_line,
    retrying,
    sqlite_file,
    store_url,
    writing,
)
from pipeline.store.migrate import prepare
from pipeline.store.review import VALUE
from pipeline.store.schema import (
    cells,
    checks,
    decisions,
    documents,
    files,
    from_db,
    observed,
    to_db,
)


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
    applications_layout: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """One version of an input file: its path as given and resolved, its content's sha256
    (None when its bytes could not be read), its outcome, and the JSON it was written to."""

    path: str
    resolved: str
    sha256: str | None
    status: str
    error_stage: str | None
    error_message: str | None
    output: str | None
    processed_at: str
    version: int = 1
    current: bool = True
    pipeline_version: str | None = None


@dataclass(frozen=True)
class StoredCell:
    table: str
    row: str
    col: str
    value: int | Decimal | None  # an int for a count, a Decimal for an amount
    status: str
    confidence: float
    page: int | None
    bbox: tuple[float, float, float, float] | None
    line: int | None
    reason: str | None
    suggestion: int | Decimal | None


def open_store(url: str | Path) -> Store:
    return Store(url)


class Store:
    def __init__(self, url: str | Path) -> None:
        """Open (or create) the store at ``url``, migrated to this gongkai's schema."""
        self.url = store_url(url)  # UnsupportedStore for another scheme
        self.name = str(url) if sqlite_file(self.url) else self.url.render_as_string()
        path = sqlite_file(self.url)
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = make_engine(self.url)
        except (OSError, SQLAlchemyError) as e:
            raise StoreError(f"cannot open the store {self.name}: {one_line(e)}") from e
        try:
            prepare(self.engine, self.name)
        except StoreError:
            self.engine.dispose()
            raise
        except SQLAlchemyError as e:
            self.engine.dispose()
            raise StoreError(f"cannot open the store {self.name}: {one_line(e)}") from e

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (the desk's queries: pipeline/store/review.py)."""
        with self.engine.connect() as db:
            yield db

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction under the store's write lock (pipeline/store/engine.py)."""
        with writing(self.engine) as db:
            yield db

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
        self.engine.dispose()

    def save(
        self,
        r: DocResult,
        resolved: str | None = None,
        output: str | None = None,
        pipeline_version: str | None = None,
    ) -> set[str]:
        """Store one input file's outcome, replacing an earlier run of the same content.

        ``resolved`` is the file's identity (default: its source made absolute), ``output``
        the path of the JSON written for it, ``pipeline_version`` the gongkai that made it.
        The document (by sha256) is stored when the bytes were read, failed or not; the file
        is always recorded. A lock is waited for; another database error is a
        ``StoreWriteError`` and nothing of this save is kept.

        Returns the documents (this one among them) whose cells or checks the cross-year
        identity with the organ's neighbouring years changed (pipeline/store/crossyear.py):
        their JSON is the caller's to rewrite from the store.
        """
        key = resolved or os.path.abspath(r.source)
        now = datetime.now(UTC).isoformat(timespec="seconds")

        def transaction() -> set[str]:
            with writing(self.engine) as db:  # one transaction: all of it or none of it
                previous = versions.record(db, r, key, output, pipeline_version, now)
                touched: set[str] = set()
                if previous and previous != r.sha256:  # its links are no longer current
                    touched |= crossyear.link(db, previous)
                if r.sha256:
                    carried = versions.carry(db, previous, r) if previous else {}
                    _save_document(db, r, now, carried)
                    touched |= crossyear.link(db, r.sha256)
                return touched

        try:
            return retrying(transaction, f"cannot save {r.source} in the store")
        except ValueError as e:  # a value the schema refuses: this file fails, not the batch
            raise StoreWriteError(f"cannot save {r.source} in the store: {e}") from e

    def done(self, resolved: str, sha256: str, pipeline_version: str) -> bool:
        """Whether the current version of ``resolved`` has this content and was processed by
        this ``pipeline_version`` (whatever its outcome): a batch can skip it."""
        with self.read() as db:
            return versions.current(db, resolved, sha256, pipeline_version)

    def correct(self, sha256: str, table: str, row: str, col: str, value: float) -> None:
        """A reviewer's correction of one cell, also kept as a decision (pipeline/store/review.py)
        so that the reviewer's desk re-reconciles with it. The desk's own path also re-runs
        reconciliation and keeps an audit row; this one only sets the value."""
        v = to_db((table, row, col), value)
        doc = select(documents.c.id).where(documents.c.sha256 == sha256).scalar_subquery()
        with self.write() as db:
            n = db.execute(
                update(cells)
                .where(
                    cells.c.document_id == doc,
                    cells.c.tbl == table,
                    cells.c.row_key == row,
                    cells.c.col_key == col,
                )
                .values(
                    value=v,
                    status=str(Status.CORRECTED),
                    reason=None,
                    suggestion=None,
                    version=cells.c.version + 1,
                )
            ).rowcount
            if n != 1:
                raise KeyError(f"no cell {table}.{row}.{col} in document {sha256[:12]}")
            keys = {"sha256": sha256, "tbl": table, "row_key": row, "col_key": col}
            db.execute(delete(decisions).filter_by(**keys))
            db.execute(insert(decisions).values(**keys, kind=VALUE, value=v))

    def documents(self, current_only: bool = True) -> list[StoredDocument]:
        """The documents that are the current version of at least one file (all: False)."""
        q = select(
            documents.c.sha256, documents.c.source, documents.c.status, documents.c.template,
            documents.c.organ, documents.c.year, documents.c.error_stage,
            documents.c.error_message, documents.c.applications_layout,
        ).order_by(documents.c.id)  # fmt: skip
        if current_only:
            q = q.where(exists().where(files.c.sha256 == documents.c.sha256, files.c.is_current))
        with self.read() as db:
            return [StoredDocument(*r) for r in db.execute(q)]

    def files(self, all_versions: bool = False) -> list[StoredFile]:
        """Every input file recorded, in the order first seen: its current version (with
        ``all_versions``, the older ones too, each after the one it was replaced by)."""
        q = select(
            files.c.path, files.c.resolved, files.c.sha256, files.c.status, files.c.error_stage,
            files.c.error_message, files.c.output, files.c.processed_at, files.c.version,
            files.c.is_current, files.c.pipeline_version,
        ).order_by(files.c.id)  # fmt: skip
        if not all_versions:
            q = q.where(files.c.is_current)
        with self.read() as db:
            rows = db.execute(q).all()
        order: dict[str, int] = {}
        for r in rows:
            order.setdefault(r.resolved, len(order))
        return sorted(
            (StoredFile(*r[:9], bool(r[9]), r[10]) for r in rows),
            key=lambda f: (order[f.resolved], -f.version),
        )

    def owner_of(self, output: str) -> str | None:
        """The resolved path of the input whose JSON is ``output``, if the store knows it."""
        q = select(files.c.resolved).where(files.c.output == output).order_by(files.c.id.desc())
        with self.read() as db:
            row = db.execute(q).first()
        return str(row[0]) if row else None

    def cells(self, sha256: str) -> list[StoredCell]:
        doc = select(documents.c.id).where(documents.c.sha256 == sha256).scalar_subquery()
        q = select(
            cells.c.tbl, cells.c.row_key, cells.c.col_key, cells.c.value, cells.c.status,
            cells.c.confidence, cells.c.page, cells.c.x0, cells.c.y0, cells.c.x1, cells.c.y1,
            cells.c.line, cells.c.reason, cells.c.suggestion,
        ).where(cells.c.document_id == doc).order_by(cells.c.id)  # fmt: skip
        with self.read() as db:
            rows = db.execute(q).all()
        out = []
        for t, r, c, v, s, conf, page, x0, y0, x1, y1, line, reason, sug in rows:
            k = (t, r, c)
            bbox = (x0, y0, x1, y1) if x0 is not None else None
            out.append(
                StoredCell(t, r, c, from_db(k, v), s, conf, page, bbox, line, reason,
                           from_db(k, sug))
            )  # fmt: skip
        return out

    def summary(self) -> dict[str, int]:
        failed = func.coalesce(func.sum(case((documents.c.status == "failed", 1), else_=0)), 0)
        review = func.coalesce(func.sum(case((cells.c.status == "review", 1), else_=0)), 0)
        with self.read() as db:
            docs, n_failed = db.execute(select(func.count(), failed).select_from(documents)).one()
            n_cells, n_review = db.execute(select(func.count(), review).select_from(cells)).one()
        return {
            "documents": int(docs),
            "failed": int(n_failed),
            "cells": int(n_cells),
            "review_cells": int(n_review),
        }


def _save_document(db: Connection, r: DocResult, now: str, carried: versions.Carried) -> None:
    """The document's rows (inside ``save``'s transaction), keeping corrected cells."""
    ident = r.identification
    old = db.execute(select(documents.c.id).where(documents.c.sha256 == r.sha256)).scalar()
    corrected = _corrected(db, old) if old is not None else {}
    if old is not None:
        db.execute(delete(documents).where(documents.c.id == old))
    status = str(r.status)
    if any(how == "review" for how, _ in carried.values()) and status == DocStatus.OK:
        status = str(DocStatus.PARTIAL)
    doc_id = db.execute(
        insert(documents)
        .values(
            sha256=r.sha256,
            source=r.source,
            status=status,
            template=ident.template if ident else None,
            applications_layout=ident.applications_layout if ident else None,
            organ=ident.organ if ident else None,
            year=ident.year if ident else None,
            reader=r.reader,
            pages=r.pages,
            error_stage=r.error.stage if r.error else None,
            error_message=r.error.message if r.error else None,
            warnings=json.dumps(list(r.warnings), ensure_ascii=False),
            processed_at=now,
        )
        .returning(documents.c.id)
    ).scalar_one()
    rows = []
    for c in r.cells:
        key = (c.key.table, c.key.row, c.key.col)
        bbox = c.origin.bbox or (None, None, None, None)
        row: dict[str, Any] = {
            "document_id": doc_id, "tbl": key[0], "row_key": key[1], "col_key": key[2],
            "value": to_db(key, c.value), "status": str(c.status), "confidence": c.confidence,
            "page": c.origin.page, "x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3],
            "line": c.origin.line, "reason": c.reason, "suggestion": to_db(key, c.suggestion),
        }  # fmt: skip
        if (kept := corrected.pop(key, None)) is not None:
            row.update(value=kept["value"], status=kept["status"], reason=kept["reason"])
        elif key in carried:
            how, v = carried[key]
            if how == "carried":
                row.update(value=v, status=str(Status.CORRECTED), reason=None, suggestion=None)
            else:
                row.update(status=str(Status.REVIEW), reason=str(Reason.EARLIER_CORRECTION))
                row.update(suggestion=v)
        rows.append(row)
    # a corrected cell this run did not produce (a failed re-run, another layout)
    # is kept as it was: a reviewer's work is never dropped by re-extraction
    rows.extend({**kept, "document_id": doc_id} for kept in corrected.values())
    if rows:
        db.execute(insert(cells), rows)
    if r.checks:
        db.execute(
            insert(checks),
            [
                {"document_id": doc_id, "identity": ch.identity, "holds": int(ch.holds),
                 "detail": ch.detail}
                for ch in r.checks
            ],
        )  # fmt: skip
    if r.observed:
        db.execute(insert(observed), [_observed(doc_id, o) for o in r.observed])


def _observed(doc_id: int, o: Observed) -> dict[str, Any]:
    key = (o.key.table, o.key.row, o.key.col)
    bbox = o.origin.bbox or (None, None, None, None)
    return {
        "document_id": doc_id, "tbl": key[0], "row_key": key[1], "col_key": key[2],
        "value": to_db(key, o.number.value), "confidence": o.number.confidence,
        "blank": int(o.number.blank), "seen": o.seen, "text": o.text, "page": o.origin.page,
        "x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3], "line": o.origin.line,
    }  # fmt: skip


def _corrected(db: Connection, doc_id: int) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The document's corrected cells: whole rows, as the cells INSERT takes them."""
    cols = [c for c in cells.c if c.name not in ("id", "document_id", "version")]
    rows = db.execute(
        select(*cols)
        .where(cells.c.document_id == doc_id, cells.c.status == str(Status.CORRECTED))
        .order_by(cells.c.id)
    ).all()
    return {(r.tbl, r.row_key, r.col_key): dict(r._mapping) for r in rows}
