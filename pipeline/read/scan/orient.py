"""Which way up a page image is: 0, 90, 180 or 270 degrees, before it is prepared.

Whole filings are scanned sideways, and landscape table pages sit turned in portrait
ones. Two cheap questions settle it. Do the text lines run across or down the image?
Characters of a line merge under a dilation along the line, and only in the right
direction do they make long thin blobs. And is the page upside down? The recogniser
reads a few of the page's text lines far more surely the right way up than turned
over, so a handful of crops read both ways decides.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.read.ocr import OcrEngine

_WORK_DPI = 50  # lines are found on a small copy: cheap, and characters still separate
_SAMPLES = 4  # text lines read both ways for the upside-down question
_MARGIN = 0.08  # mean confidence the flipped reading must win by


def _ink(gray: np.ndarray) -> np.ndarray:
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return np.where(gray < min(max(t, 100), 200), 255, 0).astype(np.uint8)


def _line_score(ink: np.ndarray, dpi: float) -> float:
    """Area of long thin blobs that characters make when dilated along the rows."""
    k = max(2, round(dpi * 0.06))  # a gap between two characters of a line
    merged = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    line_h = dpi * 0.35  # at most ~25 pt: a line of text, not a block or a rule
    ok = (w >= 4 * h) & (h >= 2) & (h <= line_h)
    return float((w[ok] * h[ok]).sum())


# tilts tried before lines are looked for: a line fed askew makes a blob as tall as its
# length times the tilt, no longer thin; the deskew (up to 15°) comes after orientation
_TILTS = (0.0, -5.0, 5.0, -10.0, 10.0)


def quarter_turned(gray: np.ndarray, dpi: float) -> bool:
    """True when the text lines run down the image (a page turned by 90 or 270 degrees).

    Each direction is scored at its best tilt: a page scanned askew by 8° has its lines
    run across still, but, unlevelled, its long lines make no thin blob, and the short
    runs of a table's narrow columns may then outweigh them.
    """
    f = min(1.0, _WORK_DPI / dpi)
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    ink = _ink(small)
    across = down = 0.0
    h, w = ink.shape
    for tilt in _TILTS:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), tilt, 1.0)
        level = ink if tilt == 0 else cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST)
        across = max(across, _line_score(level, dpi * f))
        down = max(down, _line_score(np.ascontiguousarray(level.T), dpi * f))
    return down > 1.5 * across


def text_lines(gray: np.ndarray, dpi: float, most: int = _SAMPLES) -> list[np.ndarray]:
    """Crops of the page's longest single text lines (rules and blocks left out)."""
    ink = _ink(gray)
    k = max(3, round(dpi * 0.06))
    merged = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        dark = ink[y : y + h, x : x + w].mean() / 255
        if w >= 4 * h and dpi * 0.06 <= h <= dpi * 0.3 and 0.08 <= dark <= 0.6:
            boxes.append((w, x, y, h))
    crops = []
    for w, x, y, h in sorted(boxes, reverse=True)[:most]:
        w = min(w, h * 8)  # a long line's first characters are plenty
        pad = max(2, h // 5)
        crops.append(gray[max(y - pad, 0) : y + h + pad, max(x - pad, 0) : x + w + pad])
    return crops


def _mean_confidence(engine: OcrEngine, crops: list[np.ndarray]) -> float:
    return float(
        np.mean([r.confidence if r.text.strip() else 0.0 for r in engine.recognize(crops)])
    )


def upside_down(gray: np.ndarray, dpi: float, engine: OcrEngine) -> bool:
    """True when the recogniser reads the page's text lines better turned over.

    The lines are read upright first: when they read at least ``1 - _MARGIN`` sure on
    average, no turned reading could win by the margin (confidences are at most 1), so
    the turned half, which costs as much again, is left unread (most pages are upright).
    """
    crops = [c for c in text_lines(gray, dpi) if c.size]
    if not crops:
        return False
    upright = _mean_confidence(engine, crops)
    if upright + _MARGIN >= 1.0:
        return False
    turned = _mean_confidence(engine, [np.ascontiguousarray(np.rot90(c, 2)) for c in crops])
    return turned > upright + _MARGIN


def orientation(bgr: np.ndarray, dpi: float, engine: OcrEngine) -> int:
    """Clockwise quarter turns (0–3) that bring the page upright."""
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if bgr.ndim == 3 else bgr
    turns = 0
    if quarter_turned(gray, dpi):
        turns = 1
        gray = np.ascontiguousarray(np.rot90(gray, -1))  # clockwise
    if upside_down(gray, dpi, engine):
        turns += 2
    return turns % 4
