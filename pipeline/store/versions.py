"""Versions of an input file, and a reviewer's corrections carried to a new version.

An input file is its resolved path; each content (sha256) seen there is a version, the newest
current, the older kept as history. When a new version comes, each value a reviewer decided
on the previous version's document is looked at again: the new file reads the cell as the old
one did → the decision is carried (a decision row for the new content: the desk's resettle
lays it over the new reading); it reads the corrected value → nothing to do; it reads
something else → the cell goes to review with the old correction as its suggestion.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from pipeline.model.records import DocResult
from pipeline.store.review import VALUE
from pipeline.store.schema import decisions, documents, files, from_db, observed, to_db

Key = tuple[str, str, str]
Carried = dict[Key, tuple[Literal["carried", "review"], int | Decimal | None]]


def record(
    db: Connection,
    r: DocResult,
    key: str,
    output: str | None,
    pipeline_version: str | None,
    now: str,
) -> str | None:
    """Record one run of the file ``key``; the sha256 of the version it replaces, if new."""
    sha = r.sha256 or None
    values = {
        "path": r.source,
        "sha256": sha,
        "status": str(r.status),
        "error_stage": r.error.stage if r.error else None,
        "error_message": r.error.message if r.error else None,
        "pipeline_version": pipeline_version,
        "processed_at": now,
    }
    cur = db.execute(
        select(files.c.id, files.c.sha256, files.c.output).where(
            files.c.resolved == key, files.c.is_current
        )
    ).first()
    previous = None
    if cur is not None and cur.sha256 == sha:
        db.execute(
            update(files)
            .where(files.c.id == cur.id)
            .values(**values, output=output if output is not None else cur.output)
        )
    else:
        if cur is not None:
            db.execute(update(files).where(files.c.id == cur.id).values(is_current=False))
            previous = cur.sha256
        n = db.execute(select(func.max(files.c.version)).where(files.c.resolved == key)).scalar()
        kept = cur.output if cur is not None else None
        db.execute(
            insert(files).values(
                **values,
                resolved=key,
                version=(n or 0) + 1,
                is_current=True,
                output=output if output is not None else kept,
            )
        )
    if output is not None:  # an output file belongs to one input
        db.execute(
            update(files)
            .where(files.c.output == output, files.c.resolved != key)
            .values(output=None)
        )
    return previous


def carry(db: Connection, old_sha: str, r: DocResult) -> Carried:
    """The previous version's value decisions, looked at against the new reading ``r``:
    carried ones get a decision row for the new content; the others go to review."""
    decided = db.execute(
        select(decisions.c.tbl, decisions.c.row_key, decisions.c.col_key, decisions.c.value).where(
            decisions.c.sha256 == old_sha, decisions.c.kind == VALUE
        )
    ).all()
    if not decided or not r.sha256 or old_sha == r.sha256:
        return {}
    old_reads = {
        (t, rk, c): from_db((t, rk, c), v)
        for t, rk, c, v in db.execute(
            select(observed.c.tbl, observed.c.row_key, observed.c.col_key, observed.c.value)
            .join(documents, documents.c.id == observed.c.document_id)
            .where(documents.c.sha256 == old_sha)
        )
    }
    new_reads: dict[Key, int | Decimal | None] = {}
    for o in r.observed:
        k = (o.key.table, o.key.row, o.key.col)
        new_reads[k] = to_db(k, o.number.value)
    mine = {
        (t, rk, c)
        for t, rk, c in db.execute(
            select(decisions.c.tbl, decisions.c.row_key, decisions.c.col_key).where(
                decisions.c.sha256 == r.sha256
            )
        )
    }
    out: Carried = {}
    for t, rk, c, raw in decided:
        k = (t, rk, c)
        v = from_db(k, raw)
        if k in mine:  # the new content has its own decision: it stands
            continue
        if new_reads.get(k) == old_reads.get(k):
            db.execute(
                insert(decisions).values(
                    sha256=r.sha256, tbl=t, row_key=rk, col_key=c, kind=VALUE, value=v
                )
            )
            out[k] = ("carried", v)
        elif new_reads.get(k) != v:
            out[k] = ("review", v)
    return out


def current(db: Connection, resolved: str, sha256: str, pipeline_version: str) -> bool:
    row = db.execute(
        select(files.c.id).where(
            and_(
                files.c.resolved == resolved,
                files.c.is_current,
                files.c.sha256 == sha256,
                files.c.pipeline_version == pipeline_version,
            )
        )
    ).first()
    return row is not None
