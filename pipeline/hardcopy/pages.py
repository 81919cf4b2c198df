"""Pages in and out: render a born-digital page, find its tables, write image-only PDFs.

The hard copies are made from the filing's own geometry (its ruling lines and word boxes),
so that marks land on real table rows and a screenshot covers exactly the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pymupdf

# the rows of the applications table a mark is put on (their label's distinctive phrase)
APP_ROW_PHRASES = ("本年新收", "上年结转", "予以公开", "部分公开", "不掌握", "信访举报", "总计")


@dataclass(frozen=True)
class Word:
    rect: pymupdf.Rect
    text: str


def render(page: pymupdf.Page, dpi: int, gray: bool = False) -> np.ndarray:
    """The page as an RGB (or gray) uint8 array at ``dpi``."""
    cs = pymupdf.csGRAY if gray else pymupdf.csRGB
    pix = page.get_pixmap(dpi=dpi, colorspace=cs, alpha=False)
    img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    return img[:, :, 0].copy() if gray else img.copy()


def encode(img: np.ndarray, fmt: str, quality: int = 80) -> bytes:
    """JPEG (``fmt="jpg"``) or PNG bytes of an RGB or gray array (OpenCV wants BGR)."""
    arr = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    if fmt == "jpg":
        ok, buf = cv2.imencode(".jpg", arr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    else:
        ok, buf = cv2.imencode(".png", arr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:  # pragma: no cover - OpenCV fails only on an empty array
        raise ValueError("cannot encode the page image")
    return bytes(buf)


def add_image_page(doc: pymupdf.Document, data: bytes, shape: tuple[int, ...], dpi: float) -> None:
    """A page of the image's size at ``dpi`` with the image as its only content."""
    h, w = shape[:2]
    page = doc.new_page(width=w * 72.0 / dpi, height=h * 72.0 / dpi)
    page.insert_image(page.rect, stream=data)


def save(doc: pymupdf.Document, path: str) -> None:
    """Written without dates or random IDs, so one seed gives the same bytes."""
    doc.set_metadata({})
    doc.save(path, garbage=3, deflate=True, no_new_id=True)


def each_page(doc: pymupdf.Document) -> list[pymupdf.Page]:
    return [doc.load_page(i) for i in range(doc.page_count)]


def words(page: pymupdf.Page) -> list[Word]:
    return [Word(pymupdf.Rect(w[:4]), w[4]) for w in page.get_text("words")]


def table_rects(page: pymupdf.Page) -> list[pymupdf.Rect]:
    """The page's ruled tables: its line drawings grouped into blocks that touch vertically.

    A page without rulings (a borderless table) gives the block of its number-bearing lines.
    """
    rects = [tuple(d["rect"]) for d in page.get_drawings()]
    blocks: list[list[float]] = []  # [x0, y0, x1, y1]; by hand: a line's rect is "empty"
    for x0, y0, x1, y1 in sorted(rects, key=lambda r: r[1]):
        if blocks and y0 <= blocks[-1][3] + 4:
            b = blocks[-1]
            b[:] = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]
        else:
            blocks.append([x0, y0, x1, y1])
    out = [pymupdf.Rect(b) for b in blocks if b[3] - b[1] > 15 and b[2] - b[0] > 150]
    return out or _numbers_block(page)


def _numbers_block(page: pymupdf.Page) -> list[pymupdf.Rect]:
    """The span of lines holding several numbers (a borderless table), or nothing."""
    lines: dict[int, list[Word]] = {}
    for w in words(page):
        lines.setdefault(round(w.rect.y0 / 4), []).append(w)
    rows = [ws for ws in lines.values() if sum(w.text.isdigit() for w in ws) >= 3]
    if len(rows) < 3:
        return []
    block = _union([w.rect for ws in rows for w in ws])
    block.x0 = min(block.x0, 50)
    return [block + (-4, -4, 4, 4)]


def _line(ws: list[Word], label: Word) -> list[Word]:
    cy = (label.rect.y0 + label.rect.y1) / 2
    return [w for w in ws if w.rect.y0 - 2 <= cy <= w.rect.y1 + 2]


def _union(rects: list[pymupdf.Rect]) -> pymupdf.Rect:
    return pymupdf.Rect(
        min(r.x0 for r in rects),
        min(r.y0 for r in rects),
        max(r.x1 for r in rects),
        max(r.y1 for r in rects),
    )


def is_table_page(page: pymupdf.Page) -> bool:
    return bool(table_rects(page))


@dataclass(frozen=True)
class AppTable:
    """Where the applications table lies on one page: its block and its rows' word boxes."""

    page: int
    rect: pymupdf.Rect
    rows: dict[str, list[Word]]  # label phrase → the words on that row (label and numbers)
    inside: list[Word]  # every word in the block


def applications_table(doc: pymupdf.Document) -> AppTable | None:
    """The page holding most of the applications table's rows, with those rows."""
    best: AppTable | None = None
    for page in each_page(doc):
        ws = words(page)
        rows: dict[str, list[Word]] = {}
        for phrase in APP_ROW_PHRASES:
            # the row label, not a column header with the same word: the line with numbers
            lines = [_line(ws, w) for w in ws if phrase in w.text]
            lines = [ln for ln in lines if any(w.text.isdigit() for w in ln)]
            if lines:
                rows[phrase] = max(lines, key=lambda ln: sum(w.text.isdigit() for w in ln))
        if not rows or (best and len(best.rows) >= len(rows)):
            continue
        boxes = [w.rect for ws_ in rows.values() for w in ws_]
        blocks = [b for b in table_rects(page) if any(b.intersects(r) for r in boxes)]
        rect = blocks[0] if blocks else _union(boxes)
        inside = [w for w in ws if rect.contains(w.rect)]
        best = AppTable(page.number or 0, rect, rows, inside)
    return best
