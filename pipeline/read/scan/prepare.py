"""Clean a page image for grid finding and recognition, and remember how to map back.

Steps: a phone photo's page is found on its background and warped to a rectangle (a
keystoned table's rules converge otherwise, and cell boxes catch rule pieces); ink that
is not print is taken out by colour (seals, pens, highlighters: print is near-neutral),
remembering where an opaque pen may have hidden print; uneven light is divided out; the
skew is measured from the horizontal projection of ink and undone. The returned
:class:`Transform` maps a box in the prepared image back to PDF points on the page (a
homography: the corners mapped, their enclosing box taken), so every cell keeps its
origin.
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
    """Prepared-image pixels → original pixels (inverse rotation, and for a photo the
    inverse of its rectification) → PDF points."""

    inverse: np.ndarray  # 3x3 homography: prepared px → original px
    scale: float  # points per original pixel (72 / dpi)
    angle: float  # the skew that was removed, degrees (counter-clockwise positive)
    rectified: bool = False  # a photo's page was warped from its quadrilateral
    offset: tuple[float, float] = (0.0, 0.0)  # the image's top-left on the page, points (a clip)

    def to_frame(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A prepared-image box in points of the upright, deskewed (for a photo: rectified)
        frame, rows level; a clip's frame sits where the clip is on the page."""
        s, (dx, dy) = self.scale, self.offset
        return (
            round(box[0] * s + dx, 2),
            round(box[1] * s + dy, 2),
            round(box[2] * s + dx, 2),
            round(box[3] * s + dy, 2),
        )

    def to_original(self, pts: np.ndarray) -> np.ndarray:
        """Prepared-image points (n x 2) → original-image pixels (n x 2)."""
        pts = np.asarray(pts, dtype=float).reshape(-1, 2)
        h = np.hstack([pts, np.ones((len(pts), 1))]) @ self.inverse.T
        return h[:, :2] / h[:, 2:3]

    def to_pdf(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A prepared-image box → the box enclosing its mapped corners, in PDF points
        (top-left origin)."""
        x0, y0, x1, y1 = box
        orig = self.to_original(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=float))
        s, (dx, dy) = self.scale, self.offset
        return (
            round(float(orig[:, 0].min() * s + dx), 2),
            round(float(orig[:, 1].min() * s + dy), 2),
            round(float(orig[:, 0].max() * s + dx), 2),
            round(float(orig[:, 1].max() * s + dy), 2),
        )


@dataclass(frozen=True)
class Prepared:
    gray: np.ndarray  # deskewed, light-normalised, marks removed; uint8, white paper
    ink: np.ndarray  # binary mask of ink (255) on the same pixels
    transform: Transform
    dpi: float
    # non-print ink taken out that may have hidden print under it (an opaque pen stroke),
    # on the same pixels: a read through it is doubtful
    hidden: np.ndarray | None = None


# Non-print ink is told by colour: print is near-neutral, pens, seals and highlighters are
# not. Chroma is the spread of the channels (max - min); JPEG smears colour a little, so
# the margin is wide. Where a pixel is dark in every channel it is print (black under a
# translucent seal or highlighter stays black) and is kept.
MARK_CHROMA = 45
PRINT_DARK = 100
# Stamp ink (red) and highlighters (yellow to orange) are translucent: print under them
# stays black and is kept. A ballpoint (blue, violet, green) is opaque: where its stroke
# crosses print the print is gone, so a read through it is doubtful. Hue in OpenCV's
# 0..180; red wraps round 0.
TRANSLUCENT_HUES = ((0, 40), (160, 180))
HIGHLIGHTER_HUES = (18, 40)  # yellow to amber; a seal's red is below
SEEN_THROUGH = 140  # a seal's ink over paper stays brighter in its red (~210)


def separate_marks(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Whiten coloured non-print ink (seals, pens, highlighters).

    Returns the image, the mask (255) of removed ink that may have hidden print, and how
    many pixels were coloured. Black print under a translucent mark survives.
    """
    b, g, r = cv2.split(bgr)
    hi, lo = cv2.max(cv2.max(b, g), r), cv2.min(cv2.min(b, g), r)
    coloured = (cv2.subtract(hi, lo) > MARK_CHROMA) & (hi > 110)
    n = int(np.count_nonzero(coloured))
    hidden = np.zeros(bgr.shape[:2], np.uint8)
    if n == 0:
        return bgr, hidden, 0
    mask = cv2.dilate(coloured.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    dark = hi < PRINT_DARK
    hue = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[:, :, 0]
    out = bgr.copy()
    out[mask & ~dark] = 255
    # under a highlighter the print's grey shows in the channels it passes (red, green):
    # the brightest channel is the print as it would be on paper, so text keeps its edges
    see_through = np.zeros_like(coloured)
    for h0, h1 in TRANSLUCENT_HUES:
        see_through |= (hue >= h0) & (hue <= h1)
    glaze = mask & ~dark & (hue >= HIGHLIGHTER_HUES[0]) & (hue <= HIGHLIGHTER_HUES[1])
    # under a seal's red, grey print shows darker than the seal's own ink ever is
    glaze |= mask & ~dark & see_through & (hi < SEEN_THROUGH)
    out[glaze] = hi[glaze][:, None]
    opaque = coloured & ~see_through
    hidden[cv2.dilate(opaque.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 255
    if hidden.any():
        # where a pen crossed print, the print's strokes are carried over the gap from
        # both sides (a struck 0 read as a C otherwise); over paper this stays paper
        out = cv2.inpaint(out, hidden, 3, cv2.INPAINT_TELEA)
    return out, hidden, n


def page_quad(bgr: np.ndarray) -> np.ndarray | None:
    """The paper's four corners (tl, tr, br, bl; float32 pixels) when the image shows a
    background around it (a phone photo on a desk), else None.

    Paper is bright and near-neutral, a desk is darker or coloured: brightness less
    chroma, thresholded (Otsu) on a small copy, closed over the print; the largest
    region must be a convex quadrilateral leaving a visible margin of background.
    """
    h, w = bgr.shape[:2]
    f = max(1, round(max(h, w) / 800))
    small = cv2.resize(bgr, (w // f, h // f), interpolation=cv2.INTER_AREA).astype(np.int16)
    hi, lo = small.max(axis=2), small.min(axis=2)
    paper = np.clip(hi - 2 * (hi - lo), 0, 255).astype(np.uint8)
    paper = cv2.GaussianBlur(paper, (5, 5), 0)
    t, bw = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, k)
    bw = cv2.morphologyEx(bw, cv2.MORPH_OPEN, k)
    contours, _ = cv2.findContours(bw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    cnt = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(cnt)
    sh, sw = bw.shape
    if not 0.3 * sh * sw <= area <= 0.97 * sh * sw:
        return None  # no page, or the page fills the frame (a scan)
    hull = cv2.convexHull(cnt)
    if area < 0.95 * cv2.contourArea(hull):
        return None  # not one clean sheet
    peri = cv2.arcLength(hull, True)
    quad = cv2.approxPolyDP(hull, 0.02 * peri, True).reshape(-1, 2)
    if len(quad) != 4:
        return None
    # the background must show along every side: else it is a scan's dark edge
    margin = 0.01 * min(sh, sw)
    xs, ys = quad[:, 0], quad[:, 1]
    if min(xs.min(), ys.min(), sw - 1 - xs.max(), sh - 1 - ys.max()) < margin:
        return None
    return _order(quad.astype(np.float32) * f + (f - 1) / 2)


def _order(q: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    s, d = q.sum(axis=1), q[:, 0] - q[:, 1]
    return np.array([q[s.argmin()], q[d.argmax()], q[s.argmax()], q[d.argmin()]], np.float32)


def rectify(bgr: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The quadrilateral warped to an upright rectangle of its own edge lengths (so the
    dpi holds); returns the image and the 3x3 homography original → rectified."""
    tl, tr, br, bl = quad
    w = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    h = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(quad, dst)
    out = cv2.warpPerspective(
        bgr, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out, m


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
    """Upright (``turns`` clockwise quarters), a photo's page rectified, coloured marks
    off, light flat, skew out; see the module docstring. Every box of the result still
    maps to the original page (``offset``: where the image's top-left lies on it, in
    points, when the image is a clip of it)."""
    bgr, back = turn(bgr, turns)
    quad = page_quad(bgr) if bgr.ndim == 3 else None
    warp = np.eye(3)
    if quad is not None:
        bgr, warp = rectify(bgr, quad)
    clean, hidden, _ = separate_marks(bgr)
    gray = normalise_light(cv2.cvtColor(clean, cv2.COLOR_BGR2GRAY))
    ink = binarize(gray)
    angle = estimate_skew(ink)
    if abs(angle) >= 0.05:
        gray, m = rotate(gray, angle)
        hidden, _ = rotate(hidden, angle, border=0)
        ink = binarize(gray)
    else:
        angle, m = 0.0, np.array([[1.0, 0, 0], [0, 1.0, 0]])
    inverse = back @ np.linalg.inv(warp) @ np.vstack([cv2.invertAffineTransform(m), [0, 0, 1]])
    tf = Transform(inverse, 72.0 / dpi, angle, quad is not None, offset)
    return Prepared(gray, ink, tf, dpi, hidden if hidden.any() else None)
