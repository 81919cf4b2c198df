"""Ruled tables of a born-digital PDF page, rebuilt from its vector rules.

The drawn lines are merged into rules, crossing rules into grids (lines → cells, merged
where a rule is missing), the page's words are put into the cells, a row that a page
break split is rejoined, and each band of cells becomes a row (cells → rows).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.model.records import BBox, CellText, Origin, Row
from pipeline.read.pdf.words import ENUM, NUM, Word, join, lines_of

_TOL = 2.0  # points: rules this close are the same rule, and touch
_Seg = tuple[float, float, float]  # a rule: (y, x0, x1) horizontal or (x, y0, y1) vertical


@dataclass
class _Cell:
    r0: int
    r1: int
    c0: int
    c1: int
    bbox: BBox
    words: list[Word] = field(default_factory=list)
    text: str = ""


@dataclass
class Table:
    page: int
    xs: list[float]
    ys: list[float]
    cells: list[_Cell]

    @property
    def bbox(self) -> BBox:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def band(self, i: int) -> list[_Cell]:
        return sorted((c for c in self.cells if c.r0 == i), key=lambda c: c.c0)


def _visible(color: Sequence[float] | None) -> bool:
    return color is not None and min(color, default=0.0) < 0.9


def _rules(drawings: list[dict]) -> tuple[list[_Seg], list[_Seg]]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) rules: lines and thin rectangles."""
    hs: list[_Seg] = []
    vs: list[_Seg] = []

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


def _merge(segs: list[_Seg]) -> list[_Seg]:
    """Join collinear pieces of one rule (same position, touching extents)."""
    out: list[_Seg] = []
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


def cluster(values: Iterable[float], tol: float = 2.5) -> list[float]:
    """Positions closer than ``tol`` are one position: their mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _covered(segs: list[_Seg], pos: float, a: float, b: float) -> bool:
    """Is there a rule at ``pos`` covering most of the span ``a..b``?"""
    need = 0.6 * (b - a)
    return any(abs(p - pos) <= _TOL and min(sb, b) - max(sa, a) >= need for p, sa, sb in segs)


def _find(parent: list[int], i: int) -> int:
    """Union-find root, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def tables(page_no: int, drawings: list[dict]) -> list[Table]:
    """Grids of crossing rules: connected sets of rules that make two columns or more.

    A one-column "grid" (a frame around a paragraph, a page border) is no table.
    """
    hs, vs = _rules(drawings)
    parent = list(range(len(hs) + len(vs)))
    for i, (y, hx0, hx1) in enumerate(hs):
        for j, (x, vy0, vy1) in enumerate(vs):
            if hx0 - _TOL <= x <= hx1 + _TOL and vy0 - _TOL <= y <= vy1 + _TOL:
                parent[_find(parent, i)] = _find(parent, len(hs) + j)
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = {}
    for i in range(len(hs) + len(vs)):
        g = groups.setdefault(_find(parent, i), ([], []))
        (g[0].append(hs[i]) if i < len(hs) else g[1].append(vs[i - len(hs)]))
    grids = [_grid(page_no, gh, gv) for gh, gv in groups.values() if len(gh) > 1 < len(gv)]
    return [t for t in grids if len(t.xs) > 2 and len(t.ys) > 1]


def _grid(page_no: int, hs: list[_Seg], vs: list[_Seg]) -> Table:
    """Atomic cells between all rule positions, merged where the rule between them is missing."""
    xs = cluster([v[0] for v in vs] + [min(h[1] for h in hs), max(h[2] for h in hs)])
    ys = cluster([h[0] for h in hs] + [min(v[1] for v in vs), max(v[2] for v in vs)])
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))
    for i in range(nr):
        for j in range(nc):
            if j + 1 < nc and not _covered(vs, xs[j + 1], ys[i], ys[i + 1]):
                parent[_find(parent, i * nc + j)] = _find(parent, i * nc + j + 1)
            if i + 1 < nr and not _covered(hs, ys[i + 1], xs[j], xs[j + 1]):
                parent[_find(parent, i * nc + j)] = _find(parent, (i + 1) * nc + j)
    spans: dict[int, list[int]] = {}
    for k in range(nr * nc):
        r, c = divmod(k, nc)
        s = spans.setdefault(_find(parent, k), [r, r, c, c])
        s[0], s[1], s[2], s[3] = min(s[0], r), max(s[1], r), min(s[2], c), max(s[3], c)
    cells = [
        _Cell(r0, r1, c0, c1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        for r0, r1, c0, c1 in spans.values()
    ]
    return Table(page_no, xs, ys, cells)


def fill(table: Table, words: list[Word]) -> list[Word]:
    """Put the words whose centre is inside the table into cells; return the others."""
    x0, y0, x1, y1 = table.bbox
    index = {}
    for cell in table.cells:
        index.update(
            {(r, c): cell for r in range(cell.r0, cell.r1 + 1) for c in range(cell.c0, cell.c1 + 1)}
        )
    rest = []
    for w in words:
        cx = (w.x0 + w.x1) / 2
        if not (x0 <= cx <= x1 and y0 <= w.cy <= y1):
            rest.append(w)
            continue
        r = min(max(bisect_right(table.ys, w.cy) - 1, 0), len(table.ys) - 2)
        c = min(max(bisect_right(table.xs, cx) - 1, 0), len(table.xs) - 2)
        index[(r, c)].words.append(w)
    for cell in table.cells:
        cell.text = join(w.text for line in lines_of(cell.words) for w in line)
    return rest


def stitch(prev: Table, nxt: Table) -> None:
    """Rejoin a table row that Word split across a page break.

    The first data band of ``nxt`` is a continuation when it holds no numbers, is blank
    where the last band of ``prev`` has numbers, and each of its texts sits in a cell
    shaped like one of ``prev``'s bottom cells and does not start a new numbered label.
    Its texts are then appended to those cells and the band is dropped.
    """
    bottom = [c for c in prev.cells if c.r1 == len(prev.ys) - 2]
    for i in range(len(nxt.ys) - 1):
        band = nxt.band(i)
        if any(NUM.match(c.text) for c in band):
            return
        if all(c.text for c in band):
            continue  # a (repeated) header band
        pairs: list[tuple[_Cell, _Cell]] = []
        for c in band:
            same = [
                b for b in bottom if abs(b.bbox[0] - c.bbox[0]) + abs(b.bbox[2] - c.bbox[2]) < 4
            ]
            twin = same[0] if same else None
            if twin is None or (c.text and ENUM.match(c.text)):
                return
            if c.text and NUM.match(twin.text):
                return  # text under a number is a header, not the rest of a split row
            pairs.append((c, twin))
        if not any(not c.text and NUM.match(t.text) for c, t in pairs):
            return
        for c, twin in pairs:
            twin.text = join([twin.text, c.text])
            c.text = ""
        return


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
