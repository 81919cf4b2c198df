"""The cross-year identity in the store: an organ's ``carried_over`` in year N against its
``carried_forward`` in year N-1 (pipeline/model/crossyear.py says which names are one organ).

Each document holds its own side of each link: checks named ``cross_year.carried_over.<col>``
(against the previous year) and ``cross_year.carried_forward.<col>`` (against the next), and
its own cells sent to review where the years disagree. Which of the two numbers is wrong is
not known, so both filings' cells go to review, neither with a suggestion; a reviewer's
correction stands (the check still says the years disagree). A flag remembers the cell's
status before it, so that when the years agree again (a correction, a new version of a file)
the cell returns to what its own filing said.

:func:`link` is called wherever a document's cells are written: after a save (inside its
transaction) and after the desk re-settles a document; it re-checks the document and its
neighbouring years, and says which documents changed so that their JSON can be rewritten.
Only documents that are some file's current version take part.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, delete, exists, insert, select, update
from sqlalchemy.engine import Connection

from pipeline.model.crossyear import (
    CARRIED_FORWARD,
    CARRIED_OVER,
    IDENTITY_PREFIX,
    compare,
    organ_key,
)
from pipeline.model.records import DocStatus, Reason, Status
from pipeline.model.taxonomy import APPLICATIONS
from pipeline.store.schema import cells, checks, cross_year_flags, documents, files, to_record

_FLAGGABLE = (str(Status.OK), str(Status.INFERRED))
_LABEL = {CARRIED_OVER: "上年结转", CARRIED_FORWARD: "结转下年度"}


@dataclass(frozen=True)
class _Doc:
    id: int
    sha256: str
    source: str
    organ: str | None
    year: int | None
    status: str
    current: bool

    @property
    def key(self) -> str | None:
        return organ_key(self.organ) if self.year is not None else None


def link(db: Connection, sha256: str) -> set[str]:
    """Re-check the cross-year identity of this document and of its neighbouring years;
    the sha256s of the documents whose cells, checks or status changed."""
    me = _load(db, documents.c.sha256 == sha256)
    if not me:
        return set()
    affected = [me[0], *_neighbours(db, me[0])]
    changed = set()
    for d in affected:
        before = _state(db, d.id)
        _clear(db, d)
        if d.current:
            for n in _neighbours(db, d):
                _check(db, d, n)
        if _state(db, d.id) != before:
            changed.add(d.sha256)
    return changed


def forget(db: Connection, doc_id: int) -> None:
    """The document's cells and status were computed afresh (a re-settle): its flags say
    nothing of them any more; :func:`link` is to follow."""
    db.execute(delete(cross_year_flags).where(cross_year_flags.c.document_id == doc_id))


def _load(db: Connection, *where: object) -> list[_Doc]:
    current = exists().where(files.c.sha256 == documents.c.sha256, files.c.is_current)
    rows = db.execute(
        select(
            documents.c.id, documents.c.sha256, documents.c.source, documents.c.organ,
            documents.c.year, documents.c.status, current,
        ).where(*where).order_by(documents.c.id)  # type: ignore[arg-type]
    ).all()  # fmt: skip
    return [_Doc(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]


def _neighbours(db: Connection, d: _Doc) -> list[_Doc]:
    """The current documents of the same organ a year before or after ``d``."""
    if d.key is None or d.year is None:
        return []
    near = _load(db, documents.c.year.in_((d.year - 1, d.year + 1)), documents.c.id != d.id)
    return [n for n in near if n.current and n.key == d.key]


def _state(db: Connection, doc_id: int) -> tuple[object, ...]:
    mine = db.execute(
        select(checks.c.identity, checks.c.holds, checks.c.detail)
        .where(checks.c.document_id == doc_id, checks.c.identity.like(f"{IDENTITY_PREFIX}.%"))
        .order_by(checks.c.identity, checks.c.detail)
    ).all()
    flagged = db.execute(
        select(cross_year_flags.c.tbl, cross_year_flags.c.row_key, cross_year_flags.c.col_key)
        .where(cross_year_flags.c.document_id == doc_id)
        .order_by(cross_year_flags.c.row_key, cross_year_flags.c.col_key)
    ).all()
    status = db.execute(select(documents.c.status).where(documents.c.id == doc_id)).scalar()
    return (tuple(mine), tuple(flagged), status)


def _clear(db: Connection, d: _Doc) -> None:
    """Take back this document's cross-year checks and flags: a flagged cell still under the
    flag gets its own status back, and the document its status from before the first flag."""
    flags = db.execute(select(cross_year_flags).where(cross_year_flags.c.document_id == d.id)).all()
    for f in flags:
        db.execute(
            update(cells)
            .where(
                cells.c.document_id == d.id,
                cells.c.tbl == f.tbl,
                cells.c.row_key == f.row_key,
                cells.c.col_key == f.col_key,
                cells.c.reason == str(Reason.CROSS_YEAR_MISMATCH),
            )
            .values(status=f.status, reason=f.reason, version=cells.c.version + 1)
        )
    if flags:
        db.execute(delete(cross_year_flags).where(cross_year_flags.c.document_id == d.id))
        _set_status(db, d.id, flags[0].doc_status)
    db.execute(
        delete(checks).where(
            checks.c.document_id == d.id, checks.c.identity.like(f"{IDENTITY_PREFIX}.%")
        )
    )


def _values(db: Connection, doc_id: int, row: str) -> dict[str, tuple[object, str]]:
    rows = db.execute(
        select(cells.c.col_key, cells.c.value, cells.c.status).where(
            cells.c.document_id == doc_id, cells.c.tbl == APPLICATIONS, cells.c.row_key == row
        )
    ).all()
    return {c: (v, s) for c, v, s in rows}


def _number(v: object) -> int | float | None:
    if v is None:
        return None
    return to_record(v if isinstance(v, int | Decimal) else Decimal(str(v)))


def _check(db: Connection, d: _Doc, n: _Doc) -> None:
    """``d``'s side of its link with ``n``: a check per column both have a number for, and
    ``d``'s cells flagged where they disagree."""
    assert d.year is not None and n.year is not None
    earlier = n.year < d.year
    mine, theirs = (CARRIED_OVER, CARRIED_FORWARD) if earlier else (CARRIED_FORWARD, CARRIED_OVER)
    own = _values(db, d.id, mine)
    other = _values(db, n.id, theirs)
    own_n = {c: _number(v) for c, (v, _) in own.items()}
    other_n = {c: _number(v) for c, (v, _) in other.items()}
    agree, differ = compare(other_n, own_n) if earlier else compare(own_n, other_n)
    where = f"{n.year} {_LABEL[theirs]}"
    rows = [
        {"document_id": d.id, "identity": f"{IDENTITY_PREFIX}.{mine}.{c}", "holds": 1,
         "detail": f"{where} {other_n[c]} = {own_n[c]} ({n.source})"}
        for c in agree
    ]  # fmt: skip
    flagged = False
    for m in differ:
        rows.append(
            {"document_id": d.id, "identity": f"{IDENTITY_PREFIX}.{mine}.{m.col}", "holds": 0,
             "detail": f"{where} {other_n[m.col]} ≠ {own_n[m.col]} ({n.source})"}
        )  # fmt: skip
        flagged |= _flag(db, d, mine, m.col, own[m.col][1])
    if rows:
        db.execute(insert(checks), rows)
    if flagged and _status(db, d.id) == DocStatus.OK:
        _set_status(db, d.id, str(DocStatus.PARTIAL))


def _flag(db: Connection, d: _Doc, row: str, col: str, status: str) -> bool:
    """Send one cell to review (unless a person or another doubt already holds it)."""
    if status not in _FLAGGABLE:
        return False
    key = and_(
        cells.c.document_id == d.id,
        cells.c.tbl == APPLICATIONS,
        cells.c.row_key == row,
        cells.c.col_key == col,
    )
    if db.execute(
        select(cross_year_flags.c.tbl).where(
            cross_year_flags.c.document_id == d.id,
            cross_year_flags.c.row_key == row,
            cross_year_flags.c.col_key == col,
        )
    ).first():
        return True  # flagged already by the other filing of that year
    reason = db.execute(select(cells.c.reason).where(key)).scalar()
    # the document's status before its first flag, whichever link set it
    doc_status = db.execute(
        select(cross_year_flags.c.doc_status).where(cross_year_flags.c.document_id == d.id)
    ).scalar() or _status(db, d.id)
    db.execute(
        insert(cross_year_flags).values(
            document_id=d.id, tbl=APPLICATIONS, row_key=row, col_key=col, status=status,
            reason=reason, doc_status=doc_status,
        )
    )  # fmt: skip
    db.execute(
        update(cells)
        .where(key)
        .values(
            status=str(Status.REVIEW),
            reason=str(Reason.CROSS_YEAR_MISMATCH),
            version=cells.c.version + 1,
        )
    )
    return True


def _status(db: Connection, doc_id: int) -> str:
    return str(db.execute(select(documents.c.status).where(documents.c.id == doc_id)).scalar())


def _set_status(db: Connection, doc_id: int, status: str) -> None:
    db.execute(update(documents).where(documents.c.id == doc_id).values(status=status))
