"""Ruled tables in a page image: rules by morphology → row and column bands → cells.

Long thin runs of ink survive an opening with a long line-shaped kernel; text does not.
Each surviving run is a rule segment; segments that cross at least two segments of the
other direction belong to a table (a stroke inside a cell touches no rule). Rules
positions give the bands; a missing rule between two atomic cells merges them, which
is how spans (merged labels, header groups) are found. Same grid model as the PDF
reader's (:mod:`pipeline.read.pdf.ruled`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from pipeline.read.pdf.ruled import cluster

Seg = tuple[float, float, float]  # position, start, end (pixels)


@dataclass
class GridCell:
    r0: int
    r1: int
    c0: int
    c1: int
    bbox: tuple[float, float, float, float]  # pixels in the prepared image
    text: str = ""
    confidence: float = 1.0


@dataclass
class Grid:
    xs: list[float]
    ys: list[float]
    cells: list[GridCell]
    rules: list[tuple[str, Seg]] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def band(self, i: int) -> list[GridCell]:
        """The cells that start in row band ``i``, left to right."""
        return sorted((c for c in self.cells if c.r0 == i), key=lambda c: c.c0)


def rule_masks(ink: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rule masks of a binary ink image."""
    bridge = max(3, round(dpi * 0.02))
    h_len = max(15, round(dpi * 0.3))  # ~22 pt: wider than any character stroke
    v_len = max(10, round(dpi * 0.12))  # ~9 pt: shorter than a row, checked by crossings
    h = cv2.morphologyEx(
        ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1))
    )
    h = cv2.morphologyEx(h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    v = cv2.morphologyEx(
        ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge))
    )
    v = cv2.morphologyEx(v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    return h, v


def _segments(mask: np.ndarray, horizontal: bool) -> list[Seg]:
    """Connected runs of a rule mask; the position is where most of the run lies.

    (A glyph touching a rule joins its component; a centroid would drift towards it.)
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out: list[Seg] = []
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        sub = labels[y : y + h, x : x + w] == i
        prof = sub.sum(axis=1 if horizontal else 0)
        idx = np.nonzero(prof >= 0.5 * prof.max())[0]
        pos = float(idx.mean())
        if horizontal:
            out.append((y + pos, float(x), float(x + w - 1)))
        else:
            out.append((x + pos, float(y), float(y + h - 1)))
    return out


def _crosses(h: Seg, v: Seg, tol: float) -> bool:
    y, hx0, hx1 = h
    x, vy0, vy1 = v
    return hx0 - tol <= x <= hx1 + tol and vy0 - tol <= y <= vy1 + tol


def _is_rule(v: Seg, hs: list[Seg], text: np.ndarray, dpi: float) -> bool:
    """A vertical run is a rule when it joins two horizontal rules with clear paper beside it.

    Rows can be as tight as the characters, so a glyph's vertical stroke may touch the
    rules above and below; but a stroke has the rest of its glyph next to it, a rule has
    the cell's padding. Half the bands it spans must be clear on both sides, unless
    horizontal rules end on it (then text may be set tight against it).
    """
    if len(hs) < 2:
        return False
    ends = sum(min(abs(h[1] - v[0]), abs(h[2] - v[0])) <= dpi * 0.03 for h in hs)
    if ends >= 2:
        return True  # rules ending on it (T-junctions): the edge of merged cells
    x = round(v[0])
    near, far = max(2, round(dpi * 0.015)), max(6, round(dpi * 0.05))
    ys = sorted(h[0] for h in hs)
    clear = total = 0
    w = text.shape[1]
    for a, b in zip(ys, ys[1:], strict=False):
        y0, y1 = round(a + near + 1), round(b - near - 1)
        if y1 - y0 < 3:
            continue
        total += 1
        left = text[y0:y1, max(x - far, 0) : max(x - near, 0)]
        right = text[y0:y1, min(x + near + 1, w) : min(x + far + 1, w)]
        lim = 0.015 * 255 * (y1 - y0) * (far - near)
        if float(left.sum()) <= lim and float(right.sum()) <= lim:
            clear += 1
    return total > 0 and clear * 2 >= total


def _covered(segs: list[Seg], pos: float, a: float, b: float, tol: float) -> bool:
    """Is there a rule at ``pos`` covering most of ``a..b``?"""
    need = 0.6 * (b - a)
    return any(abs(p - pos) <= tol and min(sb, b) - max(sa, a) >= need for p, sa, sb in segs)


def find_grids(
    ink: np.ndarray, dpi: float, masks: tuple[np.ndarray, np.ndarray] | None = None
) -> list[Grid]:
    """The ruled tables on a page, top to bottom."""
    hm, vm = masks if masks is not None else rule_masks(ink, dpi)
    hs, vs = _segments(hm, True), _segments(vm, False)
    tol = max(3.0, dpi * 0.03)
    text = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(hm, np.ones((3, 1), np.uint8))))
    # keep segments crossing >= 2 of the other kind, twice (a kept one may lose partners)
    for _ in range(2):
        hs2 = [h for h in hs if sum(_crosses(h, v, tol) for v in vs) >= 2]
        vs2 = [v for v in vs if _is_rule(v, [h for h in hs2 if _crosses(h, v, tol)], text, dpi)]
        hs, vs = hs2, vs2
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if _crosses(h, v, tol):
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list[Seg], list[Seg]]] = {}
    for i in range(len(hs) + len(vs)):
        g = groups.setdefault(find(i), ([], []))
        if i < len(hs):
            g[0].append(hs[i])
        else:
            g[1].append(vs[i - len(hs)])
    grids = [_grid(gh, gv, tol) for gh, gv in groups.values() if len(gh) >= 2 and len(gv) >= 2]
    grids = [g for g in grids if len(g.xs) >= 2 and len(g.ys) >= 2]
    return sorted(grids, key=lambda g: g.ys[0])


def _grid(hs: list[Seg], vs: list[Seg], tol: float) -> Grid:
    """Atomic cells between all rule positions, merged where the rule between them is missing."""
    xs = cluster([v[0] for v in vs] + [min(h[1] for h in hs), max(h[2] for h in hs)], tol * 1.5)
    ys = cluster([h[0] for h in hs] + [min(v[1] for v in vs), max(v[2] for v in vs)], tol * 1.5)
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(max(nr * nc, 0)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(nr):
        for j in range(nc):
            if j + 1 < nc and not _covered(vs, xs[j + 1], ys[i], ys[i + 1], tol * 1.5):
                parent[find(i * nc + j)] = find(i * nc + j + 1)
            if i + 1 < nr and not _covered(hs, ys[i + 1], xs[j], xs[j + 1], tol * 1.5):
                parent[find(i * nc + j)] = find((i + 1) * nc + j)
    spans: dict[int, list[int]] = {}
    for k in range(nr * nc):
        r, c = divmod(k, nc)
        s = spans.setdefault(find(k), [r, r, c, c])
        s[0], s[1], s[2], s[3] = min(s[0], r), max(s[1], r), min(s[2], c), max(s[3], c)
    cells = [
        GridCell(r0, r1, c0, c1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        for r0, r1, c0, c1 in spans.values()
    ]
    rules = [("h", h) for h in hs] + [("v", v) for v in vs]
    return Grid(xs, ys, cells, rules)


def grid_rule_mask(grids: list[Grid], shape: tuple[int, ...], dpi: float) -> np.ndarray:
    """Pixels of the accepted rules only (not every long stroke the morphology kept).

    Whitening these keeps rules out of crops without eating glyphs that touch them.
    """
    mask = np.zeros(shape[:2], dtype=np.uint8)
    t = max(3, round(dpi / 50))
    for g in grids:
        for kind, (pos, a, b) in g.rules:
            p = round(pos)
            if kind == "h":
                cv2.line(mask, (round(a), p), (round(b), p), 255, t)
            else:
                cv2.line(mask, (p, round(a)), (p, round(b)), 255, t)
    return mask
