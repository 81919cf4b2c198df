"""Rules → grid of cells: the geometry the PDF ruled tables and the scan grid share.

Both readers find rule segments (vector lines in points, ink runs in pixels), group the
ones that cross into connected grids, and cut each grid into atomic cells between rule
positions, merged where the rule between two of them is missing (spans: merged labels,
header groups). Only the tolerances differ, so every function takes them as parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Seg = tuple[float, float, float]  # a rule: (y, x0, x1) horizontal or (x, y0, y1) vertical


@dataclass(frozen=True)
class Cell:
    """Rows ``r0..r1`` and columns ``c0..c1`` of the grid (inclusive), and its box."""

    r0: int
    r1: int
    c0: int
    c1: int
    bbox: Box


C = TypeVar("C", bound=Cell)


@dataclass(frozen=True)
class Lattice(Generic[C]):
    """Column and row rule positions and the cells between them."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    cells: tuple[C, ...]

    @property
    def bbox(self) -> Box:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def band(self, i: int) -> list[C]:
        """The cells that start in row band ``i``, left to right."""
        return sorted((c for c in self.cells if c.r0 == i), key=lambda c: c.c0)


def cluster(values: Iterable[float], tol: float = 2.5) -> list[float]:
    """Positions closer than ``tol`` are one position: their mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def find(parent: list[int], i: int) -> int:
    """Union-find root, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def crosses(h: Seg, v: Seg, tol: float) -> bool:
    """Do a horizontal and a vertical rule meet (within ``tol``)?"""
    y, hx0, hx1 = h
    x, vy0, vy1 = v
    return hx0 - tol <= x <= hx1 + tol and vy0 - tol <= y <= vy1 + tol


def connected(hs: list[Seg], vs: list[Seg], tol: float) -> list[tuple[list[Seg], list[Seg]]]:
    """Sets of rules joined by crossings that have two rules or more each way: grids.

    Grids come in the order of their first rule (horizontal rules first).
    """
    parent = list(range(len(hs) + len(vs)))
    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if crosses(h, v, tol):
                parent[find(parent, i)] = find(parent, len(hs) + j)
    groups: dict[int, tuple[list[Seg], list[Seg]]] = {}
    for i in range(len(hs) + len(vs)):
        g = groups.setdefault(find(parent, i), ([], []))
        if i < len(hs):
            g[0].append(hs[i])
        else:
            g[1].append(vs[i - len(hs)])
    return [(gh, gv) for gh, gv in groups.values() if len(gh) >= 2 and len(gv) >= 2]


def covered(segs: list[Seg], pos: float, a: float, b: float, tol: float) -> bool:
    """Is there a rule at ``pos`` (within ``tol``) covering most of the span ``a..b``?"""
    need = 0.6 * (b - a)
    return any(abs(p - pos) <= tol and min(sb, b) - max(sa, a) >= need for p, sa, sb in segs)


def lattice(
    hs: list[Seg], vs: list[Seg], cluster_tol: float, cover_tol: float, cell: type[C]
) -> Lattice[C]:
    """Atomic cells between all rule positions, merged where the rule between them is missing.

    Rule positions closer than ``cluster_tol`` are one; a rule within ``cover_tol`` of a
    position that covers most of a cell's side separates the cells on either side of it.
    The cells are made as ``cell`` (a :class:`Cell` or a subclass whose other fields
    have defaults), so a reader gets its own cell type without copying each one.
    """
    xs = cluster([v[0] for v in vs] + [min(h[1] for h in hs), max(h[2] for h in hs)], cluster_tol)
    ys = cluster([h[0] for h in hs] + [min(v[1] for v in vs), max(v[2] for v in vs)], cluster_tol)
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))
    for i in range(nr):
        for j in range(nc):
            if j + 1 < nc and not covered(vs, xs[j + 1], ys[i], ys[i + 1], cover_tol):
                parent[find(parent, i * nc + j)] = find(parent, i * nc + j + 1)
            if i + 1 < nr and not covered(hs, ys[i + 1], xs[j], xs[j + 1], cover_tol):
                parent[find(parent, i * nc + j)] = find(parent, (i + 1) * nc + j)
    spans: dict[int, list[int]] = {}
    for k in range(nr * nc):
        r, c = divmod(k, nc)
        s = spans.setdefault(find(parent, k), [r, r, c, c])
        s[0], s[1], s[2], s[3] = min(s[0], r), max(s[1], r), min(s[2], c), max(s[3], c)
    cells = tuple(
        cell(r0, r1, c0, c1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        for r0, r1, c0, c1 in spans.values()
    )
    return Lattice(tuple(xs), tuple(ys), cells)
