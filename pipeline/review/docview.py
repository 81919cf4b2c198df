"""One document as the filing lays it out: each table's matrix with its Chinese labels and
every cell's status, the checks, and the source's pages with the cells' boxes drawn on them.

A page is drawn on a copy of the PDF held in memory (the file on disk is only read), so the
boxes never touch the source.
"""

from __future__ import annotations

from typing import Any

import pymupdf

from pipeline.model.taxonomy import TABLE_TITLES, table_layout
from pipeline.review.desk import Desk, DeskError, etag, source_path, warnings
from pipeline.store import review as rs
from pipeline.store.review import q
from pipeline.store.schema import to_record

# status → stroke colour (RGB 0–1): the page and the matrix use the same ones (app.css)
COLOURS = {
    "ok": (0.1, 0.6, 0.2),
    "inferred": (0.1, 0.4, 0.9),
    "review": (0.85, 0.0, 0.0),
    "corrected": (0.6, 0.2, 0.7),
}
_ZOOM = 1.5
MAX_PAGE = 2000  # pages beyond any filing's are refused before the file is opened


def document_view(desk: Desk, sha256: str) -> dict[str, Any]:
    """The document's tables as matrices, its checks, and the pages that hold its cells."""
    with desk._store() as st, st.read() as db:
        doc = rs.document(db, sha256)
        if doc is None:
            raise DeskError(f"no document {sha256}", 404)
        status, pages = db.execute(
            q("SELECT status, pages FROM documents WHERE id = :doc"), {"doc": doc.id}
        ).one()
        ids = db.execute(
            q("SELECT id FROM cells WHERE document_id = :doc ORDER BY id"), {"doc": doc.id}
        ).fetchall()
        cells = [c for c in (rs.cell(db, i) for (i,) in ids) if c is not None]
        checks = [
            {"identity": i, "holds": bool(h), "detail": d}
            for i, h, d in db.execute(
                q(
                    "SELECT identity, holds, detail FROM checks WHERE document_id = :doc"
                    " ORDER BY id"
                ),
                {"doc": doc.id},
            )
        ]
        said = warnings(db, doc)
    by_table: dict[str, dict[str, dict[str, Any]]] = {}
    for c in cells:
        by_table.setdefault(c.table, {}).setdefault(c.row, {})[c.col] = {
            "id": c.id, "value": to_record(c.value), "status": c.status, "reason": c.reason,
            "suggestion": to_record(c.suggestion), "page": c.page, "version": etag(c),
        }  # fmt: skip
    tables = []
    for table, title in TABLE_TITLES.items():
        if doc.template is None or doc.layout is None:
            break
        rows, cols = table_layout(table, doc.template, doc.layout)
        got = by_table.get(table, {})
        tables.append(
            {
                "table": table,
                "title": title,
                "rows": [list(r) for r in rows],
                "cols": [list(c) for c in cols],
                "cells": got,
                "decidable": not any(v["status"] == "ok" for r in got.values() for v in r.values()),
            }
        )
    return {
        "sha256": doc.sha256,
        "source": doc.source,
        "status": status,
        "template": doc.template,
        "layout": doc.layout,
        "warnings": said,
        "pages": sorted({c.page for c in cells if c.page is not None}),
        "page_count": pages,
        "tables": tables,
        "checks": checks,
    }


def page_png(desk: Desk, sha256: str, page: int) -> bytes:
    """Page ``page`` of the document's source, each cell's box stroked in its status colour."""
    if not 1 <= page <= MAX_PAGE:
        raise DeskError(f"no page {page}", 404)
    with desk._store() as st, st.read() as db:
        doc = rs.document(db, sha256)
        if doc is None:
            raise DeskError(f"no document {sha256}", 404)
        boxes = db.execute(
            q(
                "SELECT x0, y0, x1, y1, status FROM cells WHERE document_id = :doc"
                " AND page = :page AND x0 IS NOT NULL"
            ),
            {"doc": doc.id, "page": page},
        ).fetchall()
    src = source_path(doc)
    try:
        with pymupdf.open(stream=src.read_bytes()) as pdf:
            if page > pdf.page_count:
                raise DeskError(f"the source has {pdf.page_count} pages, not {page}", 404)
            p = pdf[page - 1]
            for x0, y0, x1, y1, status in boxes:
                p.draw_rect(pymupdf.Rect(x0, y0, x1, y1), color=COLOURS.get(status), width=1.2)
            pix = p.get_pixmap(matrix=pymupdf.Matrix(_ZOOM, _ZOOM))
            return bytes(pix.tobytes("png"))
    except DeskError:
        raise
    except Exception as e:  # noqa: BLE001 - a text file or a damaged PDF is told, not a 500
        raise DeskError(f"cannot render page {page} of {src}: {e}", 422) from e
