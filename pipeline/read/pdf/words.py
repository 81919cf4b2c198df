"""Words of a born-digital PDF page, rebuilt from its characters.

The word itself and its lines are shared with the scan reader (:mod:`pipeline.read.words`).
"""

from __future__ import annotations

import pymupdf

from pipeline.read.words import Word


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
