"""Ruled tables of a born-digital PDF page, rebuilt from its vector rules.

The drawn lines are merged into rules, crossing rules into grids (lines → cells, merged
where a rule is missing), the page's words are put into the cells, a row that a page
break split is rejoined, and each band of cells becomes a row (cells → rows).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.model.records import CellText, Origin, Row
from pipeline.read.geometry import Cell, Lattice, Seg, connected, lattice
from pipeline.read.words import ENUM, NUM, Word, join, lines_of

_TOL = 2.0  # points: rules this close are the same rule, and touch
_CLUSTER = 2.5  # points: rule positions this close are one grid line


@dataclass(frozen=True)
class TextCell(Cell):
    """A grid cell and the text of the words in it."""

    text: str = ""


@dataclass(frozen=True)
class Table(Lattice[TextCell]):
    """A ruled table on page ``page`` (from 1), in PDF points."""

    page: int


def _visible(color: Sequence[float] | None) -> bool:
    return color is not None and min(color, default=0.0) < 0.9


def _rules(drawings: list[dict]) -> tuple[list[Seg], list[Seg]]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) rules: lines and thin rectangles."""
    hs: list[Seg] = []
    vs: list[Seg] = []

    def seg(x0: float, y0: float, x1: float, y1: float) -> None:
        if abs(y1 - y0) <= 1.0 and abs(x1 - x0) > _TOL:
            hs.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) <= 1.0 and abs(y1 - y0) > _TOL:
            vs.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))

    for d in drawings:
        stroked = _visible(d.get("color")) and "s" in (d.get("type") or "")
        filled = _visible(d.get("fill")) and "f" in (d.get("type") or "")
        for it in d["items"]:
            if it[0] == "l" and stroked:
                seg(it[1].x, it[1].y, it[2].x, it[2].y)
            elif it[0] in ("re", "qu"):
                r = it[1] if it[0] == "re" else it[1].rect
                cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
                if r.height <= 3 and (stroked or filled):  # a rule drawn as a thin box
                    seg(r.x0, cy, r.x1, cy)
                elif r.width <= 3 and (stroked or filled):
                    seg(cx, r.y0, cx, r.y1)
                elif stroked:
                    for a, b in ((r.tl, r.tr), (r.bl, r.br), (r.tl, r.bl), (r.tr, r.br)):
                        seg(a.x, a.y, b.x, b.y)
    return _merge(hs), _merge(vs)


def _merge(segs: list[Seg]) -> list[Seg]:
    """Join collinear pieces of one rule (same position, touching extents)."""
    out: list[Seg] = []
    for pos, a, b in sorted(segs):
        for k in range(len(out) - 1, -1, -1):
            p, oa, ob = out[k]
            if pos - p > _TOL:
                out.append((pos, a, b))
                break
            if a <= ob + _TOL and b >= oa - _TOL:
                out[k] = (p, min(a, oa), max(b, ob))
                break
        else:
            out.append((pos, a, b))
    return out


def tables(page_no: int, drawings: list[dict]) -> list[Table]:
    """Grids of crossing rules: connected sets of rules that make two columns or more.

    A one-column "grid" (a frame around a paragraph, a page border) is no table.
    """
    hs, vs = _rules(drawings)
    grids = [lattice(gh, gv, _CLUSTER, _TOL, TextCell) for gh, gv in connected(hs, vs, _TOL)]
    return [Table(g.xs, g.ys, g.cells, page_no) for g in grids if len(g.xs) > 2 and len(g.ys) > 1]


def fill(table: Table, words: list[Word]) -> tuple[Table, list[Word]]:
    """The table with the words whose centre is inside it put into its cells; the others."""
    x0, y0, x1, y1 = table.bbox
    index: dict[tuple[int, int], int] = {}
    for k, cell in enumerate(table.cells):
        index.update(
            {(r, c): k for r in range(cell.r0, cell.r1 + 1) for c in range(cell.c0, cell.c1 + 1)}
        )
    inside: list[list[Word]] = [[] for _ in table.cells]
    rest = []
    for w in words:
        cx = (w.x0 + w.x1) / 2
        if not (x0 <= cx <= x1 and y0 <= w.cy <= y1):
            rest.append(w)
            continue
        r = min(max(bisect_right(table.ys, w.cy) - 1, 0), len(table.ys) - 2)
        c = min(max(bisect_right(table.xs, cx) - 1, 0), len(table.xs) - 2)
        inside[index[(r, c)]].append(w)
    cells = tuple(  # a blank cell without words is kept as it is
        _with_text(cell, _text(ws)) if ws or cell.text else cell
        for cell, ws in zip(table.cells, inside, strict=True)
    )
    return replace(table, cells=cells), rest


def _text(ws: list[Word]) -> str:
    """The words of a cell in reading order; most cells hold one word (a number)."""
    if len(ws) == 1:
        return ws[0].text
    return join(w.text for line in lines_of(ws) for w in line)


def _with_text(c: TextCell, text: str) -> TextCell:
    return TextCell(c.r0, c.r1, c.c0, c.c1, c.bbox, text)


def stitch(prev: Table, nxt: Table) -> tuple[Table, Table]:
    """Rejoin a table row that Word split across a page break: ``prev`` and ``nxt`` again,
    changed when they hold such a row.

    The first data band of ``nxt`` is a continuation when it holds no numbers, is blank
    where the last band of ``prev`` has numbers, and each of its texts sits in a cell
    shaped like one of ``prev``'s bottom cells and does not start a new numbered label.
    Its texts are then appended to those cells and the band is blanked.
    """
    bottom = [c for c in prev.cells if c.r1 == len(prev.ys) - 2]
    for i in range(len(nxt.ys) - 1):
        band = nxt.band(i)
        if any(NUM.match(c.text) for c in band):
            break
        if all(c.text for c in band):
            continue  # a (repeated) header band
        pairs: list[tuple[TextCell, TextCell]] = []
        for c in band:
            same = [
                b for b in bottom if abs(b.bbox[0] - c.bbox[0]) + abs(b.bbox[2] - c.bbox[2]) < 4
            ]
            twin = same[0] if same else None
            if twin is None or (c.text and ENUM.match(c.text)):
                return prev, nxt
            if c.text and NUM.match(twin.text):
                return prev, nxt  # text under a number is a header, not the rest of a split row
            pairs.append((c, twin))
        if not any(not c.text and NUM.match(t.text) for c, t in pairs):
            break
        joined: dict[TextCell, str] = {}  # cells are unique in a table: (r0, c0) differ
        for c, twin in pairs:
            joined[twin] = join([joined.get(twin, twin.text), c.text])
        moved = {c for c, _ in pairs}
        prev_cells = tuple(_with_text(t, joined[t]) if t in joined else t for t in prev.cells)
        nxt_cells = tuple(_with_text(c, "") if c in moved else c for c in nxt.cells)
        return replace(prev, cells=prev_cells), replace(nxt, cells=nxt_cells)
    return prev, nxt


def table_rows(table: Table) -> list[tuple[float, Row]]:
    out = []
    for i in range(len(table.ys) - 1):
        band = table.band(i)
        if not any(c.text for c in band):
            continue
        cells = tuple(  # a blank merged cell is the rest of a group label from a page before
            CellText(c.text, 1.0, Origin(table.page, c.bbox))
            for c in band
            if c.text or c.r1 == c.r0
        )
        x0, y0, x1, y1 = table.xs[0], table.ys[i], table.xs[-1], table.ys[i + 1]
        out.append(((y0 + y1) / 2, Row(cells, Origin(table.page, (x0, y0, x1, y1)))))
    return out
