"""How crops are fed to a 48-pixel-high CTC recogniser: sorted by shape, batched by width.

The recogniser's input is 48×W; every crop of a batch is scaled to height 48 and padded
on the right to the batch's width. rapidocr pads every batch to at least 320 pixels (its
training width) in batches of six, but most table crops are one to four digits, about
48 pixels wide: two thirds of the work was padding. Here crops are sorted by aspect
ratio, a batch is as wide as its widest crop (at least ``min_width``, in steps of
``step``), and a batch holds as many crops as fit a pixel budget, so narrow crops go in
large batches and long lines in small ones.

Measured on the devset scans' crops (docs/speed.md): narrow batches cut the recogniser's
CPU time about in half and read short cells a little more surely (rapidocr's 320-pixel
padding left 17 devset scan cells for review, none wrong either way). But the tiny
model's reading of a short number moves with the padding ("52" read "5 2" at 96 pixels,
"31" read "3 1" at 160), so the engine reads an unsure narrow crop (below
``RECHECK_BELOW``) again at the training width and keeps that reading, with the lower
confidence, where the two disagree (about one crop in ten is read twice).
Small batches (two lines' pixels) beat large ones on CPU time (1.8 s against 2.2 s for
eight lines and 3.1 s for 32 on the same crops), the activations staying in cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

HEIGHT = 48  # the PP-OCR recognisers' input height
MIN_WIDTH = 96  # narrowest batch: two digits with their padding (rapidocr pads to 320)
TRAINING_WIDTH = 320  # the width the recognisers were trained at (rapidocr pads to it)
RECHECK_BELOW = 0.95  # a narrow reading less sure than this is read again at that width
STEP = 8  # the recogniser downsamples the width by 8: widths in whole output steps
BUDGET = 48 * 320 * 2  # input pixels per channel per batch: two training-size lines


@dataclass(frozen=True)
class Batch:
    """Crops recognised together: their indices in the input and the padded width."""

    indices: tuple[int, ...]
    width: int


def scaled_width(shape: tuple[int, ...], height: int = HEIGHT) -> int:
    """The crop's width once scaled to ``height`` (at least one pixel)."""
    h, w = shape[:2]
    return max(1, math.ceil(height * w / max(h, 1)))


def plan(
    shapes: list[tuple[int, ...]],
    min_width: int = MIN_WIDTH,
    budget: int = BUDGET,
    step: int = STEP,
    height: int = HEIGHT,
) -> list[Batch]:
    """Batches covering every crop once: sorted by aspect ratio, each padded to its widest
    crop rounded up to ``step`` (at least ``min_width``), each within ``budget`` pixels
    (a crop wider than the budget goes alone)."""
    widths = [scaled_width(s, height) for s in shapes]
    order = sorted(range(len(shapes)), key=lambda i: (widths[i], i))
    batches: list[Batch] = []
    cur: list[int] = []
    width = min_width
    for i in order:  # narrowest first: a batch is as wide as its last crop
        w = max(min_width, math.ceil(widths[i] / step) * step)
        if cur and (len(cur) + 1) * w * height > budget:
            batches.append(Batch(tuple(cur), width))
            cur = []
        cur.append(i)
        width = w
    if cur:
        batches.append(Batch(tuple(cur), width))
    return batches


def tensor(crops: list[np.ndarray], width: int, height: int = HEIGHT) -> np.ndarray:
    """The batch input: each crop as 3×height×(its scaled width) in [-1, 1], zero-padded to
    ``width`` on the right (the normalisation PP-OCR's recognisers were trained with)."""
    out = np.zeros((len(crops), 3, height, width), dtype=np.float32)
    for k, c in enumerate(crops):
        w = min(width, scaled_width(c.shape, height))
        img = cv2.resize(c, (w, height)).astype(np.float32)
        norm: np.ndarray = (img / 255 - 0.5) / 0.5
        out[k, :, :, :w] = norm[None] if norm.ndim == 2 else norm.transpose(2, 0, 1)
    return out
