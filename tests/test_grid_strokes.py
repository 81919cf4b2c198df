"""A pen stroke along a ruling is no rule; a printed rule broken by a dropout still is."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.read.scan.grid import find_grids, grid_rule_mask, rule_masks

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


def test_a_stroke_beside_a_rule_cuts_no_band() -> None:
    """A pen run close under a rule, ending mid-cell at both ends: no thin band of its own."""
    img, ys, xs = _table()
    clean = _ys(img)
    cv2.line(img, (xs[0] + 90, ys[2] + 9), (xs[3] + 90, ys[2] + 9), 255, 3)
    assert _ys(img) == clean


def test_a_stroke_beside_a_rule_over_one_cell_cuts_no_band() -> None:
    """Ending on the cell's rules does not make it a rule: no row fits above it."""
    img, ys, xs = _table()
    clean = _ys(img)
    cv2.line(img, (xs[1], ys[2] + 12), (xs[2], ys[2] + 12), 255, 3)
    assert _ys(img) == clean


def test_a_double_rule_stays_two_rules() -> None:
    """A printed double rule runs from edge to edge: both its lines are rules."""
    img, ys, xs = _table()
    cv2.line(img, (xs[0], ys[1] + 11), (xs[-1], ys[1] + 11), 255, 3)
    assert _ys(img) == sorted([*_ys(_table()[0]), ys[1] + 11])


def test_a_pen_along_a_rule_is_whitened_and_the_cells_it_crosses_are_marked() -> None:
    """A stroke that starts on a rule and drifts into the cells below joins the rule's run:
    its ink is whitened (it read as "1" or "一" beside a number), and found off the rule's
    line where it crossed cells (a digit may lie under it)."""
    img, ys, xs = _table()
    digit = (xs[3] + 80, ys[2] + 12, xs[3] + 100, ys[2] + 40)
    cv2.rectangle(img, digit[:2], digit[2:], 255, 2)  # a "0" near the top of its cell
    # from the second column to the last, sinking from the rule to 14 px under it
    x0, x1 = xs[1] + 20, xs[4] - 20
    pts = [(x0 + (x1 - x0) * k // 20, ys[2] - 2 + 16 * k // 20) for k in range(21)]
    cv2.polylines(img, [np.array(pts, np.int32)], False, 255, 3)
    g = find_grids(img, DPI)
    rules, astray = grid_rule_mask(g, img.shape, DPI, rule_masks(img, DPI))
    assert [round(y) for y in g[0].ys] == _ys(_table()[0])
    left = cv2.bitwise_and(img, cv2.bitwise_not(rules))
    below = left[ys[2] + 3 : ys[2] + 16, xs[2] : digit[0] - 3]  # the stroke, before the digit
    assert not below.any()
    assert left[digit[1] + 8 : digit[3] - 8, digit[0] - 1 : digit[2] + 2].any()  # the digit
    assert astray[ys[2] + 4 : ys[3] - 4, xs[3] : xs[4]].sum() > 0
    assert not astray[ys[2] + 4 : ys[3] - 4, xs[0] : xs[1]].any()


def test_a_pen_across_the_cells_is_whitened_and_marks_them() -> None:
    """A drifting stroke through the middle of a row's cells, touching no rule: no rule,
    and no text either (it read as "一" in every cell it crossed)."""
    img, ys, xs = _table()
    x0, x1, y = xs[0] + 90, xs[3] + 90, (ys[1] + ys[2]) // 2
    pts = [(x0 + (x1 - x0) * k // 20, y - 6 + 12 * k // 20) for k in range(21)]
    cv2.polylines(img, [np.array(pts, np.int32)], False, 255, 3)
    g = find_grids(img, DPI)
    rules, astray = grid_rule_mask(g, img.shape, DPI, rule_masks(img, DPI))
    assert [round(y) for y in g[0].ys] == _ys(_table()[0])
    left = cv2.bitwise_and(img, cv2.bitwise_not(rules))[ys[1] + 5 : ys[2] - 5]
    assert not left[:, x0 + 20 : x1 - 20].any()  # (its ends' last steps are too short)
    assert all(astray[ys[1] : ys[2], a:b].any() for a, b in zip(xs[:4], xs[1:5], strict=True))
    assert not astray[ys[2] + 4 :].any()
