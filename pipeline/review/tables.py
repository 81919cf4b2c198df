"""Whole-table decisions, for what is not one cell: a table the filing does not have
("absent in this filing") and a table printed blank ("all zeros").

Both are laid over every cell of the table in one transaction, each cell a decision and a row
of the audit trail like a cell decision, all under one action name and time so that undo
takes the whole table back at once. "Absent" leaves the cells ``corrected`` with value null
(never a silent 0) and the document's JSON says so in its ``warnings``; "blank" sets each cell
to 0 as a reviewer's value, then the document re-reconciles.
"""

from __future__ import annotations

from typing import Any

from pipeline.model.records import CellKey, Status
from pipeline.review.desk import _WRITE, Desk, DeskError, rewrite_json, settle
from pipeline.store import review as rs

TABLE_ACTIONS = (rs.ABSENT, rs.BLANK)


def decide_table(desk: Desk, sha256: str, table: str, action: str, reviewer: str) -> dict[str, Any]:
    """Mark ``table`` of the document absent or blank; refused when a cell of it was read
    firmly (``ok``): a table the filing prints is neither."""
    if action not in TABLE_ACTIONS:
        raise DeskError(f"unknown table action {action!r}: one of {', '.join(TABLE_ACTIONS)}")
    with _WRITE, desk._store() as st:
        db = st.connection
        db.execute("BEGIN IMMEDIATE")
        with db:
            doc = rs.document(db, sha256)
            if doc is None:
                raise DeskError(f"no document {sha256}", 404)
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM cells WHERE document_id = ? AND tbl = ? ORDER BY id",
                    (doc.id, table),
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
            kind, value = (rs.VALUE, 0.0) if action == rs.BLANK else (rs.ABSENT, None)
            at = rs.now()
            for c in cells:
                key = CellKey(c.table, c.row, c.col)
                rs.set_decision(db, sha256, key, kind, value)
                rs.log(db, sha256, key, action, c, value, previous.get(key), reviewer, at)
            settle(db, doc)
        written = rewrite_json(st, doc)
    return {"ok": True, "cells": len(cells), "written": written}
