"""The reviewer's desk: the queue, a cell's context, decisions that re-reconcile at once.

One source of truth: the store. A decision is laid over the stored observations (what
reconciliation worked from when the file was extracted) and reconciliation re-runs for the
document, so one fix can settle other cells; the cells are updated in place and each input's
JSON (``files.output``) is rewritten from the store. A store from before the observations
were kept falls back to observations rebuilt from its cells (a settled cell as a firm read).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pipeline.model.records import (
    Cell,
    CellKey,
    Check,
    DocStatus,
    Evidence,
    Identification,
    Layout,
    Number,
    Observed,
    Origin,
    Reason,
    Status,
    Template,
)
from pipeline.model.taxonomy import (
    DECIMAL_COLS,
    SIGNED_COLS,
    TABLE_TITLES,
    Identity,
    identities,
    table_layout,
)
from pipeline.read.text import decode_lines
from pipeline.recover.reconcile import reconcile
from pipeline.recover.second_opinion import FLAGGED_CONFIDENCE
from pipeline.store import review as rs
from pipeline.store.export import cell_json
from pipeline.store.sqlite import Store

_WRITE = threading.Lock()  # one decision at a time in this process: check-then-write is atomic
ACTIONS = ("accept", "set", "printed", "illegible")
QUEUE_LIMIT = 200


class DeskError(Exception):
    """A request the desk refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_value(text: str, col: str) -> float | int:
    """A reviewer's value: a non-negative integer count, signed for ``change``, a decimal
    amount for ``amount``."""
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        raise DeskError(f"not a number: {text!r}") from None
    if not d.is_finite():
        raise DeskError(f"not a number: {text!r}")
    if col in DECIMAL_COLS:
        if d < 0:
            raise DeskError("an amount is not negative")
        return int(d) if d == d.to_integral_value() else float(d)
    if d != d.to_integral_value():
        raise DeskError(f"{col} is a whole number")
    if d < 0 and col not in SIGNED_COLS:
        raise DeskError(f"{col} is a count: not negative")
    return int(d)


@dataclass(frozen=True)
class Desk:
    db_path: Path

    def _store(self) -> Store:
        return Store(self.db_path)

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """The store, with this process's decisions one at a time."""
        with _WRITE, self._store() as st:
            yield st

    def queue(
        self,
        document: str | None = None,
        table: str | None = None,
        reason: str | None = None,
        limit: int = QUEUE_LIMIT,
    ) -> dict[str, Any]:
        """The queue's head (``limit`` items: a page of crops stays light), with the counts
        of all of it."""
        with self._store() as st:
            matching = rs.queue(st.connection, document, table, reason)
            items = matching[: max(1, limit)]
            filtered = document or table or reason
            every = rs.queue(st.connection) if filtered else matching
            docs: dict[str, dict[str, Any]] = {}
            for c in every:
                d = docs.setdefault(c.sha256, {"sha256": c.sha256, "source": c.source, "count": 0})
                d["count"] += 1
            infos = {s: rs.document(st.connection, s) for s in {c.sha256 for c in items}}
            values: dict[str, dict[CellKey, float | None]] = {}  # per document, read once
            return {
                "total": len(every),
                "matching": len(matching),
                "shown": len(items),
                "documents": list(docs.values()),
                "items": [self._item(st, c, infos[c.sha256], values) for c in items],
            }

    def _item(
        self,
        st: Store,
        c: rs.QueueCell,
        doc: rs.DocInfo | None,
        values: dict[str, dict[CellKey, float | None]],
    ) -> dict[str, Any]:
        row_label, col_label = c.row, c.col
        if doc and doc.template and doc.layout:
            rows, cols = table_layout(c.table, doc.template, doc.layout)
            row_label = dict(rows).get(c.row, c.row)
            col_label = dict(cols).get(c.col, c.col)
        return {
            "id": c.id,
            "sha256": c.sha256,
            "source": c.source,
            "table": c.table,
            "table_title": TABLE_TITLES.get(c.table, c.table),
            "row": c.row,
            "col": c.col,
            "row_label": row_label,
            "col_label": col_label,
            "value": c.value,
            "confidence": c.confidence,
            "reason": c.reason,
            "suggestion": c.suggestion,
            "page": c.page,
            "bbox": c.bbox,
            "line": c.line,
            "version": etag(c),
            "identities": self._identities(st, c, doc, values),
        }

    def _identities(
        self,
        st: Store,
        c: rs.QueueCell,
        doc: rs.DocInfo | None,
        cache: dict[str, dict[CellKey, float | None]],
    ) -> list[dict[str, Any]]:
        """The identities the cell is in that fail (or cannot be checked), with their numbers."""
        if doc is None or doc.layout is None:
            return []
        key = CellKey(c.table, c.row, c.col)
        if doc.sha256 not in cache:
            cache[doc.sha256] = {
                CellKey(s.table, s.row, s.col): s.value for s in st.cells(doc.sha256)
            }
        values = cache[doc.sha256]
        out = []
        for ident in _rules(doc.layout):
            if key not in ident.cells:
                continue
            lhs = [values.get(k) for k in ident.lhs]
            rhs = [values.get(k) for k in ident.rhs]
            known = None not in lhs and None not in rhs
            holds = known and abs(sum(lhs) - sum(rhs)) < 1e-6  # type: ignore[arg-type]
            if holds:
                continue
            out.append(
                {
                    "name": ident.name,
                    "lhs": [[k.row, k.col, v] for k, v in zip(ident.lhs, lhs, strict=True)],
                    "rhs": [[k.row, k.col, v] for k, v in zip(ident.rhs, rhs, strict=True)],
                    "lhs_sum": sum(lhs) if known else None,  # type: ignore[arg-type]
                    "rhs_sum": sum(rhs) if known else None,  # type: ignore[arg-type]
                }
            )
        return out

    def context(self, cell_id: int) -> tuple[rs.QueueCell, rs.DocInfo]:
        with self._store() as st:
            c = rs.cell(st.connection, cell_id)
            doc = rs.document(st.connection, c.sha256) if c else None
        if c is None or doc is None:
            raise DeskError(f"no cell {cell_id}", 404)
        return c, doc

    def source_lines(self, cell_id: int, around: int = 4) -> dict[str, Any]:
        """The lines of a text extraction around the cell's ``line``."""
        c, doc = self.context(cell_id)
        if c.line is None:
            raise DeskError("this cell has no line: it comes from a page", 404)
        path = source_path(doc)
        lines, _ = decode_lines(path.read_bytes())
        lo, hi = max(1, c.line - around), min(len(lines), c.line + around)
        return {"line": c.line, "lines": [[n, lines[n - 1]] for n in range(lo, hi + 1)]}

    def decide(
        self,
        cell_id: int,
        action: str,
        version: str,
        reviewer: str,
        value: str | None = None,
    ) -> dict[str, Any]:
        """A reviewer's decision on one cell, refused when the cell changed since ``version``
        (its :func:`etag` when the page was loaded)."""
        if action not in ACTIONS:
            raise DeskError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
        with self.writing() as st:
            with immediate(st) as db:
                c = rs.cell(db, cell_id)
                if c is None:
                    raise DeskError(f"no cell {cell_id}", 404)
                if etag(c) != version:
                    raise DeskError(
                        f"this cell changed since the page was loaded (now {c.value}, "
                        f"{c.status}): reload and look again",
                        409,
                    )
                key = CellKey(c.table, c.row, c.col)
                kind, new = _decision(action, c, value)
                doc = rs.document(db, c.sha256)
                assert doc is not None
                previous = rs.decisions(db, c.sha256).get(key)
                rs.set_decision(db, c.sha256, key, kind, new)
                rs.log(db, c.sha256, key, kind, c, new, previous, reviewer)
                settle(db, doc)
            written = rewrite_json(st, doc)
        return {"ok": True, "written": written}

    def undo(self, reviewer: str) -> dict[str, Any]:
        """Take back the reviewer's latest decision: the cell's decision before it returns.

        Refused when someone decided on that cell since: undo never overwrites another's work.
        """
        with self.writing() as st:
            with immediate(st) as db:
                last = rs.last_review(db, reviewer)
                if last is None:
                    raise DeskError("nothing to undo", 409)
                doc = rs.document(db, last.sha256)
                if doc is None:
                    raise DeskError("the document is no longer in the store", 409)
                group = rs.batch(db, last)
                keys = {r.key for r in group}
                later = [
                    r
                    for r in rs.reviews(db, last.sha256)
                    if r.id > last.id
                    and r.key in keys
                    and not r.undone
                    and r.action in rs.DECISIONS
                ]
                if later:
                    raise DeskError(
                        f"{later[-1].reviewer} decided on this cell since: not undone", 409
                    )
                for r in group:
                    c = rs.cell_by_key(db, doc.id, r.key)
                    rs.set_decision(db, r.sha256, r.key, r.old_kind, r.old_decided)
                    rs.mark_undone(db, r.id)
                    if c is not None:  # the undo is in the audit trail too
                        rs.log(db, r.sha256, r.key, "undo", c, r.old_decided, None, reviewer)
                settle(db, doc)
            written = rewrite_json(st, doc)
        return {"ok": True, "undone": last.id, "written": written}


@functools.cache
def _rules(layout: Layout) -> tuple[Identity, ...]:
    """The identities of a layout, built once: a queue page asks for them per item."""
    return tuple(identities(layout))


def etag(c: rs.QueueCell) -> str:
    """A cell's version as the page holds it: the document and key too, so that a cell id
    reused after a re-extraction is never taken for the cell the page showed."""
    return f"{c.sha256[:16]}:{c.table}.{c.row}.{c.col}:{c.version}"


def _decision(action: str, c: rs.QueueCell, value: str | None) -> tuple[str, float | None]:
    if action == "illegible":
        return rs.ILLEGIBLE, None
    if action == "accept":
        if c.suggestion is None:
            raise DeskError("this cell has no suggestion to accept")
        return rs.VALUE, c.suggestion
    if action == "printed":
        if c.value is None:
            raise DeskError("nothing was read here to keep: type the value")
        return rs.VALUE, c.value
    if value is None:
        raise DeskError("no value given")
    return rs.VALUE, parse_value(value, c.col)


def settle(db: Any, doc: rs.DocInfo) -> None:
    """Re-reconcile a document from its observations with the decisions laid over them."""
    if doc.template is None or doc.layout is None:
        return
    obs = rs.observations(db, doc.id) or _rebuilt(db, doc.id)
    decided = rs.decisions(db, doc.sha256)
    for key, (kind, v) in decided.items():
        origin = obs[key].origin if key in obs else Origin()
        if kind == rs.VALUE:
            obs[key] = Observed(key, Number(v, 1.0), origin, str(v), Evidence.READ)
        elif kind == rs.ABSENT:  # nothing to reconcile with: the cell is left out
            obs.pop(key, None)
        else:
            obs[key] = Observed(key, Number(None, 0.0), origin, "?", Evidence.UNREADABLE)
    ident = Identification(Template(doc.template), Layout(doc.layout), None, None)
    cells, checks = reconcile(ident, obs)
    # the second reader's doubts are not the identities' to settle: only a person's decision
    flagged = {
        CellKey(t, r, c)
        for t, r, c in db.execute(
            "SELECT tbl, row_key, col_key FROM cells WHERE document_id = ? AND reason = ?",
            (doc.id, str(Reason.SECOND_OPINION_DISAGREES)),
        )
    }
    out: list[Cell] = []
    for c in cells:
        d = decided.get(c.key)
        if d and d[0] == rs.VALUE:
            c = Cell(c.key, d[1], Status.CORRECTED, 1.0, c.origin)
        elif d and d[0] == rs.ABSENT:  # a reviewer's "not in this filing": null, said plainly
            c = Cell(c.key, None, Status.CORRECTED, 1.0, c.origin)
        elif c.key in flagged and d is None and c.status == Status.OK:
            c = replace(
                c,
                status=Status.REVIEW,
                reason=Reason.SECOND_OPINION_DISAGREES,
                confidence=min(c.confidence, FLAGGED_CONFIDENCE),
            )
        out.append(c)
    review = any(c.status == Status.REVIEW for c in out)
    status = DocStatus.PARTIAL if review or json.loads(doc.warnings) else DocStatus.OK
    rs.apply(db, doc, out, checks, str(status))


@contextmanager
def immediate(st: Store) -> Iterator[Any]:
    """One write transaction, taken before its checks: another server process on this
    store cannot slip a decision in between a check and its write."""
    db = st.connection
    db.execute("BEGIN IMMEDIATE")
    with db:
        yield db


def resettle(st: Store, sha256: str) -> bool:
    """After a re-extraction: the document's decisions laid over its new observations, and
    its JSON rewritten; False (nothing done) when no reviewer has decided anything in it."""
    db = st.connection
    doc = rs.document(db, sha256)
    if doc is None or not rs.decisions(db, sha256):
        return False
    with _WRITE, db:
        settle(db, doc)
    rewrite_json(st, doc)
    return True


def _rebuilt(db: Any, doc_id: int) -> dict[CellKey, Observed]:
    """Observations from the cells, for a store that did not keep them: a settled cell as a
    firm read, a review cell as read with its confidence, an inferred cell as lost."""
    rows = db.execute(
        "SELECT tbl, row_key, col_key, value, status, confidence, page, x0, y0, x1, y1, line"
        " FROM cells WHERE document_id = ?",
        (doc_id,),
    ).fetchall()
    out = {}
    for t, r, c, v, status, conf, page, x0, y0, x1, y1, line in rows:
        key = CellKey(t, r, c)
        bbox = (x0, y0, x1, y1) if x0 is not None else None
        origin = Origin(page, bbox, line)
        if v is None or status == Status.INFERRED:
            out[key] = Observed(key, Number(None, 0.0), origin, None, Evidence.LOST)
        else:
            firm = status in (Status.OK, Status.CORRECTED)
            out[key] = Observed(key, Number(v, 1.0 if firm else conf), origin, str(v))
    return out


def source_path(doc: rs.DocInfo) -> Path:
    """The first of the document's input files still on disk (its content unchanged is not
    checked: a crop of an edited file is still a crop of the place the cell was read)."""
    for _, resolved, _ in doc.files:
        p = Path(resolved)
        if p.is_file():
            return p
    named = ", ".join(r for _, r, _ in doc.files) or doc.source
    raise DeskError(f"the source file is missing or was moved: {named}", 404)


def rewrite_json(st: Store, doc: rs.DocInfo) -> list[str]:
    """Each input's JSON with the document's cells, checks and status as the store has them."""
    db = st.connection
    status = db.execute("SELECT status FROM documents WHERE id = ?", (doc.id,)).fetchone()[0]
    cells = [
        Cell(CellKey(s.table, s.row, s.col), _int(s.value), Status(s.status), s.confidence,
             Origin(s.page, s.bbox, s.line), s.reason, _int(s.suggestion))  # type: ignore[arg-type]
        for s in st.cells(doc.sha256)
    ]  # fmt: skip
    checks = [
        Check(i, bool(h), (), d)
        for i, h, d in db.execute(
            "SELECT identity, holds, detail FROM checks WHERE document_id = ? ORDER BY id",
            (doc.id,),
        )
    ]
    written = []
    for _, _, output in doc.files:
        if output is None or not Path(output).is_file():
            continue
        path = Path(output)
        data = json.loads(path.read_text(encoding="utf-8"))
        data["status"] = status
        data["template"], data["applications_layout"] = doc.template, doc.layout
        data.pop("warnings", None)
        if said := warnings(db, doc):
            data["warnings"] = said
        data["cells"] = [cell_json(c) for c in cells]
        data["checks"] = [
            {"identity": c.identity, "holds": c.holds, **({"detail": c.detail} if c.detail else {})}
            for c in checks
        ]
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
        written.append(str(path))
    return written


def warnings(db: Any, doc: rs.DocInfo) -> list[str]:
    """The document's warnings, and a line per table a reviewer marked absent."""
    absent = sorted({k.table for k, (kind, _) in rs.decisions(db, doc.sha256).items()
                     if kind == rs.ABSENT})  # fmt: skip
    out = list(json.loads(doc.warnings))
    return out + [f"{t} absent in this filing (a reviewer's decision)" for t in absent]


def _int(v: float | None) -> float | int | None:
    return int(v) if v is not None and float(v).is_integer() else v
