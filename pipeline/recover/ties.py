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
- its own label cell holds two item labels of one level (``4.… 5.…``): two rows in one
  band;
- its label was read in another band than its values (a label-only row rejoined with the
  row of values below it: the rule between them may be the one lost);
- its band is much shorter than the table's one-line band: a stroke split a row (it and
  the rows beside it are untied, the halves' contents belong to either).

The matcher then places its cells with :attr:`Placement.untied`: weak, and never to
stand as read (``row_uncertain``). Only geometry from an OCR reader is judged: a text
layer's rows are where the PDF says. A scanned borderless row built from its words
(``Row.aligned``) has no rule to lose: only its text is judged (its label rejoined, two
labels or two numbers in one cell), not its band.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from pipeline.model.config import Settings
from pipeline.model.numbers import is_blank
from pipeline.model.records import BBox, CellText
from pipeline.recover.rows import TableRow, split_row

# two numbers in one cell: digits, a gap, digits (the scan reader joins a cell's lines
# with a space between non-CJK texts)
_TWO_NUMBERS = re.compile(r"\d[\s\u3000]+[-+]?\d")
_ITEM = re.compile(r"(?<![0-9])[0-9]{1,2}\s*[.、．]")
_GROUP = re.compile(r"[（(][一二三四五六七八九十]{1,2}[)）]")
_PART = re.compile(r"[一二三四五六七八九十]{1,2}、")

Span = tuple[float, float]


def _ys(box: BBox | None, slope: float = 0.0) -> Span | None:
    """A box's vertical extent on the upright page.

    A deskewed scan's boxes come back to the page as the boxes enclosing tilted cells:
    taller by their width × the tilt, and lower the further right they are. Both are
    undone with the tilt ``slope`` (dy/dx) of the table's rows.
    """
    if box is None:
        return None
    x0, y0, x1, y1 = box
    cy = (y0 + y1) / 2 - slope * (x0 + x1) / 2
    h = max(y1 - y0 - abs(slope) * (x1 - x0), 0.3 * (y1 - y0))
    return cy - h / 2, cy + h / 2


def _slope(rows: Sequence[TableRow]) -> float:
    """The tilt of the rows (dy/dx): the value cells of one row share its band, so their
    centres rise or fall only with the page's tilt; the median over the rows."""
    slopes = []
    for tr in rows:  # (of one page: each page of a scan has its own tilt)
        boxes = [v.origin.upright for v in tr.values if v.origin.upright]
        if len(boxes) < 2:
            continue
        a, b = boxes[0], boxes[-1]
        dx = (b[0] + b[2] - a[0] - a[2]) / 2
        if dx > 0 and abs((b[3] - b[1]) - (a[3] - a[1])) < 0.2 * (a[3] - a[1]):
            slopes.append((b[1] + b[3] - a[1] - a[3]) / 2 / dx)
    return statistics.median(slopes) if slopes else 0.0


def _overlap(a: Span, b: Span) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _band(tr: TableRow, slope: float) -> Span | None:
    """The row's band: the read row's box, else its label cell's, else its cells' extent."""
    own = _ys(tr.row.origin.upright, slope)
    if own is not None:
        return own
    label = _label_cell(tr)
    if label is not None:
        return _ys(label.origin.upright, slope)
    spans = [y for c in tr.row.cells if (y := _ys(c.origin.upright, slope)) is not None]
    if not spans:
        return None
    return min(a for a, _ in spans), max(b for _, b in spans)


def _page(tr: TableRow) -> int | None:
    if tr.row.origin.page is not None:
        return tr.row.origin.page
    return next((c.origin.page for c in tr.row.cells if c.origin.page is not None), None)


def _label_cell(tr: TableRow) -> CellText | None:
    """The innermost label cell with text: the row's own label (outer ones are groups)."""
    n = len(tr.row.cells) - len(tr.values)
    texts = [c for c in tr.row.cells[:n] if c.text.strip() and c.origin.upright]
    return texts[-1] if texts else None


def two_labels(label: str) -> bool:
    """Two item labels of one level in one label: two rows' labels in one band. (One label
    read twice — a merged cell over it holds the same ink — is one row.)"""
    return any(
        len({re.sub(r"\s", "", m) for m in p.findall(label)}) >= 2 for p in (_ITEM, _GROUP, _PART)
    )


def two_numbers(text: str) -> bool:
    """Two numbers in one cell, stacked or set apart."""
    return bool(_TWO_NUMBERS.search(text.strip()))


def _line_height(heights: Sequence[float]) -> float:
    """The height of a row whose label is one line: the lower quartile of table 三's rows
    (most wrap their label over two lines or more), the median of a short table's."""
    if len(heights) >= 12:
        return statistics.quantiles(heights, n=4)[0]
    return statistics.median(heights) if heights else 0.0


def untied(rows: Sequence[TableRow], settings: Settings | None = None) -> dict[int, str]:
    """The rows (by index) whose values the geometry does not tie to their label, each with
    why; see the module docstring. Rows without boxes are left alone."""
    cfg = Settings.resolve(settings)
    pages = [_page(tr) for tr in rows]
    slopes = {p: _slope([tr for tr, q in zip(rows, pages, strict=True) if q == p]) for p in pages}
    bands = [_band(tr, slopes[p]) for tr, p in zip(rows, pages, strict=True)]
    data = [i for i, tr in enumerate(rows) if tr.values and bands[i] is not None]
    heights = [b[1] - b[0] for i in data if (b := bands[i]) is not None and b[1] > b[0]]
    line = _line_height(heights)
    out: dict[int, str] = {}

    def mark(i: int, why: str) -> None:
        out.setdefault(i, why)

    for i in data:
        tr, band = rows[i], bands[i]
        assert band is not None
        filled = [v for v in tr.values if not is_blank(v.text)]
        if any(two_numbers(v.text) for v in filled):
            mark(i, "two numbers in one cell")
        if split_row(tr.row).label != tr.label:
            mark(i, "its label read in another band")  # rejoined (rows.join_detached)
        label = _label_cell(tr)
        if label is not None and two_labels(label.text):  # (outer cells hold group labels)
            mark(i, "two row labels in one band")
        if tr.row.aligned:
            continue  # no rule to lose: its band is its words' (a wrapped label's is tall)
        if line and band[1] - band[0] < cfg.short_row * line:
            mark(i, "a band cut short")
            for j in (i - 1, i + 1):
                if 0 <= j < len(rows) and rows[j].values and not rows[j].row.aligned:
                    mark(j, "beside a band cut short")
        reach = [v for v in filled if v.origin.upright] + ([label] if label is not None else [])
        for c in reach:
            ys = _ys(c.origin.upright, slopes[pages[i]])
            assert ys is not None
            if _overlap(ys, band) < 0.5 * min(ys[1] - ys[0], band[1] - band[0]):
                mark(i, "a value outside its row's band")
            for j, other in enumerate(bands):
                if j == i or other is None or other[1] <= other[0] or pages[j] != pages[i]:
                    continue  # (a table over two pages: each page's y starts again)
                if _overlap(ys, other) > cfg.tie_overlap * (other[1] - other[0]):
                    mark(i, "a cell over two rows' bands")
                    if not rows[j].row.aligned:
                        mark(j, "a cell over two rows' bands")
    return out
