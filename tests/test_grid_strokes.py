"""A pen stroke along a ruling is no rule; a printed rule broken by a dropout still is."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.read.scan.grid import find_grids

DPI = 200.0


def _table(rows: int = 4, cols: int = 4) -> tuple[np.ndarray, list[int], list[int]]:
    """A binary ink image (255 = ink) of a ruled table, and its rule positions."""
    img = np.zeros((600, 900), np.uint8)
    ys = [100 + 60 * i for i in range(rows + 1)]
    xs = [100 + 180 * j for j in range(cols + 1)]
    for y in ys:
        cv2.line(img, (xs[0], y), (xs[-1], y), 255, 3)
    for x in xs:
        cv2.line(img, (x, ys[0]), (x, ys[-1]), 255, 3)
    return img, ys, xs


def _ys(img: np.ndarray) -> list[int]:
    (g,) = find_grids(img, DPI)
    return [round(y) for y in g.ys]


def test_a_sloped_stroke_between_cells_is_no_rule() -> None:
    img, ys, xs = _table()
    clean = _ys(img)
    # from the middle of the first column to the middle of the last, rising 8 px, near a rule
    pts = np.array([[xs[0] + 90 + k * 30, ys[2] - 14 + k * 8 // 18] for k in range(19)])
    cv2.polylines(img, [pts.astype(np.int32)], False, 255, 3)
    assert _ys(img) == clean


def test_a_level_rule_broken_mid_cell_is_still_a_rule() -> None:
    img, ys, xs = _table()
    clean = _ys(img)
    img[ys[2] - 3 : ys[2] + 4, xs[1] + 40 : xs[1] + 60] = 0  # a dropout in the second rule
    assert _ys(img) == clean
