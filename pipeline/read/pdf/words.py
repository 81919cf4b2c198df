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


@dataclass(slots=True, frozen=True, eq=False)
class Word:
    """A word or a run of words on one line: bbox and text.

    Compared by identity (``eq=False``): two words with the same box and text are still
    two words when the borderless reader moves them between lines and labels.
    """

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
            cur: list[_Char] = []
            for span in line["spans"]:
                gap = 0.25 * max(span["size"], 1.0)
                for ch in span["chars"]:
                    x0, y0, x1, y1 = ch["bbox"]
                    c: _Char = (x0, y0, x1, y1, ch["c"])
                    last = cur[-1] if cur else None
                    if last and (  # a space, a gap, a step back or a jump off the baseline
                        c[4].isspace()
                        or not last[0] - 0.5 < x0 <= last[2] + gap
                        or abs((y0 + y1) / 2 - (last[1] + last[3]) / 2) > 2 * gap
                    ):
                        out.append(_run(cur))
                        cur = []
                    if not c[4].isspace():
                        cur.append(c)
            if cur:
                out.append(_run(cur))
    return out


_Char = tuple[float, float, float, float, str]  # x0, y0, x1, y1, the character


def _run(chars: list[_Char]) -> Word:
    """One word around a run of characters (plain tuples: a page has thousands)."""
    return Word(
        min(c[0] for c in chars),
        min(c[1] for c in chars),
        max(c[2] for c in chars),
        max(c[3] for c in chars),
        "".join(c[4] for c in chars),
    )
