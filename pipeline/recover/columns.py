"""A row's value cells → the table's columns: by count where that is unambiguous, by
x position under the columns' centres (from full rows or the header words) otherwise.

A value placed by count alone where the row lost cells is marked ``guessed``: a shift of
every row would satisfy the identities, so they cannot vouch for its column.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.model.numbers import is_blank, looks_numeric
from pipeline.model.records import CellText, Row
from pipeline.recover.identify import norm
from pipeline.recover.rows import TableRow


@dataclass(frozen=True)
class Slot:
    """A value cell placed in a column; ``lost`` when padding put it there."""

    cell: CellText | None
    lost: bool = False
    guessed: bool = False  # placed by count alone, with cells lost: its column is a guess


def place(values: Sequence[CellText], n: int, centers: Sequence[float] | None) -> list[list[Slot]]:
    """Candidate placements of a row's value cells into ``n`` columns.

    More than one candidate means the row has extra cells and the choice is left to
    the identities.
    """
    filled = [v for v in values if not is_blank(v.text)]
    if len(filled) == n:
        return [[Slot(v) for v in filled]]
    slots = list(values)
    while len(slots) > n and is_blank(slots[-1].text):  # extra empty trailing columns
        slots.pop()
    if len(slots) == n:
        return [[Slot(v) for v in slots]]
    if centers and all(v.origin.bbox for v in filled):
        by_x = _place_by_x(values, centers)
        if by_x is not None:
            return [by_x]
    if len(slots) < n:
        pad = [Slot(None, lost=True)] * (n - len(slots))
        return [pad + [Slot(v, guessed=True) for v in slots]]
    if len(filled) > n:
        cands = [[Slot(v) for v in filled[k : k + n]] for k in range(len(filled) - n + 1)]
        return cands
    return [[Slot(v) for v in slots[-n:]]]


def center(c: CellText) -> float:
    assert c.origin.bbox is not None
    return (c.origin.bbox[0] + c.origin.bbox[2]) / 2


def _place_by_x(values: Sequence[CellText], centers: Sequence[float]) -> list[Slot] | None:
    """Each value under its column; a column nothing stands under is a printed blank."""
    out: list[Slot] = [Slot(None)] * len(centers)
    spacing = min((b - a for a, b in zip(centers, centers[1:], strict=False)), default=50.0)
    for v in sorted(values, key=lambda c: is_blank(c.text)):  # numbers first, then blanks
        if v.origin.bbox is None:
            continue
        dists = [abs(center(v) - c) for c in centers]
        k = dists.index(min(dists))
        if is_blank(v.text):
            if out[k].cell is None and dists[k] <= spacing * 0.5:
                out[k] = Slot(v)  # keeps the blank cell's own box
            continue
        if dists[k] > spacing * 0.5 or out[k].cell is not None:
            return None
        out[k] = Slot(v)
    return out


def column_centers(rows: Sequence[TableRow], n: int) -> list[float] | None:
    """x-centres of the value columns, from rows that fill every column."""
    full = [
        [center(v) for v in r.values if not is_blank(v.text)]
        for r in rows
        if r.filled == n and all(v.origin.bbox for v in r.values if not is_blank(v.text))
    ]
    full = [xs for xs in full if len(xs) == n]
    if not full:
        return None
    return [statistics.median(xs[k] for xs in full) for k in range(n)]


_MIN_CHAR_WIDTH = 4.0  # points: no legible printed character is narrower


def _word_centers(cell: CellText, heads: Sequence[str]) -> dict[str, float]:
    """Centres of the header words inside one cell, by their character positions.

    A header cell may hold several column titles run together (tight borderless tables);
    CJK characters are equally wide, so each title's share of the text is its share of the box.
    """
    t = norm(cell.text)
    if not cell.origin.bbox or not t:
        return {}
    at = sorted((t.find(h), h) for h in heads if h in t)
    if not at or len(t) > 8 * len(at):
        return {}
    x0, _, x1, _ = cell.origin.bbox
    if (x1 - x0) / len(t) < _MIN_CHAR_WIDTH:
        return {}  # the box is not the text's extent (text overflowing a narrow cell)
    out: dict[str, float] = {}
    for n, (i, h) in enumerate(at):
        end = at[n + 1][0] if n + 1 < len(at) else len(t)
        out[h] = x0 + (x1 - x0) * (i + end) / 2 / len(t)
    return out


def header_centers(rows: Sequence[Row], heads: Sequence[str]) -> list[float] | None:
    """x-centres of the value columns from their header cells (自然人 … 总计).

    Used where no row fills every column (filings that print 0 as blank, without rules).
    """
    found: dict[str, float] = {}
    for r in rows:
        if any(looks_numeric(c.text) and not is_blank(c.text) for c in r.cells):
            break  # the header is above the first row of numbers
        for c in r.cells:
            for h, x in _word_centers(c, heads).items():
                found.setdefault(h, x)
    xs = [found.get(h) for h in heads]
    if any(x is None for x in xs):
        return None
    centers = [x for x in xs if x is not None]
    return centers if all(a < b for a, b in zip(centers, centers[1:], strict=False)) else None
