"""Two rows in one band: a ruling line lost (a dropout, a white stroke, a faint copy).

A band of a ruled table holds one row. When the rule between two rows is gone the grid
gives one band, and read as one row its labels and values join (``11`` over ``66`` becomes
``1166``, or one row's values go with the other's label). The text lines in the band tell:
numbers stacked in one cell at the heights where numbers stand in other cells, and a label
beside each height. Then the band is cut between those heights and read as two rows; where
the lines do not part cleanly it stays one band, and the row-tie check
(:mod:`pipeline.recover.ties`) sends it to review.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

_NUMBER = re.compile(r"^[+\-−]?\d[\d,，]*(?:[.．]\d+)?$")


@dataclass(frozen=True)
class Piece:
    """One recognised text line of a cell: its vertical extent and text."""

    y0: float
    y1: float
    text: str

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def number(self) -> bool:
        return bool(_NUMBER.match(self.text.replace(" ", "")))


def cuts(cells: Sequence[Sequence[Piece]]) -> list[float]:
    """Where to cut a band into rows (empty: it is one row).

    ``cells``: the lines of each cell that lies in this band only (a merged cell spanning
    bands says nothing about this one). A cut needs: two or more heights of numbers, each
    seen in two cells or more; at least two cells holding a number at two heights (one
    cell's two numbers are the mark of two rows; numbers of different cells at different
    heights may be one row printed unevenly); a label line on each side; and no line of
    any cell across it.
    """
    numbers = [(k, p) for k, ps in enumerate(cells) for p in ps if p.number]
    if len(numbers) < 4:
        return []
    line_h = statistics.median(p.y1 - p.y0 for _, p in numbers)
    groups: list[list[tuple[int, Piece]]] = []
    for k, p in sorted(numbers, key=lambda kp: kp[1].cy):
        if groups and p.cy - groups[-1][-1][1].cy < 0.6 * line_h:
            groups[-1].append((k, p))
        else:
            groups.append([(k, p)])
    if len(groups) < 2 or any(len({k for k, _ in g}) < 2 for g in groups):
        return []
    heights_per_cell: dict[int, int] = {}
    for g in groups:
        for k in {k for k, _ in g}:
            heights_per_cell[k] = heights_per_cell.get(k, 0) + 1
    if sum(n >= 2 for n in heights_per_cell.values()) < 2:
        return []
    out: list[float] = []
    for upper, lower in zip(groups, groups[1:], strict=False):
        bottom = max(p.y1 for _, p in upper)
        top = min(p.y0 for _, p in lower)
        if top <= bottom:
            return []
        out.append((bottom + top) / 2)
    every = [p for ps in cells for p in ps]
    if any(p.y0 < c < p.y1 for p in every for c in out):
        return []
    labels = [p for p in every if not p.number]
    edges = [float("-inf"), *out, float("inf")]
    for lo, hi in zip(edges, edges[1:], strict=False):
        if not any(lo < p.cy < hi for p in labels):
            return []
    return out
