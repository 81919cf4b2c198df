"""Words of a born-digital PDF page, rebuilt from its characters, and joined into lines.

Shared by the ruled-table grid (:mod:`pipeline.read.pdf.ruled`) and the borderless rows
(:mod:`pipeline.read.pdf.borderless`), with the patterns of a number and of a numbered label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pymupdf

from pipeline.model.records import BBox

# a standalone number (a table value) and the number that starts a label ("3." "（三）")
NUM = re.compile(r"^[增减+\-−－]?\s?\d[\d,，]*(?:[.．]\d+)?\s?(?:%|％|元|万元)?$")
ENUM = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[.．、])"
)


@dataclass(slots=True, eq=False)
class Word:
    """A word or a run of words on one line: bbox and text."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

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
    return Word(x0, y0, max(w.x1 for w in ws), max(w.y1 for w in ws), text)


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


def page_words(page: pymupdf.Page) -> list[Word]:
    """Words from the characters: split at spaces, visible gaps and baseline jumps.

    MuPDF's own words run on across table cells when the glyphs are close (a header
    "结果结果其他尚未总计" over five cells), so words are rebuilt from character boxes.
    """
    out: list[Word] = []
    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
    for block in page.get_text("rawdict", flags=flags)["blocks"]:
        for line in block.get("lines", ()):
            cur: list[Word] = []
            for span in line["spans"]:
                gap = 0.25 * max(span["size"], 1.0)
                for ch in span["chars"]:
                    x0, y0, x1, y1 = ch["bbox"]
                    c = Word(x0, y0, x1, y1, ch["c"])
                    if cur and (  # a space, a gap, a step back or a jump off the baseline
                        c.text.isspace()
                        or not cur[-1].x0 - 0.5 < c.x0 <= cur[-1].x1 + gap
                        or abs(c.cy - cur[-1].cy) > 2 * gap
                    ):
                        out.append(union(cur, sep=False))
                        cur = []
                    if not c.text.isspace():
                        cur.append(c)
            if cur:
                out.append(union(cur, sep=False))
    return out
