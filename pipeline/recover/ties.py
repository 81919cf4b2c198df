"""Are an OCR'd row's values tied to its label? The geometry of the page says.

A scan's grid comes from its rules. A rule lost under a pen stroke or a seal, dropped out
of a fax or broken at 100 dpi merges two rows; a stroke taken for a rule cuts one in two.
Then a row's numbers land in the row above or below, or two rows' numbers run together
(11 over 66 read as 1166) — and a whole row moved keeps every column and row sum true, so
the identities cannot see it. What can: the value cells' vertical band against the label
rows' bands, and the text. A row is *untied* when

- a value cell (or its label cell) reaches over a good part of another row's band: the
  rule between them is missing (both rows are untied);
- a value cell holds two numbers, one over the other or set apart ("11 66");
- its label holds two item labels of one level (``4.… 5.…``): two rows in one band;
- its band is much shorter than the table's median band: a stroke split a row (it and
  the rows beside it are untied, the halves' contents belong to either).

The matcher then places its cells with :attr:`Placement.untied`: weak, and never to
stand as read (``row_uncertain``). Only geometry from an OCR reader is judged: a text
layer's rows are where the PDF says.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from pipeline.model.config import Settings
from pipeline.model.numbers import is_blank
from pipeline.model.records import BBox, CellText
from pipeline.recover.rows import TableRow

# two numbers in one cell: digits, a gap, digits (the scan reader joins a cell's lines
# with a space between non-CJK texts)
_TWO_NUMBERS = re.compile(r"\d[\s\u3000]+[-+]?\d")
_ITEM = re.compile(r"(?<![0-9])[0-9]{1,2}\s*[.、．]")
_GROUP = re.compile(r"[（(][一二三四五六七八九十]{1,2}[)）]")
_PART = re.compile(r"[一二三四五六七八九十]{1,2}、")

Span = tuple[float, float]


def _ys(box: BBox | None) -> Span | None:
    return None if box is None else (box[1], box[3])


def _overlap(a: Span, b: Span) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _band(tr: TableRow) -> Span | None:
    """The row's band: the read row's box, else its label cell's, else its cells' extent."""
    own = _ys(tr.row.origin.bbox)
    if own is not None:
        return own
    label = _label_cell(tr)
    if label is not None:
        return _ys(label.origin.bbox)
    boxes = [c.origin.bbox for c in tr.row.cells if c.origin.bbox]
    if not boxes:
        return None
    return min(b[1] for b in boxes), max(b[3] for b in boxes)


def _page(tr: TableRow) -> int | None:
    if tr.row.origin.page is not None:
        return tr.row.origin.page
    return next((c.origin.page for c in tr.row.cells if c.origin.page is not None), None)


def _label_cell(tr: TableRow) -> CellText | None:
    """The innermost label cell with text: the row's own label (outer ones are groups)."""
    n = len(tr.row.cells) - len(tr.values)
    texts = [c for c in tr.row.cells[:n] if c.text.strip() and c.origin.bbox]
    return texts[-1] if texts else None


def two_labels(label: str) -> bool:
    """Two item labels of one level in one label: two rows' labels in one band."""
    return any(len(p.findall(label)) >= 2 for p in (_ITEM, _GROUP, _PART))


def two_numbers(text: str) -> bool:
    """Two numbers in one cell, stacked or set apart."""
    return bool(_TWO_NUMBERS.search(text.strip()))


def untied(rows: Sequence[TableRow], settings: Settings | None = None) -> dict[int, str]:
    """The rows (by index) whose values the geometry does not tie to their label, each with
    why; see the module docstring. Rows without boxes are left alone."""
    cfg = Settings.resolve(settings)
    bands = [_band(tr) for tr in rows]
    pages = [_page(tr) for tr in rows]
    data = [i for i, tr in enumerate(rows) if tr.values and bands[i] is not None]
    heights = [b[1] - b[0] for i in data if (b := bands[i]) is not None and b[1] > b[0]]
    median = statistics.median(heights) if heights else 0.0
    out: dict[int, str] = {}

    def mark(i: int, why: str) -> None:
        out.setdefault(i, why)

    for i in data:
        tr, band = rows[i], bands[i]
        assert band is not None
        filled = [v for v in tr.values if not is_blank(v.text)]
        if any(two_numbers(v.text) for v in filled):
            mark(i, "two numbers in one cell")
        if two_labels(tr.label):
            mark(i, "two row labels in one band")
        if median and band[1] - band[0] < cfg.short_row * median:
            mark(i, "a band cut short")
            for j in (i - 1, i + 1):
                if 0 <= j < len(rows) and rows[j].values:
                    mark(j, "beside a band cut short")
        label = _label_cell(tr)
        reach = [v for v in filled if v.origin.bbox] + ([label] if label is not None else [])
        for c in reach:
            ys = _ys(c.origin.bbox)
            assert ys is not None
            if _overlap(ys, band) < 0.5 * min(ys[1] - ys[0], band[1] - band[0]):
                mark(i, "a value outside its row's band")
            for j, other in enumerate(bands):
                if j == i or other is None or other[1] <= other[0] or pages[j] != pages[i]:
                    continue  # (a table over two pages: each page's y starts again)
                if _overlap(ys, other) > cfg.tie_overlap * (other[1] - other[0]):
                    mark(i, "a cell over two rows' bands")
                    mark(j, "a cell over two rows' bands")
    return out
