"""Decisions on what is not one cell: a table the filing does not have ("absent in this
filing"), a table printed blank ("all zeros"), and the template or （六） layout.

Both are laid over every cell of the table in one transaction, each cell a decision and a row
of the audit trail like a cell decision, all under one action name and time so that undo
takes the whole table back at once. "Absent" leaves the cells ``corrected`` with value null
(never a silent 0) and the document's JSON says so in its ``warnings``; "blank" sets each cell
to 0 as a reviewer's value, then the document re-reconciles.

A template or layout a reviewer confirms or switches re-runs the whole extraction of the
source with them forced (``process(template=, layout=)``): the cells are matched again, the
cell decisions are laid over the new reading, and the choice is kept per document content
(``identifications``) so that a later ``gongkai extract`` forces it too. Not undone by undo:
choose again to go back.
"""

from __future__ import annotations

from typing import Any

from pipeline.model.records import CellKey, DocStatus, Layout, Status, Template
from pipeline.review.desk import (
    Desk,
    DeskError,
    immediate,
    rewrite_json,
    rewrite_others,
    settle,
    source_path,
)
from pipeline.run import process
from pipeline.store import review as rs
from pipeline.store.review import q

TABLE_ACTIONS = (rs.ABSENT, rs.BLANK)


def decide_table(desk: Desk, sha256: str, table: str, action: str, reviewer: str) -> dict[str, Any]:
    """Mark ``table`` of the document absent or blank; refused when a cell of it was read
    firmly (``ok``): a table the filing prints is neither; and when a cell of it has a
    reviewer's decision already: a whole-table action never overwrites one (undo it first)."""
    if action not in TABLE_ACTIONS:
        raise DeskError(f"unknown table action {action!r}: one of {', '.join(TABLE_ACTIONS)}")
    with desk.writing() as st:
        with immediate(st) as db:
            doc = rs.document(db, sha256)
            if doc is None:
                raise DeskError(f"no document {sha256}", 404)
            ids = [
                r[0]
                for r in db.execute(
                    q("SELECT id FROM cells WHERE document_id = :doc AND tbl = :tbl ORDER BY id"),
                    {"doc": doc.id, "tbl": table},
                )
            ]
            cells = [c for c in (rs.cell(db, i) for i in ids) if c is not None]
            if not cells:
                raise DeskError(f"the document has no table {table!r}", 404)
            read = [c for c in cells if c.status == Status.OK]
            if read:
                c = read[0]
                raise DeskError(
                    f"{len(read)} cells of {table} were read from the filing "
                    f"({c.row}/{c.col} = {c.value}): decide them one by one",
                    409,
                )
            previous = rs.decisions(db, sha256)
            if decided := [k for k in previous if k.table == table]:
                raise DeskError(
                    f"{len(decided)} cells of {table} are decided already "
                    f"({decided[0].row}/{decided[0].col}): undo them first",
                    409,
                )
            kind, value = (rs.VALUE, 0) if action == rs.BLANK else (rs.ABSENT, None)
            at = rs.now()
            for c in cells:
                key = CellKey(c.table, c.row, c.col)
                rs.set_decision(db, sha256, key, kind, value)
                rs.log(db, sha256, key, action, c, value, previous.get(key), reviewer, at)
            others = settle(db, doc)
        written = rewrite_json(st, doc) + rewrite_others(st, others)
    return {"ok": True, "cells": len(cells), "written": written}


def reidentify(
    desk: Desk, sha256: str, template: str, layout: str, reviewer: str
) -> dict[str, Any]:
    """Extract the document again with ``template`` and ``layout`` forced, keeping the
    reviewers' cell decisions; refused when the source's content changed since."""
    try:
        t, lay = Template(template), Layout(layout)
    except ValueError:
        raise DeskError(f"template and layout are each one of {', '.join(Template)}") from None
    with desk._store() as st, st.read() as db:
        doc = rs.document(db, sha256)
    if doc is None:
        raise DeskError(f"no document {sha256}", 404)
    r = process(source_path(doc), doc.source, template=t, layout=lay)  # slow: outside the lock
    if r.status == DocStatus.FAILED:
        raise DeskError(f"cannot extract it so: {r.error.message if r.error else r.status}", 422)
    if r.sha256 != sha256:
        raise DeskError("the source file changed since it was extracted: extract it again", 409)
    with desk.writing() as st:
        others: set[str] = set()
        for _, resolved, output in doc.files:
            others |= st.save(r, resolved, output)
        with immediate(st) as db:
            rs.set_identification(db, sha256, t, lay, reviewer)
            rs.log_identification(db, sha256, "template", doc.template, t, reviewer)
            rs.log_identification(db, sha256, "layout", doc.layout, lay, reviewer)
            new = rs.document(db, sha256)
            assert new is not None
            others |= settle(db, new)
        written = rewrite_json(st, new) + rewrite_others(st, others)
    return {"ok": True, "template": t, "layout": lay, "written": written}
