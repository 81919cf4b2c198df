"""A second reader's opinion on the reconciled cells: where it reads a cell otherwise, review.

Runs after reconcile, on a born-digital PDF's cells (reader kind ``pdf``) and the cells a
second reader of ruled tables found on the same pages (pipeline/read/pdf/camelot_lattice.py).
A wrong read that happens to satisfy the identities would otherwise go out as ``ok``; two
readers that disagree on it send it to ``review`` with ``second_opinion_disagrees``.

Matching is by position: both sides give ``(page, bbox)`` in one convention (PDF points,
origin top left). The second reader's counterpart of a cell is the text of its cells that
lie mostly (≥ half their area) inside the cell's box, joined in reading order (a merged
cell may be several grid cells to it); failing that, the one cell that holds most of the
box. A cell with no counterpart (a borderless table, a table the second reader missed) is
not judged, nor is a cell already in review or one with no value or no box. Numbers are
compared as :func:`pipeline.model.numbers.parse_number` reads them; a blank counts as 0,
as in the contract. Cells are never mutated: changed ones are new records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.model.numbers import parse_number
from pipeline.model.records import BBox, Cell, CellText, Reason, Status

# a flagged cell's confidence is capped here: it is no longer a firm read
FLAGGED_CONFIDENCE = 0.5
_MOSTLY_INSIDE = 0.5


@dataclass(frozen=True)
class Disagreement:
    """One cell sent to review: what gongkai has and what the second reader read there."""

    cell: Cell
    text: str  # the second reader's text at the cell
    value: float | int | None  # that text as a number (None: not a number)


def _area(b: BBox) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _overlap(a: BBox, b: BBox) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def counterpart(box: BBox, others: Sequence[CellText]) -> str | None:
    """The second reader's text at ``box`` (same page), or None when it has no cell there."""
    inside = [
        o
        for o in others
        if o.origin.bbox is not None
        and _area(o.origin.bbox) > 0
        and _overlap(box, o.origin.bbox) >= _MOSTLY_INSIDE * _area(o.origin.bbox)
    ]
    if inside:
        inside.sort(key=lambda o: (o.origin.bbox or box)[1::-1])  # top to bottom, left to right
        return " ".join(o.text.strip() for o in inside if o.text.strip())
    best = max(
        (o for o in others if o.origin.bbox is not None),
        key=lambda o: _overlap(box, o.origin.bbox or box),
        default=None,
    )
    if best is None or best.origin.bbox is None:
        return None
    if _overlap(box, best.origin.bbox) < _MOSTLY_INSIDE * _area(box):
        return None
    return best.text.strip()


def _same(value: float | int, text: str) -> tuple[bool, float | int | None]:
    n = parse_number(text, signed=True)
    other = 0 if n.blank else n.value
    return other is not None and abs(other - value) < 1e-9, other


def disagreements(cells: Sequence[Cell], others: Sequence[CellText]) -> list[Disagreement]:
    """The judged cells where the second reader reads another number (or no number)."""
    by_page: dict[int, list[CellText]] = defaultdict(list)
    for o in others:
        if o.origin.page is not None:
            by_page[o.origin.page].append(o)
    out: list[Disagreement] = []
    for c in cells:
        page, box = c.origin.page, c.origin.bbox
        if c.status == Status.REVIEW or c.value is None or page is None or box is None:
            continue
        text = counterpart(box, by_page.get(page, ()))
        if text is None:
            continue
        same, other = _same(c.value, text)
        if not same:
            out.append(Disagreement(c, text, other))
    return out


def second_opinion(cells: Sequence[Cell], others: Sequence[CellText]) -> tuple[Cell, ...]:
    """``cells`` with those the second reader disagrees on sent to review (new records).

    The value stays as gongkai read it (a person decides); ``suggestion`` is left alone,
    as it is the identities' value, not the second reader's.
    """
    flagged = {id(d.cell) for d in disagreements(cells, others)}
    return tuple(
        replace(
            c,
            status=Status.REVIEW,
            reason=Reason.SECOND_OPINION_DISAGREES,
            confidence=min(c.confidence, FLAGGED_CONFIDENCE),
        )
        if id(c) in flagged
        else c
        for c in cells
    )
