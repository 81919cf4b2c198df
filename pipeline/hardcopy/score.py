"""Grade a result against its truth the way the devset's score.py does, in-process.

Kept in the package (score.py lives outside it) so ``bench --variants`` works anywhere; a
test holds the two to the same counts. A cell is right when its value equals the truth
(any status); wrong with status ``review`` is flagged; wrong otherwise, or missing, is silent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.model.records import DocResult, Status
from pipeline.model.taxonomy import ACTIVE_ROWS, APP_COL_KEYS, REVIEW_COLS, application_rows

Key = tuple[str, str, str]


def doc_name(path: Path) -> str:
    """The document a file belongs to: its name up to the first dot (as score.py reads it)."""
    return path.name.split(".")[0]


def truth_for(path: Path, truth_dir: Path | None = None) -> dict[str, Any] | None:
    """The truth of a file: ``X.truth.json`` beside ``X.pdf`` (the samples), else
    ``truth_dir/<doc>.json`` (the devset), else None."""
    beside = path.with_name(path.name.removesuffix(path.suffix) + ".truth.json")
    for p in (beside, truth_dir / f"{doc_name(path)}.json" if truth_dir else None):
        if p is not None and p.is_file():
            truth: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
            return truth
    return None


def flat_cells(truth: dict[str, Any]) -> dict[Key, float]:
    """(table, row, col) → value for a truth document; rows it omits are zeros."""
    out: dict[Key, float] = {}
    template = truth["template"]
    for spec in application_rows(truth.get("applications_layout", template)):
        vals = truth["applications"].get(spec.key, [0] * 7)
        out.update(
            {("applications", spec.key, c): v for c, v in zip(APP_COL_KEYS, vals, strict=False)}
        )
    for spec in ACTIVE_ROWS[template]:
        vals = truth["active_disclosure"].get(spec.key, [0] * len(spec.cols))
        out.update(
            {("active_disclosure", spec.key, c): v for c, v in zip(spec.cols, vals, strict=False)}
        )
    rev = truth["review_litigation"]
    out.update(
        {("review_litigation", "counts", c): v for c, v in zip(REVIEW_COLS, rev, strict=False)}
    )
    return out


def same_value(a: object, b: object) -> bool:
    """Two cell values equal as the devset's score.py compares them (None equals nothing)."""
    if a is None or b is None:
        return False
    try:
        return abs(float(a) - float(b)) < 1e-6  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Wrong:
    """A silent cell: wrong (or missing) and not sent to review."""

    table: str
    row: str
    col: str
    truth: float
    value: float | None
    status: str  # "missing" when the cell is not in the output
    page: int | None = None
    bbox: tuple[float, ...] | None = None


@dataclass
class Score:
    cells: int = 0
    correct: int = 0
    flagged: int = 0
    silent: int = 0
    missing: int = 0
    review_cells: int = 0
    template_wrong: int = 0
    errors: list[Wrong] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for k in ("cells", "correct", "flagged", "silent", "missing", "review_cells"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.template_wrong += other.template_wrong
        self.errors += other.errors


def score(result: DocResult, truth: dict[str, Any]) -> Score:
    """One result against its truth (score.py's rules, cell by cell)."""
    s = Score()
    got = {(c.key.table, c.key.row, c.key.col): c for c in result.cells}
    ident = result.identification
    if ident is None or str(ident.template) != truth["template"]:
        s.template_wrong = 1
    for key, val in flat_cells(truth).items():
        s.cells += 1
        c = got.get(key)
        if c is None:
            s.missing += 1
            s.silent += 1
            s.errors.append(Wrong(*key, val, None, "missing"))
            continue
        if c.status == Status.REVIEW:
            s.review_cells += 1
        if same_value(c.value, val):
            s.correct += 1
        elif c.status == Status.REVIEW:
            s.flagged += 1
        else:
            s.silent += 1
            bbox = tuple(c.origin.bbox) if c.origin.bbox else None
            s.errors.append(Wrong(*key, val, c.value, str(c.status), c.origin.page, bbox))
    return s
