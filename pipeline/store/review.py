"""The reviewer's desk in the store: the queue, the observations reconciliation works from,
reviewers' decisions and their audit log.

A decision (a value set, or "illegible in the source") is kept per document content and cell
key, apart from the cells, so that a re-reconciliation (and a re-extraction) starts from the
observations with the decisions laid over them. Every decision is also a row of ``reviews``:
who, when, the value before and after. ``cells.version`` grows whenever a cell's value or
status changes, so an edit made on a stale page can be refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

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
from pipeline.store.schema import Exact, from_db, to_db, to_record

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
    value: int | Decimal | None
    confidence: float
    reason: str | None
    suggestion: int | Decimal | None
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
    old_value: int | Decimal | None
    new_value: int | Decimal | None
    old_status: str | None
    old_kind: str | None
    old_decided: int | Decimal | None
    reviewer: str
    at: str
    undone: bool


_CELL = (
    "SELECT c.id, d.sha256, d.source, c.tbl, c.row_key, c.col_key, c.value, c.confidence,"
    " c.reason, c.suggestion, c.page, c.x0, c.y0, c.x1, c.y1, c.line, c.version, c.status"
    " FROM cells c JOIN documents d ON d.id = c.document_id"
)


_CURRENT = "EXISTS (SELECT 1 FROM files f WHERE f.sha256 = d.sha256 AND f.is_current)"


def q(sql: str, *exact: str) -> TextClause:
    """A statement with named parameters, those in ``exact`` bound as exact values."""
    return text(sql).bindparams(*(bindparam(n, type_=Exact()) for n in exact))


def _queue_cell(r: Sequence[Any]) -> QueueCell:
    bbox = (r[11], r[12], r[13], r[14]) if r[11] is not None else None
    k = (r[3], r[4], r[5])
    return QueueCell(
        r[0], r[1], r[2], r[3], r[4], r[5], from_db(k, r[6]), r[7], r[8], from_db(k, r[9]),
        r[10], bbox, r[15], r[16], r[17],
    )  # fmt: skip


def cell(db: Connection, cell_id: int) -> QueueCell | None:
    row = db.execute(q(_CELL + " WHERE c.id = :id"), {"id": cell_id}).fetchone()
    return _queue_cell(row) if row else None


def _key(key: CellKey) -> dict[str, str]:
    return {"tbl": key.table, "row_key": key.row, "col_key": key.col}


def cell_by_key(db: Connection, doc_id: int, key: CellKey) -> QueueCell | None:
    row = db.execute(
        q(
            _CELL + " WHERE c.document_id = :doc AND c.tbl = :tbl AND c.row_key = :row_key"
            " AND c.col_key = :col_key"
        ),
        {"doc": doc_id, **_key(key)},
    ).fetchone()
    return _queue_cell(row) if row else None


def queue(
    db: Connection,
    document: str | None = None,
    table: str | None = None,
    reason: str | None = None,
) -> list[QueueCell]:
    """The cells to review, the fewest keystrokes first: documents with the fewest cells to
    review first (one doubtful cell finishes a document), within one a suggested value first.

    A cell a reviewer marked illegible that the identities could not settle stays ``review``
    in the output but leaves the queue: a person has looked. So does a document that is no
    file's current version any more (its file changed since): history, not work.
    """
    where, args = ["c.status = 'review'", _CURRENT], {}
    for name, clause, arg in (
        ("sha", "d.sha256 = :sha", document),
        ("tbl", "c.tbl = :tbl", table),
        ("reason", "c.reason = :reason", reason),
    ):
        if arg:
            where.append(clause)
            args[name] = arg
    rows = db.execute(
        q(
            _CELL + " JOIN (SELECT document_id, count(*) AS n FROM cells WHERE status = 'review'"
            " GROUP BY document_id) k ON k.document_id = d.id"
            " LEFT JOIN decisions x ON x.sha256 = d.sha256 AND x.tbl = c.tbl"
            " AND x.row_key = c.row_key AND x.col_key = c.col_key"
            " WHERE x.kind IS NULL AND " + " AND ".join(where) + " ORDER BY"
            " k.n, d.id, c.suggestion IS NULL, c.id"
        ),
        args,
    ).fetchall()
    return [_queue_cell(r) for r in rows]


def document(db: Connection, sha256: str) -> DocInfo | None:
    """The document and its input files (those whose current version it is)."""
    row = db.execute(
        q(
            "SELECT id, sha256, source, template, applications_layout, warnings FROM documents"
            " WHERE sha256 = :sha"
        ),
        {"sha": sha256},
    ).fetchone()
    if row is None:
        return None
    files = db.execute(
        q(
            "SELECT path, resolved, output FROM files WHERE sha256 = :sha AND is_current"
            " ORDER BY id"
        ),
        {"sha": sha256},
    ).fetchall()
    template = Template(row[3]) if row[3] else None
    layout = Layout(row[4]) if row[4] else None
    paths = tuple((str(p), str(r), o) for p, r, o in files)
    return DocInfo(row[0], row[1], row[2], template, layout, row[5], paths)


def identification(db: Connection, sha256: str) -> tuple[Template, Layout] | None:
    """The template and layout a reviewer chose for the document's content, if any."""
    row = db.execute(
        q("SELECT template, layout FROM identifications WHERE sha256 = :sha"), {"sha": sha256}
    ).fetchone()
    return (Template(row[0]), Layout(row[1])) if row else None


def set_identification(
    db: Connection, sha256: str, template: Template, layout: Layout, reviewer: str
) -> None:
    db.execute(q("DELETE FROM identifications WHERE sha256 = :sha"), {"sha": sha256})
    db.execute(
        q("INSERT INTO identifications VALUES (:sha, :template, :layout, :reviewer, :at)"),
        {"sha": sha256, "template": str(template), "layout": str(layout), "reviewer": reviewer,
         "at": now()},
    )  # fmt: skip


def observations(db: Connection, doc_id: int) -> dict[CellKey, Observed]:
    """What reconciliation worked from, as the records carry it (a whole number an int)."""
    rows = db.execute(
        q(
            "SELECT tbl, row_key, col_key, value, confidence, blank, seen, text, page,"
            " x0, y0, x1, y1, line FROM observed WHERE document_id = :doc"
        ),
        {"doc": doc_id},
    ).fetchall()
    out = {}
    for t, r, c, v, conf, blank, seen, text_, page, x0, y0, x1, y1, line in rows:
        key = CellKey(t, r, c)
        bbox = (x0, y0, x1, y1) if x0 is not None else None
        number = Number(to_record(from_db((t, r, c), v)), conf, bool(blank))
        origin = Origin(page, bbox, line)
        out[key] = Observed(key, number, origin, text_, Evidence(seen) if seen else None)
    return out


def decisions(db: Connection, sha256: str) -> dict[CellKey, tuple[str, int | Decimal | None]]:
    rows = db.execute(
        q("SELECT tbl, row_key, col_key, kind, value FROM decisions WHERE sha256 = :sha"),
        {"sha": sha256},
    ).fetchall()
    return {CellKey(t, r, c): (kind, from_db((t, r, c), v)) for t, r, c, kind, v in rows}


def set_decision(
    db: Connection,
    sha256: str,
    key: CellKey,
    kind: str | None,
    value: float | int | Decimal | None,
) -> None:
    """Lay a decision over a cell (``kind`` None takes it away)."""
    keys = {"sha": sha256, **_key(key)}
    db.execute(
        q(
            "DELETE FROM decisions WHERE sha256 = :sha AND tbl = :tbl AND row_key = :row_key"
            " AND col_key = :col_key"
        ),
        keys,
    )
    if kind is not None:
        db.execute(
            q(
                "INSERT INTO decisions (sha256, tbl, row_key, col_key, kind, value)"
                " VALUES (:sha, :tbl, :row_key, :col_key, :kind, :value)",
                "value",
            ),
            {**keys, "kind": kind, "value": to_db(_t(key), value)},
        )


def _t(key: CellKey) -> tuple[str, str, str]:
    return (key.table, key.row, key.col)


def log(
    db: Connection,
    sha256: str,
    key: CellKey,
    action: str,
    old: QueueCell,
    new_value: float | int | Decimal | None,
    previous: tuple[str, float | int | Decimal | None] | None,
    reviewer: str,
    at: str | None = None,
) -> int:
    """One row of the audit trail; its id. A table's decision gives all its rows one ``at``."""
    k = _t(key)
    row = db.execute(
        q(
            "INSERT INTO reviews (sha256, tbl, row_key, col_key, action, old_value, new_value,"
            " old_status, old_kind, old_decided, reviewer, at) VALUES (:sha, :tbl, :row_key,"
            " :col_key, :action, :old_value, :new_value, :old_status, :old_kind, :old_decided,"
            " :reviewer, :at) RETURNING id",
            "old_value", "new_value", "old_decided",
        ),
        {
            "sha": sha256, **_key(key), "action": action, "old_value": to_db(k, old.value),
            "new_value": to_db(k, new_value), "old_status": old.status,
            "old_kind": previous[0] if previous else None,
            "old_decided": to_db(k, previous[1]) if previous else None,
            "reviewer": reviewer, "at": at or now(),
        },
    ).fetchone()  # fmt: skip
    return int(row[0]) if row else 0


def log_identification(
    db: Connection, sha256: str, what: str, old: str | None, new: str, reviewer: str
) -> None:
    """The audit row of a template or layout chosen (``what``): "old→new" in its column."""
    db.execute(
        q(
            "INSERT INTO reviews (sha256, tbl, row_key, col_key, action, reviewer, at)"
            " VALUES (:sha, '', :what, :change, 'identify', :reviewer, :at)"
        ),
        {"sha": sha256, "what": what, "change": f"{old}→{new}", "reviewer": reviewer,
         "at": now()},
    )  # fmt: skip


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def reviews(db: Connection, sha256: str | None = None) -> list[Review]:
    rows = db.execute(
        q(
            "SELECT id, sha256, tbl, row_key, col_key, action, old_value, new_value, old_status,"
            " old_kind, old_decided, reviewer, at, undone FROM reviews"
            + (" WHERE sha256 = :sha" if sha256 else "")
            + " ORDER BY id"
        ),
        {"sha": sha256} if sha256 else {},
    ).fetchall()
    out = []
    for r in rows:
        k = (r[2], r[3], r[4])
        out.append(
            Review(r[0], r[1], CellKey(*k), r[5], _typed(k, r[6]), _typed(k, r[7]), r[8], r[9],
                   _typed(k, r[10]), r[11], r[12], bool(r[13]))
        )  # fmt: skip
    return out


def _typed(k: tuple[str, str, str], v: Any) -> int | Decimal | None:
    """An audit value typed; an identification's row ("template→2019") is no number."""
    return from_db(k, v) if k[0] else None


def last_review(db: Connection, reviewer: str) -> Review | None:
    """The reviewer's latest decision not yet undone (undo takes decisions back in turn)."""
    mine = [
        r for r in reviews(db) if r.reviewer == reviewer and not r.undone and r.action in DECISIONS
    ]
    return mine[-1] if mine else None


def batch(db: Connection, last: Review) -> list[Review]:
    """The rows taken back with ``last``: itself, or its whole table's decision (one time)."""
    if last.action not in (ABSENT, BLANK):
        return [last]
    return [
        r
        for r in reviews(db, last.sha256)
        if (r.reviewer, r.action, r.at, r.key.table, r.undone)
        == (last.reviewer, last.action, last.at, last.key.table, False)
    ]


def mark_undone(db: Connection, review_id: int) -> None:
    db.execute(q("UPDATE reviews SET undone = 1 WHERE id = :id"), {"id": review_id})


def apply(
    db: Connection,
    doc: DocInfo,
    cells: Sequence[Cell],
    checks: Sequence[Check],
    status: str,
) -> None:
    """A re-reconciliation's cells and checks in place of the old (cell ids kept; a cell whose
    value or status changed gets a new version)."""
    before = {
        (t, r, c): (from_db((t, r, c), v), s)
        for t, r, c, v, s in db.execute(
            q("SELECT tbl, row_key, col_key, value, status FROM cells WHERE document_id = :doc"),
            {"doc": doc.id},
        )
    }
    update = q(
        "UPDATE cells SET version = version + :bump, value = :value, status = :status,"
        " confidence = :confidence, reason = :reason, suggestion = :suggestion"
        " WHERE document_id = :doc AND tbl = :tbl AND row_key = :row_key AND col_key = :col_key",
        "value",
        "suggestion",
    )
    rows = []
    for c in cells:
        k = _t(c.key)
        value = to_db(k, c.value)
        if k not in before:
            continue
        rows.append(
            {
                "bump": int(before[k] != (value, str(c.status))), "value": value,
                "status": str(c.status), "confidence": c.confidence, "reason": c.reason,
                "suggestion": to_db(k, c.suggestion), "doc": doc.id, **_key(c.key),
            }
        )  # fmt: skip
    if rows:
        db.execute(update, rows)
    db.execute(q("DELETE FROM checks WHERE document_id = :doc"), {"doc": doc.id})
    if checks:
        db.execute(
            q(
                "INSERT INTO checks (document_id, identity, holds, detail)"
                " VALUES (:doc, :identity, :holds, :detail)"
            ),
            [
                {"doc": doc.id, "identity": ch.identity, "holds": int(ch.holds),
                 "detail": ch.detail}
                for ch in checks
            ],
        )  # fmt: skip
    db.execute(
        q("UPDATE documents SET status = :status WHERE id = :doc"),
        {"status": status, "doc": doc.id},
    )


def review_count(db: Connection) -> dict[str, int]:
    """Cells to review per document (sha256), over the whole store."""
    rows = db.execute(
        q(
            "SELECT d.sha256, count(*) FROM cells c JOIN documents d ON d.id = c.document_id"
            " WHERE c.status = :status GROUP BY d.sha256"
        ),
        {"status": str(Status.REVIEW)},
    ).fetchall()
    return {str(sha): int(n) for sha, n in rows}
