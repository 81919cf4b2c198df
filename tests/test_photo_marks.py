"""Phone photos and non-print ink, stage by stage, without a model.

A photo's page is found on its desk and warped flat, every box still mapping to the
photo's own pixels; coloured marks leave the ink mask, black print stays; a read
through an opaque pen stroke is doubtful.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.read.ocr import Recognized
from pipeline.read.ocr.base import DetectedLine
from pipeline.read.scan.grid import find_grids
from pipeline.read.scan.prepare import binarize, page_quad, prepare, separate_marks
from pipeline.read.scan.reader import STRUCK_CONFIDENCE, read_scan

XS, YS = [150, 450, 650, 850, 1050], [300, 380, 460, 540, 620, 700]


def _page(w: int = 1190, h: int = 1684) -> np.ndarray:
    """A white page (BGR, 144 dpi: 2 px a point) with a 5x4 ruled table and some digits."""
    img = np.full((h, w, 3), 255, np.uint8)
    for y in YS:
        cv2.line(img, (XS[0], y), (XS[-1], y), (0, 0, 0), 2)
    for x in XS:
        cv2.line(img, (x, YS[0]), (x, YS[-1]), (0, 0, 0), 2)
    for r in range(len(YS) - 1):
        cv2.putText(img, f"row {r}", (XS[0] + 20, YS[r] + 52), 0, 1.1, (0, 0, 0), 2)
        for c in range(1, len(XS) - 1):
            x = XS[c] + 70
            cv2.putText(img, str(r + c), (x, YS[r] + 55), 0, 1.3, (0, 0, 0), 3)
    return img


def _photo(page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page on a brown desk, seen askew, light falling off to one side; returns the
    photo and the 3x3 homography page px → photo px."""
    h, w = page.shape[:2]
    cw, ch = w + 240, h + 240
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = np.array([[150, 100], [cw - 90, 150], [cw - 140, ch - 90], [80, ch - 130]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    desk = np.full((ch, cw, 3), (60, 90, 130), np.uint8)
    warped = cv2.warpPerspective(page, m, (cw, ch))
    inside = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (cw, ch)) > 0
    photo = np.where(inside[..., None], warped, desk)
    light = np.linspace(1.0, 0.75, cw, dtype=np.float32)[None, :, None]
    photo = np.clip(photo * light, 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(photo, (0, 0), 0.8), m


def test_photo_page_is_found_rectified_and_maps_back() -> None:
    page = _page()
    photo, m = _photo(page)
    quad = page_quad(photo)
    assert quad is not None
    corners = cv2.perspectiveTransform(
        np.array([[[0, 0], [1190, 0], [1190, 1684], [0, 1684]]], np.float32), m
    )[0]
    assert np.abs(quad - corners).max() <= 8  # px of a 1400 px photo
    prep = prepare(photo, 144.0)
    assert prep.transform.rectified
    grids = find_grids(prep.ink, prep.dpi)
    assert len(grids) == 1
    g = grids[0]
    assert (len(g.xs), len(g.ys)) == (len(XS), len(YS))
    # the rectified rules are straight: their spacing as on the page (within 2%)
    sx = (g.xs[-1] - g.xs[0]) / (XS[-1] - XS[0])
    sy = (g.ys[-1] - g.ys[0]) / (YS[-1] - YS[0])
    assert abs(sx / sy - 1) < 0.02
    # each cell's box maps back onto the photo, around where the page put that cell
    for cell, (r, c) in zip(g.cells, _cell_order(g), strict=True):
        x0, y0, x1, y1 = prep.transform.to_pdf(cell.bbox)
        want = (
            cv2.perspectiveTransform(
                np.array(
                    [
                        [
                            [XS[c], YS[r]],
                            [XS[c + 1], YS[r]],
                            [XS[c], YS[r + 1]],
                            [XS[c + 1], YS[r + 1]],
                        ]
                    ],
                    np.float32,
                ),
                m,
            )[0]
            / 2
        )  # photo px → points at 144 dpi
        exp = (want[:, 0].min(), want[:, 1].min(), want[:, 0].max(), want[:, 1].max())
        assert all(abs(a - b) <= 4 for a, b in zip((x0, y0, x1, y1), exp, strict=True))


def _cell_order(g) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(row, col) of each cell of a grid without spans, by its box."""
    out = []
    for cell in g.cells:
        x0, y0, _, _ = cell.bbox
        r = min(range(len(g.ys)), key=lambda i: abs(g.ys[i] - y0))
        c = min(range(len(g.xs)), key=lambda i: abs(g.xs[i] - x0))
        out.append((r, c))
    return out


def test_scan_without_background_is_not_warped() -> None:
    page = _page()
    assert page_quad(page) is None
    dark_edge = page.copy()
    dark_edge[:, :40] = 30  # a scanner lid's shadow along one side
    assert page_quad(dark_edge) is None
    assert not prepare(page, 144.0).transform.rectified


def _marked() -> np.ndarray:
    img = _page()
    # a red seal ring (stamped: the darker wins), a yellow highlighter row (multiplied),
    # a blue ballpoint stroke through the digits of row 2, column 2 (drawn over)
    seal = np.full_like(img, 255)
    cv2.circle(seal, (800, 500), 110, (40, 30, 200), 8)
    img = np.minimum(img, seal)
    band = np.array((90, 240, 255), np.float32) / 255
    img[YS[3] + 8 : YS[4] - 8, XS[0] + 5 : XS[-1] - 5] = (
        img[YS[3] + 8 : YS[4] - 8, XS[0] + 5 : XS[-1] - 5] * band
    ).astype(np.uint8)
    cv2.line(img, (XS[2] + 55, YS[2] + 65), (XS[2] + 150, YS[2] + 20), (150, 40, 30), 3)
    return img


def test_coloured_marks_leave_the_ink_black_print_stays() -> None:
    img = _marked()
    out, hidden, n = separate_marks(img)
    assert n > 0
    ink = binarize(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY))
    clean = binarize(cv2.cvtColor(_page(), cv2.COLOR_BGR2GRAY))
    # the seal's ring off the table, the highlighter over paper, the pen's far end: gone
    assert not ink[500 - 110 - 3 : 500 - 110 + 4, 795:805].any()  # ring's top, on paper
    assert not ink[YS[3] + 12, XS[0] + 150 : XS[0] + 170].any()
    # all black print is kept: rules (also under the seal) and digits under the highlighter
    kept = (ink > 0) & (clean > 0)
    assert kept.sum() >= 0.97 * (clean > 0).sum() - 600  # less what the pen covered
    assert ink[YS[2], XS[3] - 60 : XS[3] + 60].all()  # the rule under the seal's ring
    # only the opaque pen may have hidden print; the seal and highlighter are seen through
    ys, xs = np.nonzero(hidden)
    assert len(ys) > 0
    assert XS[2] + 45 <= xs.min() and xs.max() <= XS[2] + 160
    assert YS[2] + 10 <= ys.min() and ys.max() <= YS[2] + 75


class _Fives:
    """An engine reading every crop as '5', sure of it."""

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        return [Recognized("5", 0.99) for _ in crops]

    def detect_and_recognize(self, image: np.ndarray) -> list[DetectedLine]:
        return []


def test_a_read_through_a_pen_stroke_is_doubtful(tmp_path: Path) -> None:
    path = tmp_path / "marked.png"
    cv2.imwrite(str(path), _marked())
    reading = read_scan(path, engine=_Fives(), orient=False)
    table = [row.cells for row in reading.rows if len(row.cells) > 1]
    assert [len(cells) for cells in table] == [4] * 5  # 5 rows of a label and 3 numbers
    struck = [
        (r, c)
        for r, cells in enumerate(table)
        for c, cell in enumerate(cells)
        if cell.confidence <= STRUCK_CONFIDENCE
    ]
    assert struck == [(2, 2)]  # only the cell the pen crossed


def test_a_pen_along_a_ruling_does_not_take_the_rule_with_it(tmp_path: Path) -> None:
    """A blue ballpoint drawn over a rule hides it where it runs: taken out, it would take
    the rule along and merge two rows. Rules are found in the ink with the pen in it."""
    img = _page()
    pts = [(x, YS[2] + round(2 * np.sin(x / 40))) for x in range(XS[0] + 30, XS[-1] - 30, 20)]
    cv2.polylines(img, [np.array(pts, np.int32)], False, (150, 40, 30), 5)
    path = tmp_path / "pen.png"
    cv2.imwrite(str(path), img)
    reading = read_scan(path, engine=_Fives(), orient=False)
    table = [row.cells for row in reading.rows if len(row.cells) > 1]
    assert [len(cells) for cells in table] == [4] * 5
