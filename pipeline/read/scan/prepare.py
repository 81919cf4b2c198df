"""Clean a page image for grid finding and recognition, and remember how to map back.

Steps: red seals are whitened by colour (a seal over a table corner hides rules and
digits otherwise), uneven light is divided out, the skew (±3°) is measured from the
horizontal projection of ink and undone. The returned :class:`Transform` maps a box
in the prepared image back to PDF points on the page, so every cell keeps its origin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

MAX_SKEW = 15.0  # degrees: a page laid crooked on the glass, a phone held askew
_NEAR = 3.0  # degrees: the skew of most scans


@dataclass(frozen=True)
class Transform:
    """Prepared-image pixels → original pixels (inverse rotation) → PDF points."""

    inverse: np.ndarray  # 2x3 affine: prepared px → original px
    scale: float  # points per original pixel (72 / dpi)
    angle: float  # the skew that was removed, degrees (counter-clockwise positive)
    offset: tuple[float, float] = (0.0, 0.0)  # the image's top-left on the page, points (a clip)

    def to_frame(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A prepared-image box in points of the upright, deskewed frame (rows level);
        a clip's frame sits where the clip is on the page."""
        s, (dx, dy) = self.scale, self.offset
        return (
            round(box[0] * s + dx, 2),
            round(box[1] * s + dy, 2),
            round(box[2] * s + dx, 2),
            round(box[3] * s + dy, 2),
        )

    def to_pdf(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A prepared-image box → the enclosing box in PDF points (top-left origin)."""
        x0, y0, x1, y1 = box
        pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=float)
        orig = pts @ self.inverse.T
        s, (dx, dy) = self.scale, self.offset
        return (
            round(float(orig[:, 0].min() * s + dx), 2),
            round(float(orig[:, 1].min() * s + dy), 2),
            round(float(orig[:, 0].max() * s + dx), 2),
            round(float(orig[:, 1].max() * s + dy), 2),
        )


@dataclass(frozen=True)
class Prepared:
    gray: np.ndarray  # deskewed, light-normalised, seal removed; uint8, white paper
    ink: np.ndarray  # binary mask of ink (255) on the same pixels
    transform: Transform
    dpi: float


def suppress_seal(bgr: np.ndarray) -> tuple[np.ndarray, int]:
    """Whiten strongly red pixels (seals, red stamps); returns the image and how many.

    Black text under a seal stays dark (its red excess is small), so digits survive.
    """
    b, g, r = (bgr[:, :, k].astype(np.int16) for k in range(3))
    red = (r - np.maximum(g, b) > 45) & (r > 110)
    n = int(red.sum())
    if n == 0:
        return bgr, 0
    mask = cv2.dilate(red.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    # in and around the seal's ink keep only what is dark in every channel: black print
    out = bgr.copy()
    dark = np.maximum(np.maximum(b, g), r) < 100
    out[mask & ~dark] = 255
    return out, n


def normalise_light(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper's brightness so shading and yellowed edges become white."""
    h, w = gray.shape
    f = 8
    small = cv2.resize(gray, (max(w // f, 1), max(h // f, 1)), interpolation=cv2.INTER_AREA)
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7)))  # remove ink
    bg = cv2.GaussianBlur(bg, (0, 0), 3)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    return out


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink mask: Otsu on the light-normalised page, never above a grey that is paper."""
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    t = min(max(t, 120), 200)
    return np.where(gray < t, 255, 0).astype(np.uint8)


def estimate_skew(ink: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """The page's skew in degrees: the angle whose horizontal ink projection is sharpest.

    Rules and text lines both make sharp peaks when level; the score is the sum of
    squared row counts over sampled ink pixels (cheap: no image is rotated).
    """
    ys, xs = np.nonzero(ink)
    if len(ys) < 100:
        return 0.0
    if len(ys) > 200_000:
        pick = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    cx = ink.shape[1] / 2
    xs_c = xs.astype(np.float64) - cx
    ys_f = ys.astype(np.float64)
    # the searches reach a little past max_angle; ink at the page's top edge (a 1-bit
    # scan's dark border) must still land on a row >= 0
    off = int(abs(cx) * math.tan(math.radians(max_angle + 1))) + 2

    def score(a: float) -> float:
        t = math.tan(math.radians(a))
        rows = np.round(ys_f + xs_c * t).astype(np.int64) + off
        hist = np.bincount(rows)
        return float(np.dot(hist, hist))

    def search(lo: float, hi: float, step: float) -> float:
        angles = np.arange(lo, hi + step / 2, step)
        return float(max(angles, key=score))

    # most scans lie within a few degrees: searched finely; beyond, coarsely (a level
    # page's peaks stay sharp within ~0.5°: a line's height over the page's width)
    near = min(max_angle, _NEAR)
    a = search(-near, near, 0.2)
    if max_angle > near:
        far = search(-max_angle, max_angle, 0.5)
        if score(far) > score(a):
            a = search(far - 0.5, far + 0.5, 0.2)
    a = search(a - 0.2, a + 0.2, 0.04)
    a = search(a - 0.04, a + 0.04, 0.01)
    return a


def rotate(img: np.ndarray, angle: float, border: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Rotate about the centre by ``angle`` degrees so content tilted by ``angle`` levels,
    on a canvas grown to hold the corners (at 10° a page's corners would be cut off).

    Returns the image and the 2x3 matrix (original → rotated).
    """
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    nw, nh = w, h
    if abs(angle) > _NEAR:  # within a few degrees the margins hold the corners
        cos, sin = abs(m[0, 0]), abs(m[0, 1])
        nw, nh = int(round(h * sin + w * cos)), int(round(h * cos + w * sin))
        m[0, 2] += (nw - w) / 2
        m[1, 2] += (nh - h) / 2
    flags = cv2.INTER_LINEAR
    out = cv2.warpAffine(img, m, (nw, nh), flags=flags, borderValue=(border, border, border))
    return out, m


def turn(img: np.ndarray, turns: int) -> tuple[np.ndarray, np.ndarray]:
    """The image turned clockwise by ``turns`` quarters, and the 3x3 matrix mapping the
    turned image's pixels back to the original's."""
    h, w = img.shape[:2]
    back = {
        0: [[1, 0, 0], [0, 1, 0]],
        1: [[0, 1, 0], [-1, 0, h - 1]],  # turned (x', y') came from (y', h-1-x')
        2: [[-1, 0, w - 1], [0, -1, h - 1]],
        3: [[0, -1, w - 1], [1, 0, 0]],
    }[turns % 4]
    out = np.ascontiguousarray(np.rot90(img, -(turns % 4)))
    return out, np.array([*back, [0, 0, 1]], dtype=float)


def prepare(
    bgr: np.ndarray, dpi: float, turns: int = 0, offset: tuple[float, float] = (0.0, 0.0)
) -> Prepared:
    """Upright (``turns`` clockwise quarters), seal off, light flat, skew out; see the
    module docstring. Every box of the result still maps to the original page (``offset``:
    where the image's top-left lies on it, in points, when the image is a clip of it)."""
    bgr, back = turn(bgr, turns)
    clean, _ = suppress_seal(bgr)
    gray = normalise_light(cv2.cvtColor(clean, cv2.COLOR_BGR2GRAY))
    ink = binarize(gray)
    angle = estimate_skew(ink)
    if abs(angle) >= 0.05:
        gray, m = rotate(gray, angle)
        ink = binarize(gray)
    else:
        angle, m = 0.0, np.array([[1.0, 0, 0], [0, 1.0, 0]])
    inverse = (back @ np.vstack([cv2.invertAffineTransform(m), [0, 0, 1]]))[:2]
    return Prepared(gray, ink, Transform(inverse, 72.0 / dpi, angle, offset), dpi)
