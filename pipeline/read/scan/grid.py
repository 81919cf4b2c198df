"""Ruled tables in a page image: rules by morphology → row and column bands → cells.

Long thin runs of ink survive an opening with a long line-shaped kernel; text does not.
Each surviving run is a rule segment; segments that cross at least two segments of the
other direction belong to a table (a stroke inside a cell touches no rule). Rules
positions give the bands; a missing rule between two atomic cells merges them, which
is how spans (merged labels, header groups) are found. The grid model is the PDF
reader's too (:mod:`pipeline.read.geometry`), with tolerances in pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.read.geometry import Cell, Lattice, Seg, connected, crosses, lattice


@dataclass(frozen=True)
class Grid(Lattice[Cell]):
    """A ruled table in the prepared image (pixels), with the rules that make it."""

    rules: tuple[tuple[str, Seg], ...] = ()


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


def _segments(mask: np.ndarray, horizontal: bool, dpi: float) -> tuple[list[Seg], set[int]]:
    """Connected runs of a rule mask; the position is where most of the run lies. And the
    indices of the horizontal runs that wander: their middle drifts along their length by
    more than a rule's thickness, as a hand's stroke does and a printed rule, once the
    page is deskewed, does not. (Only such a run that also ends mid-cell is dropped: see
    :func:`find_grids`.)

    (A glyph touching a rule joins its component; a centroid would drift towards it.)
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out: list[Seg] = []
    wandering: set[int] = set()
    limit = max(4.0, dpi * 0.025)
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        sub = labels[y : y + h, x : x + w] == i
        prof = sub.sum(axis=1 if horizontal else 0)
        idx = np.nonzero(prof >= 0.5 * prof.max())[0]
        pos = float(idx.mean())
        if horizontal:
            if h > limit and _drift(sub) > limit:
                wandering.add(len(out))
            out.append((y + pos, float(x), float(x + w - 1)))
        else:
            out.append((x + pos, float(y), float(y + h - 1)))
    return out, wandering


def _drift(sub: np.ndarray) -> float:
    """How far a horizontal run's middle moves along it (pixels, 5th to 95th percentile)."""
    cols = sub.any(axis=0)
    rows = np.arange(sub.shape[0], dtype=float)[:, None]
    mid = (sub * rows).sum(axis=0)[cols] / sub.sum(axis=0)[cols]
    lo, hi = np.percentile(mid, [5, 95])
    return float(hi - lo)


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


# a stroke this close (inches, ~5.8 pt) to a rule along it is no rule of its own: the band
# between them could not hold a line of the smallest (6 pt) print with any padding
_HUG = 0.08


def _ends_on(h: Seg, vs: Sequence[Seg], tol: float) -> bool:
    """Whether either end of a horizontal run meets a vertical run that spans its height."""
    return any(
        min(abs(h[1] - v[0]), abs(h[2] - v[0])) <= tol and v[1] - tol <= h[0] <= v[2] + tol
        for v in vs
    )


def _hugs(h: Seg, hs: Sequence[Seg], dpi: float, tol: float) -> bool:
    """Whether a horizontal run is a stroke beside a rule: a longer rule runs along its
    whole length closer than a line of text is tall (no row fits between them: taken for
    a rule it would cut a band too thin to hold anything). A printed double rule runs
    edge to edge with its partner, and stays."""
    return any(
        0 < abs(o[0] - h[0]) < dpi * _HUG
        and o[1] <= h[1] + tol
        and o[2] >= h[2] - tol
        and (o[2] - o[1]) - (h[2] - h[1]) > 2 * tol
        for o in hs
    )


def find_grids(
    ink: np.ndarray, dpi: float, masks: tuple[np.ndarray, np.ndarray] | None = None
) -> list[Grid]:
    """The ruled tables on a page, top to bottom."""
    hm, vm = masks if masks is not None else rule_masks(ink, dpi)
    (hs, strokes), (vs, _) = _segments(hm, True, dpi), _segments(vm, False, dpi)
    tol = max(3.0, dpi * 0.03)
    hs = [h for k, h in enumerate(hs) if k not in strokes or _ends_on(h, vs, tol)]
    hs = [h for h in hs if not _hugs(h, hs, dpi, tol)]
    text = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(hm, np.ones((3, 1), np.uint8))))
    # keep segments crossing >= 2 of the other kind, twice (a kept one may lose partners)
    for _ in range(2):
        hs2 = [h for h in hs if sum(crosses(h, v, tol) for v in vs) >= 2]
        vs2 = [v for v in vs if _is_rule(v, [h for h in hs2 if crosses(h, v, tol)], text, dpi)]
        hs, vs = hs2, vs2
    grids = [_grid(gh, gv, tol) for gh, gv in connected(hs, vs, tol)]
    grids = [g for g in grids if len(g.xs) >= 2 and len(g.ys) >= 2]
    return sorted(grids, key=lambda g: g.ys[0])


def _grid(hs: list[Seg], vs: list[Seg], tol: float) -> Grid:
    """The cells between the rules (:func:`pipeline.read.geometry.lattice`), and the rules."""
    lat = lattice(hs, vs, tol * 1.5, tol * 1.5, Cell)
    rules = tuple([("h", h) for h in hs] + [("v", v) for v in vs])
    return Grid(lat.xs, lat.ys, lat.cells, rules)


def grid_rule_mask(
    grids: Sequence[Grid],
    shape: tuple[int, ...],
    dpi: float,
    masks: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of the accepted rules only (not every long stroke the morphology kept), and
    the pixels of those that lie off their rule's line: a pen drawn along a ruling.

    Whitening these keeps rules out of crops without eating glyphs that touch them. With
    the rule ``masks``, a rule's own pixels are taken too: a bold border, or a rule left a
    little tilted by the deskew, is wider than the line drawn for it, and its rest would
    be read as a "1" at a cell's edge. A horizontal rule's whole run in its mask goes
    (only long horizontal ink survives that mask, no glyph): a pen stroke that runs along
    the rule and drifts into the cells beside it joins the rule's run, and its ink there
    would be read as a "1" or a "一" next to a number; so does any such run inside a table
    that crosses two column rules (a pen across the cells: the strokes of a line of text,
    bridged into a long run, may reach over the rule of a tight cell, not through a whole
    cell and past both its rules). Those pixels, off the rules' lines, are returned apart:
    a cell they cross may have a digit under them.
    """
    mask = np.zeros(shape[:2], dtype=np.uint8)
    near = {"h": np.zeros(shape[:2], dtype=np.uint8), "v": np.zeros(shape[:2], dtype=np.uint8)}
    t = max(3, round(dpi / 50))
    for g in grids:
        for kind, (pos, a, b) in g.rules:
            p = round(pos)
            ends = ((round(a), p), (round(b), p)) if kind == "h" else ((p, round(a)), (p, round(b)))
            cv2.line(mask, *ends, 255, t)
            cv2.line(near[kind], *ends, 255, 3 * t)
    off = np.zeros(shape[:2], dtype=np.uint8)
    if masks is None or not grids:
        return mask, off
    # the work is done in the tables' box: no rule or cell lies outside it
    pad = 3 * t
    bx0 = max(0, round(min(g.xs[0] for g in grids)) - pad)
    by0 = max(0, round(min(g.ys[0] for g in grids)) - pad)
    bx1 = round(max(g.xs[-1] for g in grids)) + pad + 1
    by1 = round(max(g.ys[-1] for g in grids)) + pad + 1
    box = np.s_[by0:by1, bx0:bx1]
    hm, vm = masks[0][box], masks[1][box]
    near_h, near_v, mask_b, off_b = near["h"][box], near["v"][box], mask[box], off[box]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(hm, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[np.unique(labels[near_h > 0])] = True
    x0, y0 = stats[:, cv2.CC_STAT_LEFT] + bx0, stats[:, cv2.CC_STAT_TOP] + by0
    x1, y1 = x0 + stats[:, cv2.CC_STAT_WIDTH], y0 + stats[:, cv2.CC_STAT_HEIGHT]
    for g in grids:  # a long run through a whole cell and past its rules: a pen, no print
        inside = (g.ys[0] <= y0) & (y1 <= g.ys[-1])
        crossed = sum(((x0 < x - t) & (x + t < x1)).astype(int) for x in g.xs[1:-1])
        keep |= inside & (crossed >= 2)
    keep[0] = False
    runs = cv2.dilate(keep.astype(np.uint8)[labels], np.ones((3, 3), np.uint8)) > 0
    off_b[runs & (near_h == 0)] = 255
    mask_b[runs] = 255
    # a vertical rule's pixels near its line only: a vertical glyph stroke passes its mask
    grown = cv2.dilate(vm, np.ones((3, 3), np.uint8))  # its anti-aliased edge
    mask_b[(near_v > 0) & (grown > 0)] = 255
    return mask, off
