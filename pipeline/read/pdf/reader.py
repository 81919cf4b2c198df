"""Reader for born-digital PDFs: the text layer plus the vector rules, in reading order.

Ruled tables are rebuilt from the drawn lines (a grid, with merged cells found where a
rule is missing), so no table detector is needed (``find_tables`` costs ~0.5 s a page).
Text outside ruled tables is grouped into lines; lines ending in standalone numbers are
the rows of borderless tables, whose wrapped labels are attached to the row they are
centred on. A line elsewhere is one cell, or one cell per run of text where it has wide
gaps (a table header); page numbers are dropped. A text layer that is absent or garbage
raises :class:`NeedsOCR` instead of being read as nonsense.

A table pasted as an image on a text page (``images``) is read by OCR through the
``clips`` reader the caller passes (the OCR reader is loaded only when a file has one), its
rows merged with the page's by their place on it; the reading then counts as OCR.

This module opens the PDF and runs the page loop; the work is done in its siblings:
``words`` (words from characters), ``ruled`` (ruled tables), ``borderless`` (text
outside them), ``images`` (tables as pictures) and ``textlayer`` (checks).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pymupdf

from pipeline.model.records import ReaderKind, Reading, Row
from pipeline.read.borderless import free_text
from pipeline.read.pdf.images import ClipReader, outside, table_images
from pipeline.read.pdf.ruled import Table, fill, stitch, table_rows, tables
from pipeline.read.pdf.textlayer import missing_tables, unusable_pages
from pipeline.read.pdf.words import page_words
from pipeline.read.words import Word


class NeedsOCR(Exception):
    """The text layer is missing or garbage: on every page, or only on ``pages`` (from 1),
    the others read into ``partial`` (a mixed PDF: scanned pages among text ones)."""

    def __init__(
        self, message: str, pages: frozenset[int] = frozenset(), partial: Reading | None = None
    ) -> None:
        super().__init__(message)
        self.pages = pages
        self.partial = partial


class BadPDF(Exception):
    """Not a PDF, corrupt, truncated or without pages."""


class Encrypted(Exception):
    """The PDF is password-protected."""


def _check_text(
    path: Path, doc: pymupdf.Document, texts: list[str]
) -> tuple[set[int], list[str], str | None]:
    """The pages to skip and notes; and, when the tables are not all in the usable text,
    why the skipped pages need OCR. Raises when no page has usable text.

    Unusable pages (see :func:`pipeline.read.pdf.textlayer.unusable_pages`) only matter when the
    text of the others lacks the tables.
    """
    unusable, empty = unusable_pages(doc, texts)
    if empty and (doc.is_repaired or len(empty) == len(texts)):
        where = "damaged: " if doc.is_repaired else ""
        raise BadPDF(f"{path}: {where}no content on {_pages(empty, len(texts))}")
    if not unusable:
        return set(), [], None
    pages = _pages([i + 1 for i in unusable], len(texts))
    reasons = "; ".join(sorted(set(unusable.values())))
    good = "".join(t for i, t in enumerate(texts) if i not in unusable)
    if len(good.strip()) < 20:
        raise NeedsOCR(f"{path.name}: no usable text layer ({pages}: {reasons})")
    missing = missing_tables(good)
    if missing:
        why = (
            f"{path.name}: no usable text on {pages} ({reasons}) and the other pages "
            f"lack the table(s) {', '.join(missing)}"
        )
        return set(unusable), [f"{pages} read by OCR: {reasons}"], why
    return set(unusable), [f"{pages} skipped: {reasons}"], None


def _pages(numbers: list[int], total: int, cap: int = 80) -> str:
    """Page numbers as ranges (``pages 2–5, 9``), short enough for one line of a log."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    if len(text) > cap:
        return f"{len(numbers)} of {total} pages"
    return f"pages {text}"


def _open(path: Path) -> pymupdf.Document:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise BadPDF(f"{path}: cannot read the file ({e.strerror or e})") from e
    if not data:
        raise BadPDF(f"{path}: the file is empty")
    if b"%PDF-" not in data[:1024]:
        raise BadPDF(f"{path}: not a PDF (no %PDF- header)")
    cut = "" if b"%%EOF" in data[-2048:] else ", truncated: no %%EOF at its end"
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # MuPDF reports corruption with several exception types
        raise BadPDF(f"{path}: corrupt PDF that cannot be opened ({e}{cut})") from e
    if doc.needs_pass:
        doc.close()
        raise Encrypted(f"{path}: the PDF is password-protected")
    if doc.page_count == 0:
        doc.close()
        raise BadPDF(f"{path}: the PDF has no pages{cut or ' (corrupt)'}")
    return doc


def read_pdf(path: Path, clips: ClipReader | None = None) -> Reading:
    """Rows of a born-digital PDF in reading order; see the module docstring.

    ``clips``: reads a table pasted as an image; without it such tables are left unread
    (a note says so)."""
    doc = _open(path)
    notes = ["the file was damaged and repaired when opened"] if doc.is_repaired else []
    try:
        words: list[list[Word]] = []
        drawings: list[list[dict]] = []
        for i in range(doc.page_count):
            try:
                page = doc.load_page(i)
                words.append(page_words(page))
                drawings.append(page.get_drawings() if words[-1] else [])
            except Exception as e:  # a damaged page tree or content stream
                raise BadPDF(f"{path}: page {i + 1} cannot be read ({e})") from e
        try:
            skip, more, ocr = _check_text(
                Path(path), doc, [" ".join(w.text for w in ws) for ws in words]
            )
            heights = [doc[i].rect.height for i in range(len(words))]
        except (BadPDF, NeedsOCR):
            raise
        except Exception as e:  # a page broken in a way only a second look shows
            why = f"{len(words)} pages, then {doc.page_count} after repair"
            why = why if doc.page_count != len(words) else f"{type(e).__name__}: {e}"
            raise BadPDF(f"{path}: damaged: its pages cannot be read ({why})") from e
        notes += more
        timings: dict[str, float] = defaultdict(float)
        shots = _shots(doc, words, skip, clips, timings, notes)
    finally:
        doc.close()
    kind = ReaderKind.OCR if any(shots) else ReaderKind.PDF  # a blank there is unknown
    rows = _rows(words, drawings, skip, heights, shots)
    reading = Reading(kind, rows, len(heights), tuple(notes), tuple(timings.items()))
    if ocr is not None:
        raise NeedsOCR(ocr, frozenset(i + 1 for i in skip), reading)
    return reading


def _shots(
    doc: pymupdf.Document,
    words: list[list[Word]],
    skip: set[int],
    ocr: ClipReader | None,
    timings: dict[str, float],
    notes: list[str],
) -> list[list[Row]]:
    """Per page, the rows read by OCR from its tables pasted as images (their words, if
    any, taken out of ``words``: read once, by the OCR)."""
    out: list[list[Row]] = [[] for _ in words]
    for i, ws in enumerate(words):
        if i in skip or not ws:
            continue
        page = doc.load_page(i)
        boxes = table_images(page, ws)
        if not boxes:
            continue
        if ocr is None:
            notes.append(f"page {i + 1}: {len(boxes)} image(s) that may be tables left unread")
            continue
        words[i] = outside(ws, boxes)
        for box in boxes:
            out[i].extend(ocr(page, box, timings))
        notes.append(f"page {i + 1}: {len(boxes)} image(s) that may be tables read by OCR")
    return out


def _rows(
    words: list[list[Word]],
    drawings: list[list[dict]],
    skip: set[int],
    heights: list[float],
    shots: list[list[Row]],
) -> tuple[Row, ...]:
    pages: list[list[tuple[float, Row | Table]]] = []
    for i, (ws, dr) in enumerate(zip(words, drawings, strict=True)):
        items: list[tuple[float, Row | Table]] = []
        if i not in skip:
            # by their tops: the text's rows come by their centres, but no text row lies
            # within an image read by OCR (its words are the OCR's)
            items.extend((r.origin.bbox[1] if r.origin.bbox else 0.0, r) for r in shots[i])
            rest = ws
            for t in tables(i + 1, dr):
                t, rest = fill(t, rest)
                if any(c.text for c in t.cells):
                    items.append((t.ys[0], t))
            items.extend(free_text(i + 1, rest, (0.08 * heights[i], 0.9 * heights[i])))
        items.sort(key=lambda it: it[0])
        pages.append(items)
    for i in range(1, len(pages)):  # ignoring running heads and page numbers
        a, b = pages[i - 1], pages[i]
        prev = [
            k for k, (y, it) in enumerate(a) if isinstance(it, Table) or y < 0.9 * heights[i - 1]
        ]
        nxt = [k for k, (y, it) in enumerate(b) if isinstance(it, Table) or y > 0.1 * heights[i]]
        if prev and nxt:
            (ya, ta), (yb, tb) = a[prev[-1]], b[nxt[0]]
            if isinstance(ta, Table) and isinstance(tb, Table):
                ta, tb = stitch(ta, tb)
                a[prev[-1]], b[nxt[0]] = (ya, ta), (yb, tb)
    out: list[Row] = []
    for items in pages:
        for _, it in items:
            out.extend(r for _, r in table_rows(it)) if isinstance(it, Table) else out.append(it)
    return tuple(out)
