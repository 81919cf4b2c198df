"""Hard copies of a born-digital filing, made the way archives and users make them.

``make(src, variant, seed, out)`` writes one image-only PDF (the screenshot variant keeps its
prose as text). Deterministic for a (file, variant, seed): every random choice comes from one
``random.Random`` seeded with the three, and the PDF is written without dates or IDs.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from pipeline.hardcopy import marks
from pipeline.hardcopy.pages import (
    add_image_page,
    applications_table,
    each_page,
    encode,
    is_table_page,
    render,
    save,
    table_rects,
)


class Variant(StrEnum):
    """The hard copies gongkai is measured on (issue 10)."""

    ROTATED = "rotated"  # pages turned 90/180/270: the whole filing, or only its table pages
    SKEWED = "skewed"  # fed askew into the scanner: 3.5–8°, either sign
    PHOTO = "photo"  # a phone photo: perspective, a background, uneven light, blur, JPEG
    ONEBIT = "onebit"  # a fax: binarised at ~200 dpi, with dropouts
    LOWRES = "lowres"  # scanned at 96–120 dpi, JPEG
    MARKED = "marked"  # pen strokes over digits and a ruling, a highlighter row, a red seal
    BORDERLESS_SCAN = "borderless_scan"  # a borderless table, scanned
    SCREENSHOT = "screenshot"  # text layer for the prose, the table pasted as an image


@dataclass
class HardCopy:
    """What was made: the file, and per page what was done to it (for tests and reports)."""

    path: Path
    variant: Variant
    pages: int
    notes: list[str] = field(default_factory=list)
    rotations: list[int] = field(default_factory=list)  # degrees counter-clockwise, per page


def seeded(src: Path, variant: Variant, seed: int) -> random.Random:
    """One generator per (file name, variant, seed): the same copy wherever it is made."""
    key = f"{src.name}|{variant}|{seed}".encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def make(src: Path, variant: Variant | str, seed: int, out: Path) -> HardCopy:
    """Write the ``variant`` hard copy of the born-digital PDF ``src`` to ``out``."""
    v = Variant(variant)
    rng = seeded(src, v, seed)
    made = HardCopy(out, v, 0)
    with pymupdf.open(src) as doc:
        if v == Variant.SCREENSHOT:
            _screenshot(doc, rng, made)
            save(doc, str(out))
        else:
            with pymupdf.open() as new:
                _IMAGE_MAKERS[v](doc, new, rng, made)
                save(new, str(out))
        made.pages = len(doc)
    return made


def _noise(img: np.ndarray, rng: random.Random, sigma: float, blur: float = 0.0) -> np.ndarray:
    """Sensor noise, then (``blur``) the optics' softness, which also keeps the JPEG small."""
    gen = np.random.default_rng(rng.randrange(2**32))
    noisy = np.clip(img.astype(np.float32) + gen.normal(0, sigma, img.shape), 0, 255)
    out = noisy.astype(np.uint8)
    return cv2.GaussianBlur(out, (0, 0), blur) if blur else out


def _rotated(doc: pymupdf.Document, new: pymupdf.Document, rng: random.Random, made: HardCopy):
    whole = rng.random() < 0.5
    turn = rng.choice((90, 180, 270)) if whole else rng.choice((90, 270))
    made.notes.append(f"{'every page' if whole else 'table pages'} turned {turn}°")
    for page in each_page(doc):
        angle = turn if whole or is_table_page(page) else 0
        img = _noise(render(page, 200, gray=True), rng, 2.5, 0.6)
        img = np.ascontiguousarray(np.rot90(img, k=angle // 90))
        made.rotations.append(angle)
        add_image_page(new, encode(img, "jpg", 75), img.shape, 200)


def _rotate_by(img: np.ndarray, degrees: float, fill: int | tuple[int, ...]) -> np.ndarray:
    """``img`` turned by ``degrees`` (counter-clockwise), the canvas grown to hold it all."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c), int(h * c + w * s)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=fill)


def _skewed(doc: pymupdf.Document, new: pymupdf.Document, rng: random.Random, made: HardCopy):
    for page in each_page(doc):
        deg = rng.uniform(3.5, 8.0) * rng.choice((-1, 1))
        made.notes.append(f"p{page.number}: {deg:+.1f}°")
        img = _rotate_by(render(page, 200, gray=True), deg, 255)
        img = _noise(img, rng, 2.5, 0.6)
        add_image_page(new, encode(img, "jpg", 75), img.shape, 200)


def _photo(doc: pymupdf.Document, new: pymupdf.Document, rng: random.Random, made: HardCopy):
    dpi = 160
    for page in each_page(doc):
        img = render(page, dpi)
        h, w = img.shape[:2]
        margin = int(0.08 * w)
        cw, ch = w + 2 * margin, h + 2 * margin
        gen = np.random.default_rng(rng.randrange(2**32))
        # a desk: brownish, textured
        base = np.array([rng.randint(90, 140), rng.randint(70, 100), rng.randint(50, 80)])
        bg = (base + gen.normal(0, 12, (ch // 8 + 1, cw // 8 + 1, 1))).astype(np.float32)
        desk = cv2.resize(bg, (cw, ch), interpolation=cv2.INTER_CUBIC)
        canvas = np.clip(desk, 0, 255).astype(np.uint8)
        j = 0.035 * w  # how far each corner strays: the phone is not square to the page
        corners = [
            (margin + 0.02 * w, margin),
            (cw - margin - 0.02 * w, margin),
            (cw - margin + 0.01 * w, ch - margin),
            (margin - 0.01 * w, ch - margin),
        ]
        dst_q = np.array(
            [(x + rng.uniform(-j, j), y + rng.uniform(-j, j)) for x, y in corners], np.float32
        )
        src_q = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        m = cv2.getPerspectiveTransform(src_q, dst_q)
        warped = cv2.warpPerspective(img, m, (cw, ch), flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (cw, ch))
        canvas[mask > 0] = warped[mask > 0]
        # light from one side, darker towards a corner
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        a = rng.uniform(0, 2 * math.pi)
        ramp = (xx / cw - 0.5) * math.cos(a) + (yy / ch - 0.5) * math.sin(a)
        light = 0.88 + 0.3 * ramp + rng.uniform(-0.03, 0.03)
        canvas = np.clip(canvas * light[..., None], 0, 255).astype(np.uint8)
        canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.6, 1.0))
        canvas = _noise(canvas, rng, 3)
        made.notes.append(f"p{page.number}: light from {math.degrees(a):.0f}°")
        add_image_page(new, encode(canvas, "jpg", 72), canvas.shape, dpi)


def _onebit(doc: pymupdf.Document, new: pymupdf.Document, rng: random.Random, made: HardCopy):
    for page in each_page(doc):
        img = _noise(render(page, 200, gray=True), rng, 10)
        bw = np.where(img < rng.randint(175, 195), 0, 255).astype(np.uint8)
        gen = np.random.default_rng(rng.randrange(2**32))
        drop = gen.random(bw.shape) < 0.03  # ink the fax lost
        bw[drop & (bw == 0)] = 255
        # streaks where the line was noisy: a few thin white rows across the page
        for _ in range(rng.randint(1, 4)):
            y = rng.randrange(bw.shape[0])
            bw[y : y + 1, :] = np.maximum(bw[y : y + 1, :], 255 * (gen.random(bw.shape[1]) < 0.6))
        add_image_page(new, encode(bw, "png"), bw.shape, 200)


def _lowres(doc: pymupdf.Document, new: pymupdf.Document, rng: random.Random, made: HardCopy):
    dpi = rng.randint(96, 120)
    made.notes.append(f"{dpi} dpi")
    for page in each_page(doc):
        img = _noise(render(page, dpi, gray=True), rng, 3)
        add_image_page(new, encode(img, "jpg", rng.randint(60, 75)), img.shape, dpi)


def _marked(doc: pymupdf.Document, new: pymupdf.Document, rng: random.Random, made: HardCopy):
    dpi = 200
    scale = dpi / 72
    table = applications_table(doc)
    for page in each_page(doc):
        img = render(page, dpi)
        if table is not None and page.number == table.page:
            n = marks.pen_over_digits(img, table, scale, rng)
            marks.pen_along_ruling(img, table, scale, rng)
            marks.highlighter(img, table, scale, rng)
            marks.seal(img, table.rect, scale, rng)
            made.notes.append(f"p{page.number}: {n} digits struck, a ruling, a row, a seal")
        img = _noise(img, rng, 2.5, 0.6)
        add_image_page(new, encode(img, "jpg", 78), img.shape, dpi)


def _borderless_scan(doc: pymupdf.Document, new: pymupdf.Document, rng: random.Random, made):
    for page in each_page(doc):
        img = render(page, 200, gray=True)
        img = _rotate_by(img, rng.uniform(-0.6, 0.6), 255)
        img = _noise(img, rng, 2.5, 0.6)
        add_image_page(new, encode(img, "jpg", 75), img.shape, 200)


def _screenshot(doc: pymupdf.Document, rng: random.Random, made: HardCopy) -> None:
    """Each table region: rendered to a PNG, its words redacted, the PNG put in its place."""
    dpi = rng.choice((110, 130, 150))  # a screen's resolution, not a scanner's
    for page in each_page(doc):
        rects = [r + (-2, -1, 2, 1) for r in table_rects(page)]
        if not rects:
            continue
        shots = [render_clip(page, r, dpi) for r in rects]
        for r in rects:  # a little inside: a heading's descenders just above stay
            page.add_redact_annot(r + (0, 2, 0, -2))
        page.apply_redactions(images=0)  # PDF_REDACT_IMAGE_NONE: no image to touch
        for r, png in zip(rects, shots, strict=True):
            page.insert_image(r, stream=png)
        made.notes.append(f"p{page.number}: {len(rects)} table(s) as images at {dpi} dpi")


def render_clip(page: pymupdf.Page, rect: pymupdf.Rect, dpi: int) -> bytes:
    return page.get_pixmap(dpi=dpi, clip=rect, alpha=False).tobytes("png")


_IMAGE_MAKERS = {
    Variant.ROTATED: _rotated,
    Variant.SKEWED: _skewed,
    Variant.PHOTO: _photo,
    Variant.ONEBIT: _onebit,
    Variant.LOWRES: _lowres,
    Variant.MARKED: _marked,
    Variant.BORDERLESS_SCAN: _borderless_scan,
}
