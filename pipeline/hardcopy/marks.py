"""What people put on a printed filing: pen strokes, a highlighter band, a red seal.

Drawn in pixels on the rendered page, placed from the PDF's own word boxes (points × scale),
so that each mark lies on a real row of the applications table.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
import pymupdf

from pipeline.hardcopy.pages import AppTable

PEN_COLOURS = ((30, 40, 150), (25, 25, 30))  # RGB: blue ballpoint, black


def _pt(x: float, y: float, scale: float) -> tuple[int, int]:
    return round(x * scale), round(y * scale)


def _stroke(img: np.ndarray, pts: list[tuple[int, int]], colour: tuple[int, ...], width: int):
    cv2.polylines(img, [np.array(pts, np.int32)], False, colour, width, cv2.LINE_AA)


def pen_over_digits(img: np.ndarray, table: AppTable, scale: float, rng: random.Random) -> int:
    """A short slanted stroke through a few of the table's numbers; how many were struck."""
    digits = [w for ws in table.rows.values() for w in ws if w.text.isdigit()]
    chosen = rng.sample(digits, min(3, len(digits)))
    for w in chosen:
        r = w.rect
        colour = rng.choice(PEN_COLOURS)
        a = _pt(r.x0 - 2, r.y1 - 1 - rng.random() * 3, scale)
        b = _pt(r.x1 + 3, r.y0 + 1 + rng.random() * 3, scale)
        mid = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2 + rng.randint(-2, 2))
        _stroke(img, [a, mid, b], colour, max(1, round(scale * 0.8)))
    return len(chosen)


def pen_along_ruling(img: np.ndarray, table: AppTable, scale: float, rng: random.Random) -> None:
    """A long wavering stroke across the table that crosses a horizontal ruling between rows."""
    bottoms = sorted(max(w.rect.y1 for w in ws) for ws in table.rows.values() if ws)
    gaps = []  # (bottom of a row, top of the next line of words below it)
    for b in bottoms:
        below = [w.rect.y0 for w in table.inside if w.rect.y0 > b + 1]
        if below:
            gaps.append((b, min(below)))
    if not gaps:
        return
    b, t = rng.choice(gaps)
    y_line = (b + t) / 2
    x0 = table.rect.x0 + table.rect.width * 0.25
    x1 = table.rect.x1 - table.rect.width * 0.05
    n = 12
    pts = []
    for k in range(n + 1):
        t = k / n
        y = y_line + (t - 0.5) * 6 + math.sin(t * 7 + rng.random()) * 1.2
        pts.append(_pt(x0 + (x1 - x0) * t, y, scale))
    _stroke(img, pts, rng.choice(PEN_COLOURS), max(1, round(scale * 0.9)))


def highlighter(img: np.ndarray, table: AppTable, scale: float, rng: random.Random) -> None:
    """A translucent yellow band over one row, multiplied in as ink on paper is."""
    rows = [ws for ws in table.rows.values() if len(ws) > 2]
    if not rows:
        return
    ws = rng.choice(rows)
    y0 = min(w.rect.y0 for w in ws) - 2
    y1 = max(w.rect.y1 for w in ws) + 2
    x0, y0p = _pt(table.rect.x0 + 3 + rng.random() * 6, y0, scale)
    x1, y1p = _pt(table.rect.x1 - 3 - rng.random() * 6, y1, scale)
    band = np.full((y1p - y0p, x1 - x0, 3), (255, 240, 90), np.float32) / 255.0
    roi = img[y0p:y1p, x0:x1].astype(np.float32)
    img[y0p:y1p, x0:x1] = (roi * band[: roi.shape[0], : roi.shape[1]]).astype(np.uint8)


def seal(img: np.ndarray, rect: pymupdf.Rect, scale: float, rng: random.Random) -> None:
    """A red round seal (ring, star, arc of text-like ticks) over the table's middle."""
    cx = (rect.x0 + rect.x1) / 2 + rng.uniform(-30, 30)
    cy = (rect.y0 + rect.y1) / 2 + rng.uniform(-30, 30)
    c = _pt(cx, cy, scale)
    r = round(rng.uniform(42, 55) * scale)
    layer = np.zeros(img.shape[:2], np.uint8)
    cv2.circle(layer, c, r, 255, max(2, r // 14), cv2.LINE_AA)
    star = [
        (
            c[0] + (r * (0.3 if k % 2 == 0 else 0.12)) * math.sin(k * math.pi / 5),
            c[1] - (r * (0.3 if k % 2 == 0 else 0.12)) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    cv2.fillPoly(layer, [np.array(star, np.int32)], 255, cv2.LINE_AA)
    for k in range(14):  # the organ's name round the rim, as blocks of ink
        a = math.pi * (-0.85 + 1.7 * k / 13) - math.pi / 2
        p = (round(c[0] + 0.72 * r * math.cos(a)), round(c[1] + 0.72 * r * math.sin(a)))
        cv2.circle(layer, p, max(2, r // 10), 255, -1, cv2.LINE_AA)
    cv2.line(layer, (c[0] - r // 2, c[1] + r // 2), (c[0] + r // 2, c[1] + r // 2), 255, 2)
    # stamp ink is uneven: some of it did not take
    noise = np.random.default_rng(rng.randrange(2**32)).random(layer.shape) < 0.25
    layer[noise] = 0
    alpha = cv2.GaussianBlur(layer, (3, 3), 0).astype(np.float32)[..., None] / 255.0 * 0.8
    red = np.array((200, 30, 40), np.float32)
    out = img.astype(np.float32) * (1 - alpha) + np.minimum(img.astype(np.float32), red) * alpha
    img[:] = out.astype(np.uint8)
