"""Reader for image-only pages (scanned PDFs, PNG/JPEG/TIFF): the same rows as the PDF reader.

Per page: render at the scan's dpi (capped), prepare (seal, light, skew), find ruled
grids, cut the ink outside them into words (:mod:`pipeline.read.scan.words`), then one
batched recognition call over tight ink crops: one crop per text line of each non-empty
cell; the words of the lines that may be borderless rows (a line ending in a short word
set apart) and of the lines around them; and the few other lines that can be titles
(the report title, short lines, the lines just above a table). Long narrative lines are
not recognised: no shared stage needs them, and they would cost most of the OCR time.
``read_clip`` reads one region of a text page the same way (a table pasted as an image).
Rows come out as the PDF reader's do: one Row per table row band with its cells left to right
(blank cells as ``CellText("")`` with the cell's box, a merged cell's text in its first
band); the text outside grids as the text-layer reader's, by the one borderless logic
(:mod:`pipeline.read.borderless`) fed with the recognised words; bboxes mapped back to
PDF points.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import defaultdict
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from pipeline.model.records import BBox, CellText, Origin, ReaderKind, Reading, Row
from pipeline.read.borderless import free_text
from pipeline.read.geometry import Cell
from pipeline.read.ocr import OcrEngine, Recognized, default_engine
from pipeline.read.scan.bands import Piece, cuts
from pipeline.read.scan.grid import Grid, find_grids, grid_rule_mask, rule_masks
from pipeline.read.scan.orient import orientation
from pipeline.read.scan.prepare import Prepared, prepare
from pipeline.read.scan.render import PageImage, clip_image, pages
from pipeline.read.scan.words import AROUND, SHORT, layout, value_like
from pipeline.read.words import NUM, Word, is_wide, lines_of, union

MAX_DPI = 200  # see render.py: 9 pt digits are ~25 px tall here, plenty for the recogniser
PAD = 6  # pixels of paper around a crop's ink (the recogniser was trained on padded lines)
BLANK_CONFIDENCE = 0.97  # a cell without ink: printed blank
SPECK_CONFIDENCE = 0.6  # a cell with a little ink that is not text: maybe a lost digit
# a read through an opaque pen stroke that was taken out (prepare.separate_marks): the
# print under it may be cut, so the read is at most doubtful; only identities confirm it
STRUCK_CONFIDENCE = 0.7
# a borderless row tells its blanks (no ink there) only if every word of it read this well
ALIGNED_CONFIDENCE = 0.9


@dataclass(frozen=True, eq=False)
class _Line:
    """A text line to recognise: its box in the prepared image.

    Compared by identity: it keys its recognised text, and two lines are two crops.
    """

    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class _Slot:
    """A cell and the lines of text found in it."""

    cell: Cell
    lines: tuple[_Line, ...] = ()
    specks: bool = False
    struck: bool = False  # an opaque mark was taken out over it: what it hid is unknown


def _runs(profile: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive runs of non-zero entries."""
    nz = np.concatenate(([0], (profile > 0).astype(np.int8), [0]))
    d = np.diff(nz)
    starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0] - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _merge_runs(runs: list[tuple[int, int]], line_h: float) -> list[tuple[int, int]]:
    """Join runs that are parts of one line (三 has gaps between its strokes)."""
    out: list[tuple[int, int]] = []
    for s, e in runs:
        if out and e - out[-1][0] + 1 <= 1.6 * line_h:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _split_tall(
    profile: np.ndarray, runs: list[tuple[int, int]], line_h: float
) -> list[tuple[int, int]]:
    """Cut a run as tall as two lines or more at its thinnest rows.

    At 100 dpi or in a 1-bit scan the lines of a wrapped label touch, and one crop of two
    lines reads as nonsense; the cut is sought near each multiple of the run's own pitch.
    """
    out: list[tuple[int, int]] = []
    for s, e in runs:
        n = int(round((e - s + 1) / line_h))
        if n < 2 or (e - s + 1) < 1.7 * line_h:
            out.append((s, e))
            continue
        pitch, start = (e - s + 1) / n, s
        for k in range(1, n):
            mid, span = s + k * pitch, 0.3 * pitch
            lo, hi = int(max(start + 2, mid - span)), int(min(e - 2, mid + span))
            if hi <= lo:
                continue
            cut = lo + int(np.argmin(profile[lo : hi + 1]))
            out.append((start, cut - 1))
            start = cut + 1
        out.append((start, e))
    return out


def _despeckle(mask: np.ndarray, min_area: int) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.where(keep[labels], 255, 0).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class _Page:
    """Everything found on one page before recognition."""

    image: PageImage
    prep: Prepared
    grids: tuple[Grid, ...]
    slots: tuple[tuple[_Slot, ...], ...]  # per grid, in the order of its cells
    prose: tuple[_Line, ...]  # whole lines that may be titles
    words: tuple[_Line, ...]  # words of the lines that may be borderless rows, and around
    line_h: float  # of the text outside grids
    rules: np.ndarray  # dilated rule mask: whitened in table crops


def _interior(cell: Cell, inset: int, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = cell.bbox
    h, w = shape[:2]
    return (
        max(int(round(x0)) + inset, 0),
        max(int(round(y0)) + inset, 0),
        min(int(round(x1)) - inset, w),
        min(int(round(y1)) - inset, h),
    )


def _cell_lines(
    text: np.ndarray, box: tuple[int, int, int, int], line_h: float
) -> tuple[_Line, ...]:
    x0, y0, x1, y1 = box
    sub = text[y0:y1, x0:x1]
    if sub.size == 0 or not sub.any():
        return ()
    lines = []
    profile = sub.sum(axis=1)
    for s, e in _split_tall(profile, _merge_runs(_runs(profile), line_h), line_h):
        if e - s < 1:
            continue
        cols = np.nonzero(sub[s : e + 1].sum(axis=0))[0]
        lx0, lx1 = int(cols[0]), int(cols[-1])
        lines.append(_Line((x0 + lx0, y0 + s, x0 + lx1 + 1, y0 + e + 1)))
    return tuple(lines)


def _layout(img: PageImage, timings: MutableMapping[str, float], turns: int = 0) -> _Page:
    """Prepare the page, find grids, cell lines and candidate title lines (no OCR)."""
    t0 = time.perf_counter()
    prep = prepare(img.image, img.dpi, turns, img.origin)
    t1 = time.perf_counter()
    # rules are found in all the ink, the pen taken out included: a pen along a ruling,
    # taken out, would take the rule under it along (two rows' labels in one band)
    seen = prep.ink if prep.hidden is None else cv2.bitwise_or(prep.ink, prep.hidden)
    hm, vm = rule_masks(seen, prep.dpi)
    grids = tuple(find_grids(seen, prep.dpi, (hm, vm)))
    rules, astray = grid_rule_mask(grids, prep.ink.shape, prep.dpi, (hm, vm))
    # ink taken out that may have hidden print: an opaque pen, a pen's run along a rule
    hid = astray if prep.hidden is None else cv2.bitwise_or(astray, prep.hidden)
    min_area = max(3, round((prep.dpi / 150) ** 2 * 4))
    raw = cv2.bitwise_and(prep.ink, cv2.bitwise_not(rules))
    text = _despeckle(raw, min_area)
    inset = max(2, round(prep.dpi * 0.01))
    # run heights over all cells give the height of one line of table text
    boxes = [[_interior(c, inset, text.shape) for c in g.cells] for g in grids]
    heights = [
        e - s + 1
        for gb in boxes
        for x0, y0, x1, y1 in gb
        for s, e in _runs(text[y0:y1, x0:x1].sum(axis=1))
        if e - s >= 2
    ]
    line_h = statistics.median(heights) if heights else prep.dpi * 0.12
    slots: list[tuple[_Slot, ...]] = []
    for g, gb in zip(grids, boxes, strict=True):
        row = []
        for c, b in zip(g.cells, gb, strict=True):
            lines = _cell_lines(text, b, line_h)
            noise = int(np.count_nonzero(raw[b[1] : b[3], b[0] : b[2]]))
            struck = int(np.count_nonzero(hid[b[1] : b[3], b[0] : b[2]])) > 3 * min_area
            specks = not lines and (noise > 3 * min_area or struck)
            row.append(_Slot(c, lines, specks=specks, struck=struck))
        slots.append(tuple(row))
    boxes_g = [
        (round(x0), round(y0), round(x1), round(y1)) for x0, y0, x1, y1 in (g.bbox for g in grids)
    ]
    first = img.number == 1 and img.origin == (0.0, 0.0)  # a clip has no report title
    free = layout(text, boxes_g, prep.dpi, first)
    prose = tuple(_Line(b) for b in free.lines)
    words = tuple(_Line(b) for b in free.words)
    timings["prepare"] += t1 - t0
    timings["grid"] += time.perf_counter() - t1
    return _Page(img, prep, grids, tuple(slots), prose, words, free.line_h, rules)


def _crop(
    gray: np.ndarray, box: tuple[int, int, int, int], limit: tuple[int, int, int, int]
) -> np.ndarray:
    x0, y0, x1, y1 = box
    lx0, ly0, lx1, ly1 = limit
    return gray[max(y0 - PAD, ly0) : min(y1 + PAD, ly1), max(x0 - PAD, lx0) : min(x1 + PAD, lx1)]


def _join(parts: list[str]) -> str:
    """Join line texts: CJK without spaces, a space only between two non-CJK characters."""
    out = ""
    for p in parts:
        p = p.strip()
        if out and p and ord(out[-1]) < 0x2E80 and ord(p[0]) < 0x2E80:
            out += " "
        out += p
    return out


def _recognise(
    page: _Page, engine: OcrEngine, timings: MutableMapping[str, float]
) -> dict[_Line, Recognized]:
    """One batched recognition call for all the page's crops: each line's text (stripped)
    and confidence. Lines too small to crop are left out."""
    gray = page.prep.gray
    h, w = gray.shape
    clean = gray.copy()
    clean[page.rules > 0] = 255
    todo: list[tuple[_Line, np.ndarray]] = []
    for row in page.slots:
        for slot in row:
            lim = _interior(slot.cell, 1, gray.shape)
            todo += [(ln, _crop(clean, ln.box, lim)) for ln in slot.lines]
    todo += [(ln, _crop(gray, ln.box, (0, 0, w, h))) for ln in page.prose]
    todo += [(ln, _crop(clean, ln.box, (0, 0, w, h))) for ln in page.words]
    todo = [(ln, c) for ln, c in todo if c.size and min(c.shape[:2]) >= 4]
    t0 = time.perf_counter()
    results = engine.recognize([c for _, c in todo]) if todo else []
    timings["ocr"] += time.perf_counter() - t0
    return {
        ln: Recognized(r.text.strip(), r.confidence, r.margin)
        for (ln, _), r in zip(todo, results, strict=True)
    }


def _origin(page: _Page, box: tuple[float, float, float, float]) -> Origin:
    """A prepared-image box: in the page's PDF points, and in the upright frame."""
    tf = page.prep.transform
    return Origin(page.image.number, tf.to_pdf(box), frame=tf.to_frame(box))


def _read_lines(slot: _Slot, read: dict[_Line, Recognized]) -> list[tuple[_Line, Recognized]]:
    return [(ln, r) for ln in slot.lines if (r := read.get(ln)) is not None and r.text]


def _band_row(
    page: _Page,
    band: list[tuple[_Slot, list[tuple[_Line, Recognized]]]],
    box: tuple[float, float, float, float],
    cut: bool,
) -> Row | None:
    """One row of a band (or of a part of a band cut in two, ``cut``): each cell's lines
    whose middle lies in it; a cut cell's box is the part's. None: nothing read in it."""
    top, bottom = box[1], box[3]

    def inside(ln: _Line) -> bool:
        return not cut or top <= (ln.box[1] + ln.box[3]) / 2 < bottom

    cells = []
    for s, got in band:
        got = [(ln, r) for ln, r in got if inside(ln)]
        if got:
            text = _join([r.text for _, r in got])
            conf = min(r.confidence for _, r in got)
            margin = _least([r.margin for _, r in got])
            if s.struck:
                conf = min(conf, STRUCK_CONFIDENCE)
        else:
            inked = s.specks or any(inside(ln) for ln in s.lines)
            text, conf, margin = "", SPECK_CONFIDENCE if inked else BLANK_CONFIDENCE, None
        c = s.cell
        x0, y0, x1, y1 = c.bbox
        own = (x0, max(y0, top), x1, min(y1, bottom)) if cut and c.r1 == c.r0 else c.bbox
        cells.append(CellText(text, round(conf, 4), _origin(page, own), margin))
    if not any(c.text for c in cells):
        return None
    return Row(tuple(cells), _origin(page, box))


def _least(margins: list[float | None]) -> float | None:
    """A cell's character margin: its least sure line's, None where no line has one."""
    known = [m for m in margins if m is not None]
    return min(known) if known else None


def _rows(page: _Page, read: dict[_Line, Recognized]) -> list[tuple[float, Row]]:
    """Table rows and prose lines of one page with their top y in the upright page (the
    reading order; a turned page's points run another way), boxes in PDF points."""
    out: list[tuple[float, Row]] = []
    for g, slots in zip(page.grids, page.slots, strict=True):
        by_cell = {id(s.cell): s for s in slots}
        for i in range(len(g.ys) - 1):
            band = [(by_cell[id(c)], _read_lines(by_cell[id(c)], read)) for c in g.band(i)]
            y0, y1 = g.ys[i], g.ys[i + 1]
            at = cuts(
                [
                    [Piece(ln.box[1], ln.box[3], r.text) for ln, r in got]
                    for s, got in band
                    if s.cell.r1 == s.cell.r0
                ]
            )
            for top, bottom in zip([y0, *at], [*at, y1], strict=True):
                row = _band_row(page, band, (g.xs[0], top, g.xs[-1], bottom), len(at) > 0)
                if row is not None:
                    out.append((top, row))
    out += _free(page, read)
    out.sort(key=lambda it: it[0])
    return out


def _word(box: tuple[int, int, int, int], r: Recognized, line_h: float) -> Word:
    """A recognised crop as a word at least a line tall (a text layer's words are as tall
    as the font); a number's letter-spaced digits ("1 0 2") closed up."""
    text = r.text.strip()
    if NUM.match(text.replace(" ", "")):
        text = text.replace(" ", "")
    x0, y0, x1, y1 = box
    cy, h = (y0 + y1) / 2, max(y1 - y0, line_h)
    return Word(float(x0), cy - h / 2, float(x1), cy + h / 2, text, r.confidence)


_NOWHERE = 1e9  # the x of the values of lines with no number around
_ITEM = re.compile(r"^\d{1,2}[.．、]?$")  # a label's number, its mark maybe unread
# a label's own start: its number ("（三）" "2." "2" before its text) — a label cut by
# an unread mark ("…情形，" "不计…") has none, and rejoins the text before it
_STARTS = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、.．]|\d)")
_OPENS = "(（[【《“‘"
_CLOSES = ")）]】》”’、，,。.．:：;；"


def _mend(line: list[Word], h: float) -> list[Word]:
    """Rejoin a word the ink cut at a wide-set punctuation mark: a bracket opening a word
    ("（ 一 ）予以公开"), a mark closing or following one ("三 、本年度…"), a label's
    number and its text ("2 ．其他…", the mark often unread), and a label's text cut at
    a mark the recogniser left out ("…只计这一情形" "不计其他情形）": the second starts
    with no number of its own). A text layer's boxes touch there; the ink of a full-width
    mark stands off one side. Two numbers stay two."""
    out: list[Word] = []
    for w in line:
        a = out[-1] if out else None
        if (
            a is not None
            and not (NUM.match(a.text) and NUM.match(w.text))
            and (
                (w.x0 - a.x1 <= 2 * h and (a.text[-1] in _OPENS or w.text[0] in _CLOSES))
                or (w.x0 - a.x1 <= 1.8 * h and _ITEM.match(a.text) and is_wide(w.text[0]))
                or (
                    w.x0 - a.x1 <= 1.5 * h
                    and not NUM.match(a.text)
                    and not NUM.match(w.text)
                    and not _STARTS.match(w.text)
                )
            )
        ):
            if _ITEM.match(a.text) and a.text[-1].isdigit() and is_wide(w.text[0]):
                a = Word(a.x0, a.y0, a.x1, a.y1, a.text + ".", a.conf)  # its mark unread
            out[-1] = union([a, w], sep=False)
        else:
            out.append(w)
    return out


def _free(page: _Page, read: dict[_Line, Recognized]) -> list[tuple[float, Row]]:
    """The text outside grids as rows by the borderless logic the text-layer reader uses
    (:func:`pipeline.read.borderless.free_text`), run in the upright image's pixels (a
    turned page's points run another way), the boxes then mapped to PDF points.

    A row is ``aligned`` (its missing cells are printed blanks: there is no ink there)
    only when every word of it was recognised word by word, read well, and read as a
    number wherever it stands as a value would; else a cell nothing was read under is
    unknown, as in any scan. A word with ink but no reading stays, as "?", unreadable.
    """
    h = page.line_h
    unread = Recognized("", 0.0)
    whole = [_word(ln.box, r, h) for ln in page.prose if (r := read.get(ln, unread)).text]
    words = [_word(ln.box, read.get(ln, unread), h) for ln in page.words]
    words = [w if w.text else Word(w.x0, w.y0, w.x1, w.y1, "?", 0.0) for w in words]
    lines = [_mend(line, h) for line in lines_of(words)]
    words = [w for line in lines for w in line]
    doubt = list(whole)  # a whole line's word may hide a value in it
    likes = [value_like(line, h) for line in lines]
    firsts = [  # each line's first number standing as a value
        min(
            (w.x0 for w, v in zip(ln, vs, strict=True) if v and NUM.match(w.text)),
            default=2 * _NOWHERE,
        )
        for ln, vs in zip(lines, likes, strict=True)
    ]
    for ln, vs in zip(lines, likes, strict=True):
        # where the values' columns start, by this line's and its neighbours' numbers
        x_v = (
            min(
                x
                for x, o in zip(firsts, lines, strict=True)
                if abs(o[0].cy - ln[0].cy) <= AROUND * h
            )
            - h
        )
        for w, v in zip(ln, vs, strict=True):
            short = w.x1 - w.x0 <= SHORT * h
            number = NUM.match(w.text)
            if (  # a label (left of the values, or with no number around) may read poorly
                (w.conf < ALIGNED_CONFIDENCE and w.x1 > x_v)
                or (v and not number and (w.x0 >= x_v or x_v > _NOWHERE))
                or (short and w.x0 >= x_v and not number)
            ):
                doubt.append(w)
    no = page.image.number
    ph = page.prep.gray.shape[0]
    clip = page.image.origin != (0.0, 0.0)  # a region of a page: no running head or foot
    margin = (-1.0, ph + 1.0) if clip else (0.08 * ph, 0.9 * ph)
    out: list[tuple[float, Row]] = []
    for y, row in free_text(no, whole + words, margin):
        boxes = [c.origin.bbox for c in row.cells if c.origin.bbox]
        aligned = not any(
            b[0] <= (w.x0 + w.x1) / 2 <= b[2] and b[1] <= w.cy <= b[3] for w in doubt for b in boxes
        )
        cells = tuple(
            CellText(c.text, round(c.confidence, 4), _at(page, c.origin.bbox)) for c in row.cells
        )
        out.append((y, Row(cells, _at(page, row.origin.bbox), aligned)))
    return out


def _at(page: _Page, box: BBox | None) -> Origin:
    return _origin(page, box) if box else Origin(page.image.number)


def read_scan(
    path: Path,
    engine: OcrEngine | None = None,
    max_dpi: float = MAX_DPI,
    orient: bool = True,
    only: frozenset[int] | None = None,
) -> Reading:
    """Rows of an image-only PDF or image file; see the module docstring.

    ``orient``: turn each page upright first (:mod:`pipeline.read.scan.orient`; it asks
    the engine to read a few lines both ways, so a replay by call order turns it off).
    ``only``: the pages (from 1) to read, the others skipped (a mixed PDF's scanned pages).
    """
    eng = engine if engine is not None else default_engine()
    rows: list[Row] = []
    timings: dict[str, float] = defaultdict(float)
    n = 0
    t0 = time.perf_counter()
    for img in pages(Path(path), max_dpi, only):
        timings["render"] += time.perf_counter() - t0
        n += 1
        t1 = time.perf_counter()
        turns = orientation(img.image, img.dpi, eng) if orient else 0
        timings["orient"] += time.perf_counter() - t1
        page = _layout(img, timings, turns)
        read = _recognise(page, eng, timings)
        rows += [r for _, r in _rows(page, read)]
        t0 = time.perf_counter()
    return Reading(ReaderKind.OCR, tuple(rows), n, (), tuple(timings.items()))


def read_clip(
    page: pymupdf.Page,
    box: tuple[float, float, float, float],
    timings: MutableMapping[str, float],
    engine: OcrEngine | None = None,
    max_dpi: float = MAX_DPI,
) -> list[Row]:
    """Rows of a region of a text page that is an image (a table pasted as a picture),
    boxes in the page's points; the stages' seconds added to ``timings``.

    Only a region with a ruled grid is recognised: a photo or a banner is no table, and
    recognising it would cost the most. The region is taken as upright (a screenshot).
    """
    t0 = time.perf_counter()
    img = clip_image(page, box, max_dpi)
    timings["render"] += time.perf_counter() - t0
    layout = _layout(img, timings)
    if not layout.grids:
        return []
    eng = engine if engine is not None else default_engine()
    return [r for _, r in _rows(layout, _recognise(layout, eng, timings))]
