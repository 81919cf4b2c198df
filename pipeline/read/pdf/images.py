"""Tables pasted as pictures on a page whose prose is a real text layer (a screenshot).

The text layer has no words for such a table: its region must be read by OCR. Which
images qualify: wide and tall enough to hold a table (a logo or a seal is neither), and
with next to no text drawn over them (an image under a text layer, such as a letterhead
background or a scan with its own OCR layer, is read from its text). The few words that
lie over a qualifying image are left to the OCR so nothing is read twice.

Only a page with image resources pays for this: listing them reads no content stream.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence

import pymupdf

from pipeline.model.records import BBox, Row
from pipeline.read.words import Word

MIN_WIDTH = 0.3  # of the page's width: a table spans much of it; a logo or a seal does not
MIN_HEIGHT = 18.0  # points: two lines of 9 pt text, a table's header and one row
MAX_CHARS_OVER = 10  # characters of the text layer over an image that still leave it unread

# reads one region of a page by OCR: its rows with boxes in page points, in reading order;
# it adds its stages' seconds to the mapping (pipeline.read.scan.reader.read_clip)
ClipReader = Callable[[pymupdf.Page, BBox, MutableMapping[str, float]], Sequence[Row]]


def _inside(w: Word, box: BBox) -> bool:
    x0, y0, x1, y1 = box
    return x0 <= (w.x0 + w.x1) / 2 <= x1 and y0 <= w.cy <= y1


def table_images(page: pymupdf.Page, words: Sequence[Word]) -> list[BBox]:
    """Boxes (page points) of the images that may be tables without a text layer over them,
    top to bottom. Not on a turned page (``/Rotate``): its words and images are placed
    unturned while its clips are rendered turned; such a table is left to review."""
    if page.rotation or not page.get_images():
        return []
    area = page.rect
    out: list[BBox] = []
    for info in page.get_image_info():
        r = pymupdf.Rect(info["bbox"]) & area
        if r.is_empty or r.width < MIN_WIDTH * area.width or r.height < MIN_HEIGHT:
            continue
        box: BBox = (r.x0, r.y0, r.x1, r.y1)
        over = sum(len(w.text) for w in words if _inside(w, box))
        if over <= MAX_CHARS_OVER and box not in out:
            out.append(box)
    return sorted(out, key=lambda b: (b[1], b[0]))


def outside(words: list[Word], boxes: Sequence[BBox]) -> list[Word]:
    """The words not over any of the boxes (those over them are the OCR's to read)."""
    if not boxes:
        return words
    return [w for w in words if not any(_inside(w, b) for b in boxes)]
