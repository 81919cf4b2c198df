"""The reviewer's desk in the store: the queue, the observations reconciliation works from,
reviewers' decisions and their audit log.

A decision (a value set, or "illegible in the source") is kept per document content and cell
key, apart from the cells, so that a re-reconciliation (and a re-extraction) starts from the
observations with the decisions laid over them. Every decision is also a row of ``reviews``:
who, when, the value before and after. ``cells.version`` grows whenever a cell's value or
status changes, so an edit made on a stale page can be refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.model.records import (
    BBox,
    Cell,
    CellKey,
    Check,
    Evidence,
    Layout,
    Number,
    Observed,
    Origin,
    Status,
    Template,
)

VALUE = "value"  # the reviewer set the value (or kept the printed one)
ILLEGIBLE = "illegible"  # the reviewer cannot read it in the source either
ABSENT = "absent"  # the whole table is not in the filing: value null, no silent 0
BLANK = "blank"  # the whole table is printed blank: each cell a reviewer's 0 (kind VALUE)
DECISIONS = (VALUE, ILLEGIBLE, ABSENT, BLANK)  # the audit actions undo takes back


@dataclass(frozen=True)
class QueueCell:
    """One cell to review, with what the page shows of it."""

    id: int
    sha256: str
    source: str
    table: str
    row: str
    col: str
    value: float | None
    confidence: float
    reason: str | None
    suggestion: float | None
    page: int | None
    bbox: BBox | None
    line: int | None
    version: int
    status: str


@dataclass(frozen=True)
class DocInfo:
    """A document as the desk needs it: its identification and its input files."""

    id: int
    sha256: str
    source: str
    template: Template | None
    layout: Layout | None
    warnings: str
    files: tuple[tuple[str, str, str | None], ...]  # (path, resolved, output JSON)


@dataclass(frozen=True)
class Review:
    id: int
    sha256: str
    key: CellKey
    action: str
    old_value: float | None
    new_value: float | None
    old_status: str | None
    old_kind: str | None
    old_decided: float | None
    reviewer: str
    at: str
    undone: bool


_CELL = (
    "SELECT c.id, d.sha256, d.source, c.tbl, c.row_key, c.col_key, c.value, c.confidence,"
    " c.reason, c.suggestion, c.page, c.x0, c.y0, c.x1, c.y1, c.line, c.version, c.status"
    " FROM cells c JOIN documents d ON d.id = c.document_id"
)


def _queue_cell(r: Sequence[Any]) -> QueueCell:
    bbox = (r[11], r[12], r[13], r[14]) if r[11] is not None else None
    return QueueCell(
        r[0], r[1], r[2], r[3], r[4], r[5], _num(r[6]), r[7], r[8], _num(r[9]), r[10], bbox,
        r[15], r[16], r[17],
    )  # fmt: skip


def cell(db: sqlite3.Connection, cell_id: int) -> QueueCell | None:
    row = db.execute(_CELL + " WHERE c.id = ?", (cell_id,)).fetchone()
    return _queue_cell(row) if row else None


def cell_by_key(db: sqlite3.Connection, doc_id: int, key: CellKey) -> QueueCell | None:
    row = db.execute(
        _CELL + " WHERE c.document_id = ? AND c.tbl = ? AND c.row_key = ? AND c.col_key = ?",
        (doc_id, key.table, key.row, key.col),
    ).fetchone()
    return _queue_cell(row) if row else None


def queue(
    db: sqlite3.Connection,
    document: str | None = None,
    table: str | None = None,
    reason: str | None = None,
) -> list[QueueCell]:
    """The cells to review, the fewest keystrokes first: documents with the fewest cells to
    review first (one doubtful cell finishes a document), within one a suggested value first.

    A cell a reviewer marked illegible that the identities could not settle stays ``review``
    in the output but leaves the queue: a person has looked.
    """
    where, args = ["c.status = 'review'"], []
    for clause, arg in (("d.sha256 = ?", document), ("c.tbl = ?", table), ("c.reason = ?", reason)):
        if arg:
            where.append(clause)
            args.append(arg)
    rows = db.execute(
        _CELL + " JOIN (SELECT document_id, count(*) AS n FROM cells WHERE status = 'review'"
        " GROUP BY document_id) k ON k.document_id = d.id"
        " LEFT JOIN decisions x ON x.sha256 = d.sha256 AND x.tbl = c.tbl"
        " AND x.row_key = c.row_key AND x.col_key = c.col_key"
        " WHERE x.kind IS NULL AND " + " AND ".join(where) + " ORDER BY"
        " k.n, d.id, c.suggestion IS NULL, c.id",
        args,
    ).fetchall()
    return [_queue_cell(r) for r in rows]


def document(db: sqlite3.Connection, sha256: str) -> DocInfo | None:
    row = db.execute(
        "SELECT id, sha256, source, template, applications_layout, warnings FROM documents"
        " WHERE sha256 = ?",
        (sha256,),
    ).fetchone()
    if row is None:
        return None
    files = db.execute(
        "SELECT path, resolved, output FROM files WHERE sha256 = ? ORDER BY id", (sha256,)
    ).fetchall()
    template = Template(row[3]) if row[3] else None
    layout = Layout(row[4]) if row[4] else None
    return DocInfo(row[0], row[1], row[2], template, layout, row[5], tuple(files))


def identification(db: sqlite3.Connection, sha256: str) -> tuple[Template, Layout] | None:
    """The template and layout a reviewer chose for the document's content, if any."""
    row = db.execute(
        "SELECT template, layout FROM identifications WHERE sha256 = ?", (sha256,)
    ).fetchone()
    return (Template(row[0]), Layout(row[1])) if row else None


def set_identification(
    db: sqlite3.Connection, sha256: str, template: Template, layout: Layout, reviewer: str
) -> None:
    db.execute(
        "INSERT OR REPLACE INTO identifications VALUES (?, ?, ?, ?, ?)",
        (sha256, str(template), str(layout), reviewer, now()),
    )


def observations(db: sqlite3.Connection, doc_id: int) -> dict[CellKey, Observed]:
    rows = db.execute(
        "SELECT tbl, row_key, col_key, value, confidence, blank, seen, text, page,"
        " x0, y0, x1, y1, line FROM observed WHERE document_id = ?",
        (doc_id,),
    ).fetchall()
    out = {}
    for t, r, c, v, conf, blank, seen, text, page, x0, y0, x1, y1, line in rows:
        key = CellKey(t, r, c)
        bbox = (x0, y0, x1, y1) if x0 is not None else None
        number = Number(_num(v), conf, bool(blank))
        origin = Origin(page, bbox, line)
        out[key] = Observed(key, number, origin, text, Evidence(seen) if seen else None)
    return out


def _num(v: float | None) -> float | int | None:
    return int(v) if v is not None and float(v).is_integer() else v


def decisions(db: sqlite3.Connection, sha256: str) -> dict[CellKey, tuple[str, float | None]]:
    rows = db.execute(
        "SELECT tbl, row_key, col_key, kind, value FROM decisions WHERE sha256 = ?", (sha256,)
    ).fetchall()
    return {CellKey(t, r, c): (kind, v) for t, r, c, kind, v in rows}


def set_decision(
    db: sqlite3.Connection, sha256: str, key: CellKey, kind: str | None, value: float | None
) -> None:
    """Lay a decision over a cell (``kind`` None takes it away)."""
    db.execute(
        "DELETE FROM decisions WHERE sha256 = ? AND tbl = ? AND row_key = ? AND col_key = ?",
        (sha256, key.table, key.row, key.col),
    )
    if kind is not None:
        db.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?)",
            (sha256, key.table, key.row, key.col, kind, value),
        )


def log(
    db: sqlite3.Connection,
    sha256: str,
    key: CellKey,
    action: str,
    old: QueueCell,
    new_value: float | None,
    previous: tuple[str, float | None] | None,
    reviewer: str,
    at: str | None = None,
) -> int:
    """One row of the audit trail; its id. A table's decision gives all its rows one ``at``."""
    cur = db.execute(
        "INSERT INTO reviews (sha256, tbl, row_key, col_key, action, old_value, new_value,"
        " old_status, old_kind, old_decided, reviewer, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            sha256, key.table, key.row, key.col, action, old.value, new_value, old.status,
            previous[0] if previous else None, previous[1] if previous else None, reviewer,
            at or now(),
        ),
    )  # fmt: skip
    return int(cur.lastrowid or 0)


def log_identification(
    db: sqlite3.Connection, sha256: str, what: str, old: str | None, new: str, reviewer: str
) -> None:
    """The audit row of a template or layout chosen (``what``): "old→new" in its column."""
    db.execute(
        "INSERT INTO reviews (sha256, tbl, row_key, col_key, action, reviewer, at)"
        " VALUES (?, '', ?, ?, 'identify', ?, ?)",
        (sha256, what, f"{old}→{new}", reviewer, now()),
    )


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def reviews(db: sqlite3.Connection, sha256: str | None = None) -> list[Review]:
    rows = db.execute(
        "SELECT id, sha256, tbl, row_key, col_key, action, old_value, new_value, old_status,"
        " old_kind, old_decided, reviewer, at, undone FROM reviews"
        + (" WHERE sha256 = ?" if sha256 else "")
        + " ORDER BY id",
        (sha256,) if sha256 else (),
    ).fetchall()
    return [
        Review(r[0], r[1], CellKey(r[2], r[3], r[4]), r[5], r[6], r[7], r[8], r[9], r[10],
               r[11], r[12], bool(r[13]))
        for r in rows
    ]  # fmt: skip


def last_review(db: sqlite3.Connection, reviewer: str) -> Review | None:
    """The reviewer's latest decision not yet undone (undo takes decisions back in turn)."""
    mine = [
        r for r in reviews(db) if r.reviewer == reviewer and not r.undone and r.action in DECISIONS
    ]
    return mine[-1] if mine else None


def batch(db: sqlite3.Connection, last: Review) -> list[Review]:
    """The rows taken back with ``last``: itself, or its whole table's decision (one time)."""
    if last.action not in (ABSENT, BLANK):
        return [last]
    return [
        r
        for r in reviews(db, last.sha256)
        if (r.reviewer, r.action, r.at, r.key.table, r.undone)
        == (last.reviewer, last.action, last.at, last.key.table, False)
    ]


def mark_undone(db: sqlite3.Connection, review_id: int) -> None:
    db.execute("UPDATE reviews SET undone = 1 WHERE id = ?", (review_id,))


def apply(
    db: sqlite3.Connection,
    doc: DocInfo,
    cells: Sequence[Cell],
    checks: Sequence[Check],
    status: str,
) -> None:
    """A re-reconciliation's cells and checks in place of the old (cell ids kept; a cell whose
    value or status changed gets a new version)."""
    for c in cells:
        db.execute(
            "UPDATE cells SET version = version + (value IS NOT ? OR status != ?),"
            " value = ?, status = ?, confidence = ?, reason = ?, suggestion = ?"
            " WHERE document_id = ? AND tbl = ? AND row_key = ? AND col_key = ?",
            (
                c.value, str(c.status), c.value, str(c.status), c.confidence, c.reason,
                c.suggestion, doc.id, c.key.table, c.key.row, c.key.col,
            ),
        )  # fmt: skip
    db.execute("DELETE FROM checks WHERE document_id = ?", (doc.id,))
    db.executemany(
        "INSERT INTO checks (document_id, identity, holds, detail) VALUES (?, ?, ?, ?)",
        [(doc.id, ch.identity, int(ch.holds), ch.detail) for ch in checks],
    )
    db.execute("UPDATE documents SET status = ? WHERE id = ?", (status, doc.id))


def review_count(db: sqlite3.Connection) -> dict[str, int]:
    """Cells to review per document (sha256), over the whole store."""
    rows = db.execute(
        "SELECT d.sha256, count(*) FROM cells c JOIN documents d ON d.id = c.document_id"
        " WHERE c.status = ? GROUP BY d.sha256",
        (str(Status.REVIEW),),
    ).fetchall()
    return dict(rows)
