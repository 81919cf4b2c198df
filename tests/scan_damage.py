"""Synthetic damage to real scanned pages: the harsher scans of issue 10, made on demand.

A devset scan's pages are taken as images; the page holding table 三 is hurt the way the
issue's scans were — a pen stroke (white or blue) over one of its horizontal rules, a rule
dropped out entirely, or the whole page binarised to 1 bit and sampled down to 100 dpi —
and the pages are written back as an image-only PDF of the same size, so the scan reader
sees them exactly as it sees a scan. Everything is seeded: a damage is named by its kind
and the rule it hits.

Also a script: ``python -m tests.scan_damage OUT`` writes every damage of every devset
scan into OUT, for scoring with ``score.py --only <kind>``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from pipeline.read.scan.grid import find_grids
from pipeline.read.scan.prepare import prepare
from pipeline.read.scan.render import pdf_pages

DEVSET = Path("/work/shared/devset")
KINDS = ("stroke_white", "stroke_blue", "dropout", "lowres")


def table_rules(img: np.ndarray, dpi: float) -> list[tuple[int, int, int]]:
    """The inner horizontal rules (y, x0, x1 in pixels) of the page's tallest grid."""
    p = prepare(img, dpi, 0)
    grids = find_grids(p.ink, p.dpi)
    if not grids:
        return []
    g = max(grids, key=lambda g: len(g.ys))
    x0, x1 = round(g.xs[0]), round(g.xs[-1])
    # prepare() may deskew: map the rule's ends back to the original pixels
    out = []
    for y in g.ys[1:-1]:
        (ax, ay), (bx, by) = p.transform.to_original(np.array([[x0, y], [x1, y]], dtype=float))
        out.append((round(float((ay + by) / 2)), round(float(ax)), round(float(bx))))
    return out


def damage(img: np.ndarray, dpi: float, kind: str, rng: random.Random) -> np.ndarray:
    """A copy of the page image hurt by ``kind`` (see :data:`KINDS`)."""
    out = img.copy()
    if kind == "lowres":
        gray = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
        small = cv2.resize(gray, None, fx=100 / dpi, fy=100 / dpi, interpolation=cv2.INTER_AREA)
        _, bw = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        big = cv2.resize(bw, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_NEAREST)
        return cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
    rules = table_rules(img, dpi)
    if not rules:
        return out
    y, x0, x1 = rng.choice(rules[2:] or rules)  # below the header: between rows of data
    t = max(2, round(dpi / 40))
    if kind == "dropout":
        cv2.line(out, (x0 - t, y), (x1 + t, y), (255, 255, 255), 2 * t + 1)
        return out
    # a stroke over part of the rule, across the value columns (it wavers a little)
    w = x1 - x0
    a = x0 + round(w * rng.uniform(0.3, 0.5))
    b = x0 + round(w * rng.uniform(0.8, 1.0))
    colour = (255, 255, 255) if kind == "stroke_white" else (200, 120, 40)
    pts = np.array(
        [(x, y + round(rng.uniform(-0.3, 0.3) * t)) for x in range(a, b, max(1, (b - a) // 8))],
        dtype=np.int32,
    )
    cv2.polylines(out, [pts], False, colour, 2 * t + 1)
    return out


def damaged_pdf(src: Path, kind: str, seed: int, dst: Path) -> None:
    """``src`` (a devset scan) with its table-三 page (its tallest grid) hurt, as a PDF."""
    rng = random.Random(seed)
    imgs = list(pdf_pages(src, 400))
    tallest = max(range(len(imgs)), key=lambda i: len(table_rules(imgs[i].image, imgs[i].dpi)))
    doc = pymupdf.open()
    for i, pg in enumerate(imgs):
        img = damage(pg.image, pg.dpi, kind, rng) if i == tallest or kind == "lowres" else pg.image
        binary = kind == "lowres"  # a 1-bit page stays 1 bit: PNG; the others JPEG, as scanned
        ok, data = cv2.imencode(".png" if binary else ".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        page = doc.new_page(width=pg.width_pt, height=pg.height_pt)
        page.insert_image(page.rect, stream=data.tobytes())
    doc.save(dst)


def main(out: Path, seeds: int = 1) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for src in sorted((DEVSET / "pdf").glob("*.scan.pdf")):
        doc = src.name.split(".")[0]
        for kind in KINDS:
            for seed in range(1 if kind == "lowres" else seeds):
                damaged_pdf(src, kind, seed, out / f"{doc}.{kind}{seed}.pdf")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
