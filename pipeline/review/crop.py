"""A cell's image: the source page around its bbox, wide enough to show the row's label."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from pipeline.model.records import BBox

_MARGIN = 14.0  # points above, below and right of the cell
_ZOOM = 2.0


def crop_png(path: Path, page: int, bbox: BBox) -> bytes:
    """The page region from the left edge to past the cell, the cell outlined in red.

    The file is only read: the outline is drawn on the rendered pixels, never on the PDF.
    """
    with pymupdf.open(path) as doc:
        p = doc[page - 1]
        x0, y0, x1, y1 = bbox
        area = p.rect
        clip = pymupdf.Rect(
            area.x0, max(area.y0, y0 - _MARGIN), min(area.x1, x1 + _MARGIN * 3),
            min(area.y1, y1 + _MARGIN),
        )  # fmt: skip
        pix = p.get_pixmap(matrix=pymupdf.Matrix(_ZOOM, _ZOOM), clip=clip)
    # the cell's outline, in the pixmap's own pixels
    left = int((x0 - clip.x0) * _ZOOM)
    top = int((y0 - clip.y0) * _ZOOM)
    right = min(pix.width - 1, int((x1 - clip.x0) * _ZOOM))
    bottom = min(pix.height - 1, int((y1 - clip.y0) * _ZOOM))
    red = (220, 0, 0) if pix.n == 3 else (220, 0, 0, 255)[: pix.n]
    for x in range(max(0, left), right + 1):
        for y in (max(0, top), bottom):
            pix.set_pixel(x, y, red)
    for y in range(max(0, top), bottom + 1):
        for x in (max(0, left), right):
            pix.set_pixel(x, y, red)
    return bytes(pix.tobytes("png"))
