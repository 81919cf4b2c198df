"""Which reader reads a file: the text extraction, the PDF text layer, or OCR of its images.

A PDF whose text layer is missing or garbage (``NeedsOCR``) goes to OCR; image files go
there directly; a table pasted as an image on a text page is read by OCR within the PDF
reading (:func:`_read_clip`). The OCR reader is imported only when a file needs it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.model.records import BBox, ReaderKind, Reading, Row
from pipeline.read.markdown import read_markdown
from pipeline.read.text import read_text

if TYPE_CHECKING:
    import pymupdf

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    **{s: "image" for s in IMAGE_SUFFIXES},
}


class UnsupportedInput(Exception):
    """The file's type is not one gongkai reads."""


def read(path: Path) -> Reading:
    """The reader for the file: text extraction, PDF text layer, or OCR where that fails."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind == "text":
        return read_text(path)
    if kind == "markdown":
        return read_markdown(path)
    if kind == "pdf":
        from pipeline.read.pdf.reader import NeedsOCR, read_pdf  # PyMuPDF: only for PDFs

        try:
            return read_pdf(path, _read_clip)
        except NeedsOCR as e:
            if e.partial is not None and e.pages:
                return _mixed(path, e.partial, e.pages, str(e))
            return _read_scan(path, str(e))
    if kind == "image":
        return _read_scan(path, "an image file")
    raise UnsupportedInput(
        f"unsupported file type {path.suffix or '(none)'!r}: "
        f"expected .txt, .md, .pdf or an image ({', '.join(IMAGE_SUFFIXES)})"
    )


def page_count(path: Path) -> int | None:
    """How many pages the file has, from its headers (no page decoded); None for text files
    and for files whose count cannot be told (the reader then gives the error)."""
    kind = SUFFIXES.get(path.suffix.lower())
    try:
        if kind == "pdf":
            import pymupdf

            with pymupdf.open(path) as doc:
                return int(doc.page_count)
        if kind == "image":
            from pipeline.read.scan.render import image_page_count

            return image_page_count(path)
    except Exception:  # noqa: BLE001 - a broken file is the reader's to report
        return None
    return None


def _read_scan(path: Path, why: str, only: frozenset[int] | None = None) -> Reading:
    try:
        from pipeline.read.scan.reader import read_scan
    except ImportError as e:
        from pipeline.read.pdf.reader import NeedsOCR

        raise NeedsOCR(f"{why}; the OCR reader could not be loaded: {e}") from e
    return read_scan(path, only=only)


def _mixed(path: Path, text: Reading, pages: frozenset[int], why: str) -> Reading:
    """A PDF with scanned pages among text ones: each page by the reader it needs.

    The result counts as OCR: what a blank means is then judged as in a scan (a column
    nothing was read under is unknown), the cautious reading for the text pages too.
    """
    scan = _read_scan(path, why, pages)
    rows = sorted((*text.rows, *scan.rows), key=lambda r: r.origin.page or 0)  # stable
    timings: defaultdict[str, float] = defaultdict(float)
    for name, seconds in (*text.timings, *scan.timings):  # the text pages' images, if any
        timings[name] += seconds
    return Reading(ReaderKind.OCR, tuple(rows), text.pages, text.notes, tuple(timings.items()))


def _read_clip(page: pymupdf.Page, box: BBox, timings: MutableMapping[str, float]) -> Sequence[Row]:
    """A table pasted as an image on a text page, by OCR (loaded at the first one)."""
    try:
        from pipeline.read.scan.reader import read_clip
    except ImportError as e:
        from pipeline.read.pdf.reader import NeedsOCR

        raise NeedsOCR(
            f"page {page.number + 1} has a table as an image; "
            f"the OCR reader could not be loaded: {e}"
        ) from e
    return read_clip(page, box, timings)
