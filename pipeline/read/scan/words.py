"""A scanned page's ink outside ruled grids cut into words, as a text layer's words are.

A borderless table has no rules to find: its rows are told by the alignment of its words,
the work of :mod:`pipeline.read.borderless`, shared with the text-layer reader. Here the
ink is cut into word boxes: glyphs closer than half a line height are one word (the
digits of a number, the glyphs of a label), a wider gap starts another (numbers in
adjacent columns); the stacked strokes of one glyph (三) are joined. Lines are projection-
free (a group label centred between two rows would join them): words are grouped by
their vertical centre, as a text layer's are.

Only some lines are worth recognising: a line that ends in a short word set apart (a
borderless row's numbers, a table header) and the lines around it (its wrapped label,
group labels) are recognised word by word; of the others only the few that can be
titles, as whole lines (:func:`titles`). Long narrative lines are left unread.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.read.words import Word, lines_of

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in prepared-image pixels, exclusive ends

JOIN = 0.5  # a gap narrower than this many line heights is inside a word
NARROW = 0.7  # a glyph this many line heights wide or less is narrow (a digit, not CJK)
NARROW_JOIN = 0.9  # and joins a narrow neighbour this close (a Latin word, a number)
SHORT = 5.0  # a number (or a header word) is at most this many line heights wide
APART = 1.0  # and set this far apart from the word before it
# a word less than this many inches tall and wide is a speck (or a lone 、): 3 pt, where a
# table's smallest digit is 5 pt (by the page's line height, a page of large print would
# take a small-print table's digits for specks)
SPECK = 0.045
LONG = 0.6  # a line this share of the page's widest or wider is narrative (as in titles)
AROUND = 3.0  # lines within this many line heights of a table row are its labels


@dataclass(frozen=True)
class Layout:
    """The ink outside grids as words, and what is to be recognised of them."""

    line_h: float
    words: tuple[Box, ...]  # recognised one by one (runs of words less than APART apart)
    lines: tuple[Box, ...]  # recognised whole (title candidates of several runs)
    rows: tuple[Box, ...]  # the boxes of the lines that can be borderless rows


def _line_height(text: np.ndarray, dpi: float) -> float:
    """The height of a line of text: the typical height of the tallest glyph pieces."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    ws = stats[1:, cv2.CC_STAT_WIDTH]
    hs = hs[(hs >= dpi * 0.04) & (hs <= dpi * 0.4) & (ws <= 3 * hs)]
    if len(hs) < 5:
        return dpi * 0.12
    return float(np.percentile(hs, 75))


def _close(mask: np.ndarray, gap: float) -> np.ndarray:
    """``mask`` with horizontal gaps narrower than ``gap`` pixels filled."""
    k = max(2, round(gap))
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, k), np.uint8))


def _blobs(text: np.ndarray, line_h: float) -> list[Box]:
    """Tight boxes of words: glyphs closer than ``JOIN`` line heights, and narrow glyphs
    (digits, Latin letters, a number's letter-spaced digits) closer than ``NARROW_JOIN``,
    as the text layer's words are joined (:func:`pipeline.read.borderless._frags`)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    narrow = np.zeros(n, dtype=bool)
    narrow[1:] = stats[1:, cv2.CC_STAT_WIDTH] <= NARROW * line_h
    thin = np.where(narrow[labels], 255, 0).astype(np.uint8)
    joined = cv2.bitwise_or(_close(text, JOIN * line_h), _close(thin, NARROW_JOIN * line_h))
    # closing fills gaps between ink only: each component's box is its ink's
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    return [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in stats[1:, :4].tolist()]


def _stack(boxes: list[Box], line_h: float) -> list[Box]:
    """Join pieces of one glyph or word stacked over each other (the strokes of 三, 二)."""
    out = sorted(boxes, key=lambda b: (b[1], b[0]))
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(out):
            for j in range(i + 1, len(out)):
                b = out[j]
                gap = b[1] - a[3]
                if gap > 0.7 * line_h:
                    break  # sorted by top: the rest are further down
                over = min(a[2], b[2]) - max(a[0], b[0])
                narrow = min(a[2] - a[0], b[2] - b[0])
                top, bottom = min(a[1], b[1]), max(a[3], b[3])
                # a glyph's pieces are close; a stroke (of 二) may stand further off
                flat = min(a[3] - a[1], b[3] - b[1]) < 0.35 * line_h
                if (
                    over >= 0.5 * narrow
                    and gap <= (0.7 if flat else 0.45) * line_h
                    and bottom - top <= 1.35 * line_h
                ):
                    out[i] = (min(a[0], b[0]), top, max(a[2], b[2]), bottom)
                    del out[j]
                    changed = True
                    break
            if changed:
                break
    return out


def _upright(box: Box, line_h: float) -> Word:
    """A word of no text yet, at least one line height tall about its centre: a text
    layer's words are as tall as the font, whatever their glyphs (digits are shorter)."""
    x0, y0, x1, y1 = box
    cy, h = (y0 + y1) / 2, max(y1 - y0, line_h)
    return Word(float(x0), cy - h / 2, float(x1), cy + h / 2, "")


def _is_row(line: list[Word], h: float) -> bool:
    """A line ending in a short word set apart: the numbers of a row, or a header."""
    if len(line) < 2:
        return False
    last, before = line[-1], line[-2]
    return last.x1 - last.x0 <= SHORT * h and last.x0 - before.x1 >= APART * h


def value_like(line: list[Word], h: float) -> list[bool]:
    """Per word of a line: whether it stands where a value would, short and set apart
    from the word before it (never a line's first word, a label's place)."""
    out = [False]
    for a, b in zip(line, line[1:], strict=False):
        out.append(b.x1 - b.x0 <= SHORT * h and b.x0 - a.x1 >= APART * h)
    return out[: len(line)]


def layout(
    text: np.ndarray, grids: list[Box], dpi: float, first: bool, line_h: float | None = None
) -> Layout:
    """The words of the ink outside ``grids`` and the boxes to recognise (see the module)."""
    mask = text.copy()
    pad = round(dpi * 0.03)
    for x0, y0, x1, y1 in grids:
        mask[max(y0 - pad, 0) : y1 + pad, max(x0 - pad, 0) : x1 + pad] = 0
    if not mask.any():
        return Layout(line_h or dpi * 0.12, (), (), ())
    h = line_h or _line_height(mask, dpi)
    boxes = [b for b in _stack(_blobs(mask, h), h) if max(b[2] - b[0], b[3] - b[1]) >= SPECK * dpi]
    by_word = {}
    words = []
    for b in boxes:
        w = _upright(b, h)
        by_word[id(w)] = b
        words.append(w)
    lines = lines_of(words)
    rows = [i for i, ln in enumerate(lines) if _is_row(ln, h)]
    widths = [ln[-1].x1 - ln[0].x0 for ln in lines]
    near = {  # (a long line, narrative or a table's note, is no row's label: read as prose)
        i
        for i, ln in enumerate(lines)
        if any(abs(ln[0].cy - lines[r][0].cy) <= AROUND * h for r in rows)
        and (i in rows or widths[i] < LONG * max(widths))
    }
    one = [seg for i in sorted(near) for seg in _segments([by_word[id(w)] for w in lines[i]], h)]
    rest = [_box([by_word[id(w)] for w in ln]) for i, ln in enumerate(lines) if i not in near]
    segs = {
        _box([by_word[id(w)] for w in ln]): len(_segments([by_word[id(w)] for w in ln], h))
        for i, ln in enumerate(lines)
        if i not in near
    }
    titles = _titles(rest, grids, text.shape, h, first)
    # a title of one run of words is one crop either way: as a word it is read whole
    one += [b for b in titles if segs[b] == 1]
    whole = [b for b in titles if segs[b] > 1]
    row_boxes = [_box([by_word[id(w)] for w in lines[i]]) for i in rows]
    return Layout(h, tuple(one), tuple(whole), tuple(row_boxes))


def _segments(line: list[Box], h: float) -> list[Box]:
    """A line's runs of words less than ``APART`` apart: one crop each (a label's words cut
    at a wide-set mark, a title's spaced digits), the numbers of a row one by one."""
    runs: list[list[Box]] = []
    for b in line:
        if runs and b[0] - runs[-1][-1][2] < APART * h:
            runs[-1].append(b)
        else:
            runs.append([b])
    return [_box(r) for r in runs]


def _box(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _titles(
    lines: list[Box], grids: list[Box], shape: tuple[int, ...], h: float, first: bool
) -> list[Box]:
    """Lines that may be titles: the first lines of the report, short lines, and the two
    lines just above each table. Narrative lines are left unread."""
    if not lines:
        return []
    ph, pw = shape[:2]
    lines = sorted(lines, key=lambda b: b[1])
    widest = max(b[2] - b[0] for b in lines)
    tops = [g[1] for g in grids]
    keep: list[Box] = []
    for i, (x0, _, x1, y1) in enumerate(lines):
        if y1 > 0.93 * ph and x1 - x0 < 0.1 * pw:
            continue  # a page number
        above = any(0 < t - y1 < 4 * h for t in tops)
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ph
        above = above or any(0 < t - nxt < 4 * h and nxt > y1 for t in tops)
        if (first and i < 3) or (x1 - x0) <= 0.6 * widest or above:
            keep.append(lines[i])
    return keep
