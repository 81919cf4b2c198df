"""Words on a page (a box, a text and how sure the reading is) and their lines.

Shared by the readers that see words where they are: the text layer's characters
(:mod:`pipeline.read.pdf.words`) and a scan's OCR'd ink (:mod:`pipeline.read.scan.words`);
both hand them to the one borderless logic (:mod:`pipeline.read.borderless`) and the
ruled-table grid (:mod:`pipeline.read.pdf.ruled`), with the patterns of a number and of
a numbered label. No PDF library here: the scan reader needs none of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.model.records import BBox

# a standalone number (a table value) and the number that starts a label ("3." "（三）")
NUM = re.compile(r"^[增减+\-−－]?\s?\d[\d,，]*(?:[.．]\d+)?\s?(?:%|％|元|万元)?$")
ENUM = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[.．、])"
)


@dataclass(slots=True, frozen=True, eq=False)
class Word:
    """A word or a run of words on one line: bbox and text.

    Compared by identity (``eq=False``): two words with the same box and text are still
    two words when the borderless reader moves them between lines and labels.
    ``conf``: the recogniser's confidence in the text (1 for a text layer's).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    conf: float = 1.0

    @property
    def h(self) -> float:
        return max(self.y1 - self.y0, 1.0)

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.y0, self.x1, self.y1)


def union(ws: Sequence[Word], sep: bool = True) -> Word:
    """One box around several, their texts joined in the order given."""
    text = join(w.text for w in ws) if sep else "".join(w.text for w in ws)
    x0, y0 = min(w.x0 for w in ws), min(w.y0 for w in ws)
    conf = min(w.conf for w in ws)
    return Word(x0, y0, max(w.x1 for w in ws), max(w.y1 for w in ws), text, conf)


def is_wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def join(parts: Iterable[str]) -> str:
    """Join words: CJK without spaces, a space only between two non-CJK characters."""
    out = ""
    for p in parts:
        if out and p and not is_wide(out[-1]) and not is_wide(p[0]):
            out += " "
        out += p
    return out


def lines_of(ws: Sequence[Word]) -> list[list[Word]]:
    """Group words into lines by their vertical centre, each line sorted left to right."""
    lines: list[list[Word]] = []
    for w in sorted(ws, key=lambda w: (w.cy, w.x0)):
        if lines and abs(w.cy - lines[-1][0].cy) <= 0.35 * max(w.h, lines[-1][0].h):
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(line, key=lambda w: w.x0) for line in lines]
