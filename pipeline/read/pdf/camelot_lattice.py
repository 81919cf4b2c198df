"""A second reader of ruled tables: camelot's lattice mode, for a second opinion.

gongkai's own PDF reader rebuilds ruled tables from the vector rules; camelot finds them
in a rendered image of the page (OpenCV) and fills them from the text layer. The two
disagreeing on a cell is a reason for a person to look (pipeline/recover/second_opinion.py).

camelot is an optional extra (``pip install gongkai[camelot]``), imported only when this
runs. Pages are rendered with camelot's ``pdfium`` backend (pypdfium2, a wheel on PyPI):
no Ghostscript, no download, and no fallback to another backend.

Coordinates: camelot gives cells in PDF user space, origin at the bottom left of the page;
they are mapped into gongkai's convention (PDF points, origin top left, y down, as
PyMuPDF's page coordinates) with PyMuPDF's ``page.transformation_matrix``, which also
accounts for the crop box and rotation.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.model.records import CellText, Origin

INSTALL_HINT = "pip install 'gongkai[camelot]'"


class MissingExtra(ImportError):
    """camelot (the ``camelot`` extra) is not installed."""


def _camelot() -> Any:
    try:
        import camelot
    except ImportError as e:
        raise MissingExtra(f"the camelot second opinion needs the extra: {INSTALL_HINT}") from e
    return camelot


def available() -> bool:
    """Whether the extra is installed (so a command can refuse a flag before any work)."""
    try:
        _camelot()
    except MissingExtra:
        return False
    return True


def lattice_cells(path: Path, pages: Iterable[int]) -> tuple[CellText, ...]:
    """Every cell of every ruled table camelot finds on ``pages`` (from 1), blank ones too.

    ``origin`` is the cell's page and rectangle in gongkai's convention; ``text`` is
    camelot's text, whitespace kept. Raises :class:`MissingExtra` without the extra.
    """
    wanted = sorted(set(pages))
    if not wanted:
        return ()
    camelot = _camelot()
    tables = camelot.read_pdf(
        str(path),
        pages=",".join(map(str, wanted)),
        flavor="lattice",
        backend="pdfium",
        use_fallback=False,
        suppress_stdout=True,
    )
    out: list[CellText] = []
    import pymupdf  # here, not at import: the command line starts without it

    with pymupdf.open(path) as doc:
        for table in tables:
            page = int(table.page)
            m = doc[page - 1].transformation_matrix
            for row in table.cells:
                for c in row:
                    r = pymupdf.Rect(c.x1, c.y1, c.x2, c.y2) * m  # normalised by PyMuPDF
                    box = (round(r.x0, 2), round(r.y0, 2), round(r.x1, 2), round(r.y1, 2))
                    out.append(CellText(str(c.text), 1.0, Origin(page, box)))
    return tuple(out)
