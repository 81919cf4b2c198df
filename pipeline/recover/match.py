"""Rows as read → canonical cells: row-label alignment and column mapping.

Row labels come in a known order, some missing, split, merged or garbled; so rows are
matched to the canonical rows by a monotone sequence alignment that maximises the
summed fuzzy similarity (rapidfuzz), rather than one label at a time.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from rapidfuzz import fuzz

from pipeline.model.config import Settings
from pipeline.model.numbers import is_blank, looks_numeric, parse_number
from pipeline.model.records import CellKey, CellText, Identification, Number, Observed, Row
from pipeline.model.taxonomy import (
    ACTIVE,
    ACTIVE_ROWS,
    APP_COL_KEYS,
    APPLICANT_COLS,
    APPLICATIONS,
    REVIEW,
    REVIEW_COLS,
    REVIEW_ROW,
    SIGNED_COLS,
    RowSpec,
    application_rows,
)
from pipeline.recover.identify import Sections, norm

# a value whose column is only guessed is no better than unreadable: a consistent shift
# of every row would satisfy all the identities, so they cannot vouch for it
_GUESSED_COLUMN_FACTOR = 0.45


@dataclass(frozen=True)
class TableRow:
    """A read row split into its label and its value slots."""

    label: str
    values: tuple[CellText, ...]
    row: Row

    @property
    def filled(self) -> int:
        return sum(not is_blank(v.text) for v in self.values)


def split_row(row: Row) -> TableRow:
    """Label = the text cells; values = the cells after the last text cell."""
    cells = row.cells
    last_label = -1
    for i, c in enumerate(cells):
        if not looks_numeric(c.text):
            last_label = i
    label = "".join(c.text for c in cells[: last_label + 1] if not looks_numeric(c.text))
    return TableRow(norm(label), tuple(cells[last_label + 1 :]), row)


_ENUMERATED = re.compile(
    r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.、．])"
)


def join_detached(rows: Sequence[TableRow]) -> list[TableRow]:
    """Rejoin a row that the source split in two.

    A label-only row followed by a row of values that has no label of its own, or only
    the unnumbered rest of a label broken over lines, is one row.
    """
    out: list[TableRow] = []
    for tr in rows:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.values
            and tr.filled
            and not _ENUMERATED.match(tr.label)
            and _ENUMERATED.match(prev.label + tr.label)
        ):
            out[-1] = TableRow(prev.label + tr.label, tr.values, tr.row)
        elif prev is not None and not prev.values and not tr.label and tr.filled:
            out[-1] = TableRow(prev.label, tr.values, tr.row)
        else:
            out.append(tr)
    return out


def similarity(label: str, spec: RowSpec) -> float:
    if not label:
        return 0.0
    best = 0.0
    for phrase in spec.phrases:
        p = norm(phrase)
        score = fuzz.partial_ratio(p, label) / 100.0
        if len(p) <= 2:
            score *= 0.95  # short phrases occur inside other labels too
        best = max(best, score)
    return max(best, fuzz.ratio(norm(spec.label), label) / 100.0)


def align_rows(
    rows: Sequence[TableRow],
    specs: Sequence[RowSpec],
    threshold: float = Settings().match_threshold,
) -> dict[str, TableRow]:
    """Monotone alignment of read rows to canonical rows maximising summed similarity."""
    n, m = len(rows), len(specs)
    sims = [[similarity(r.label, s) for s in specs] for r in rows]
    for i, r in enumerate(rows):
        if not r.values:
            sims[i] = [x - 0.3 for x in sims[i]]  # a row without value cells is a header
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best, how = score[i - 1][j], 1
            if score[i][j - 1] > best:
                best, how = score[i][j - 1], 2
            s = sims[i - 1][j - 1]
            if s >= threshold and score[i - 1][j - 1] + s > best:
                best, how = score[i - 1][j - 1] + s, 3
            score[i][j], move[i][j] = best, how
    out: dict[str, TableRow] = {}
    i, j = n, m
    while i > 0 and j > 0:
        how = move[i][j]
        if how == 3:
            out[specs[j - 1].key] = rows[i - 1]
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    return out


@dataclass(frozen=True)
class Slot:
    """A value cell placed in a column; ``lost`` when padding put it there."""

    cell: CellText | None
    lost: bool = False
    guessed: bool = False  # placed by count alone, with cells lost: its column is a guess


def place(values: Sequence[CellText], n: int, centers: Sequence[float] | None) -> list[list[Slot]]:
    """Candidate placements of a row's value cells into ``n`` columns.

    More than one candidate means the row has extra cells and the choice is left to
    the identities.
    """
    filled = [v for v in values if not is_blank(v.text)]
    if len(filled) == n:
        return [[Slot(v) for v in filled]]
    slots = list(values)
    while len(slots) > n and is_blank(slots[-1].text):  # extra empty trailing columns
        slots.pop()
    if len(slots) == n:
        return [[Slot(v) for v in slots]]
    if centers and all(v.origin.bbox for v in filled):
        by_x = _place_by_x(values, centers)
        if by_x is not None:
            return [by_x]
    if len(slots) < n:
        pad = [Slot(None, lost=True)] * (n - len(slots))
        return [pad + [Slot(v, guessed=True) for v in slots]]
    if len(filled) > n:
        cands = [[Slot(v) for v in filled[k : k + n]] for k in range(len(filled) - n + 1)]
        return cands
    return [[Slot(v) for v in slots[-n:]]]


def _center(c: CellText) -> float:
    assert c.origin.bbox is not None
    return (c.origin.bbox[0] + c.origin.bbox[2]) / 2


def _place_by_x(values: Sequence[CellText], centers: Sequence[float]) -> list[Slot] | None:
    """Each value under its column; a column nothing stands under is a printed blank."""
    out: list[Slot] = [Slot(None)] * len(centers)
    spacing = min((b - a for a, b in zip(centers, centers[1:], strict=False)), default=50.0)
    for v in sorted(values, key=lambda c: is_blank(c.text)):  # numbers first, then blanks
        if v.origin.bbox is None:
            continue
        dists = [abs(_center(v) - c) for c in centers]
        k = dists.index(min(dists))
        if is_blank(v.text):
            if out[k].cell is None and dists[k] <= spacing * 0.5:
                out[k] = Slot(v)  # keeps the blank cell's own box
            continue
        if dists[k] > spacing * 0.5 or out[k].cell is not None:
            return None
        out[k] = Slot(v)
    return out


def column_centers(rows: Sequence[TableRow], n: int) -> list[float] | None:
    """x-centres of the value columns, from rows that fill every column."""
    full = [
        [_center(v) for v in r.values if not is_blank(v.text)]
        for r in rows
        if r.filled == n and all(v.origin.bbox for v in r.values if not is_blank(v.text))
    ]
    full = [xs for xs in full if len(xs) == n]
    if not full:
        return None
    return [statistics.median(xs[k] for xs in full) for k in range(n)]


_MIN_CHAR_WIDTH = 4.0  # points: no legible printed character is narrower


def _word_centers(cell: CellText, heads: Sequence[str]) -> dict[str, float]:
    """Centres of the header words inside one cell, by their character positions.

    A header cell may hold several column titles run together (tight borderless tables);
    CJK characters are equally wide, so each title's share of the text is its share of the box.
    """
    t = norm(cell.text)
    if not cell.origin.bbox or not t:
        return {}
    at = sorted((t.find(h), h) for h in heads if h in t)
    if not at or len(t) > 8 * len(at):
        return {}
    x0, _, x1, _ = cell.origin.bbox
    if (x1 - x0) / len(t) < _MIN_CHAR_WIDTH:
        return {}  # the box is not the text's extent (text overflowing a narrow cell)
    out: dict[str, float] = {}
    for n, (i, h) in enumerate(at):
        end = at[n + 1][0] if n + 1 < len(at) else len(t)
        out[h] = x0 + (x1 - x0) * (i + end) / 2 / len(t)
    return out


def header_centers(rows: Sequence[Row], heads: Sequence[str]) -> list[float] | None:
    """x-centres of the value columns from their header cells (自然人 … 总计).

    Used where no row fills every column (filings that print 0 as blank, without rules).
    """
    found: dict[str, float] = {}
    for r in rows:
        if any(looks_numeric(c.text) and not is_blank(c.text) for c in r.cells):
            break  # the header is above the first row of numbers
        for c in r.cells:
            for h, x in _word_centers(c, heads).items():
                found.setdefault(h, x)
    xs = [found.get(h) for h in heads]
    if any(x is None for x in xs):
        return None
    centers = [x for x in xs if x is not None]
    return centers if all(a < b for a, b in zip(centers, centers[1:], strict=False)) else None


_APP_HEADS = tuple(norm(label)[:2] for _, label in APPLICANT_COLS)


def _active_centers(rows: Sequence[Row], row: Row, n: int) -> list[float] | None:
    """Centres of a table 二 row's columns: the header row just above it (信息内容 | …)."""
    above = rows[: rows.index(row)] if row in rows else []
    for r in reversed(above):
        cells = [c for c in r.cells if c.origin.bbox]
        if cells and norm(cells[0].text) == "信息内容":
            heads = cells[1:]
            if len(heads) == n:
                return [_center(c) for c in heads]
            return None
    return None


def _observe(key: CellKey, slot: Slot, row: Row, exact: bool) -> Observed:
    if slot.cell is None:
        if slot.lost or not exact:
            # nothing was read for it: unknown, not a printed blank (OCR can miss a cell;
            # a text layer cannot, so there an empty column is a blank)
            return Observed(key, Number(None, 0.0, note="no cell read for it"), row.origin)
        return Observed(key, Number(None, 1.0, blank=True, note="blank"), row.origin, "")
    c = slot.cell
    conf = c.confidence * (_GUESSED_COLUMN_FACTOR if slot.guessed else 1.0)
    number = parse_number(c.text, conf, signed=key.col in SIGNED_COLS)
    if slot.guessed:
        number = Number(number.value, number.confidence, number.blank, "column guessed by count")
    origin = c.origin if c.origin.bbox or c.origin.line else row.origin
    return Observed(key, number, origin, c.text)


@dataclass(frozen=True)
class Matched:
    """Observed cells per canonical key; a key with several candidates awaits the identities."""

    cells: Mapping[CellKey, Observed]
    alternatives: Mapping[str, tuple[Mapping[CellKey, Observed], ...]]
    warnings: tuple[str, ...]


def match_tables(
    sections: Sections,
    ident: Identification,
    settings: Settings | None = None,
    exact_text: bool = True,
) -> Matched:
    """Canonical cells from the sections; ``exact_text`` when the reader cannot miss text."""
    cfg = Settings.resolve(settings)
    cells: dict[CellKey, Observed] = {}
    alts: dict[str, list[dict[CellKey, Observed]]] = {}
    warnings: list[str] = []

    def put_row(
        table: str, spec_key: str, cols: Sequence[str], tr: TableRow, cands: list[list[Slot]]
    ) -> None:
        options = [
            {
                CellKey(table, spec_key, c): _observe(
                    CellKey(table, spec_key, c), s, tr.row, exact_text
                )
                for c, s in zip(cols, cand, strict=True)
            }
            for cand in cands
        ]
        cells.update(options[0])
        if len(options) > 1:
            alts[f"{table}.{spec_key}"] = options

    app_rows = join_detached([split_row(r) for r in sections.tables.get(APPLICATIONS, ())])
    specs = application_rows(ident.applications_layout)
    matched = align_rows(app_rows, specs, cfg.match_threshold)
    centers = column_centers(
        [r for r in app_rows if r in matched.values()], len(APP_COL_KEYS)
    ) or header_centers(sections.tables.get(APPLICATIONS, ()), _APP_HEADS)
    for spec in specs:
        tr = matched.get(spec.key)
        if tr is None:
            warnings.append(f"applications row not found: {spec.key}")
            continue
        put_row(APPLICATIONS, spec.key, APP_COL_KEYS, tr, place(tr.values, 7, centers))

    act_rows = join_detached([split_row(r) for r in sections.tables.get(ACTIVE, ())])
    act_specs = ACTIVE_ROWS[ident.template]
    matched = align_rows(act_rows, act_specs, cfg.match_threshold)
    for spec in act_specs:
        tr = matched.get(spec.key)
        if tr is None:
            warnings.append(f"active_disclosure row not found: {spec.key}")
            continue
        n = len(spec.cols)
        centers = _active_centers(sections.tables.get(ACTIVE, ()), tr.row, n)
        put_row(ACTIVE, spec.key, spec.cols, tr, place(tr.values, n, centers))

    review = _review_values(sections.tables.get(REVIEW, ()))
    if review is None:
        warnings.append("review_litigation values not found")
    else:
        values, row = review
        cands = place(values, len(REVIEW_COLS), None)
        put_row(REVIEW, REVIEW_ROW, REVIEW_COLS, TableRow("", tuple(values), row), cands)
    frozen_alts = {k: tuple(MappingProxyType(o) for o in v) for k, v in alts.items()}
    return Matched(MappingProxyType(cells), MappingProxyType(frozen_alts), tuple(warnings))


def _review_values(rows: Sequence[Row]) -> tuple[list[CellText], Row] | None:
    """The 15 numbers of table 四: the label-less rows of numbers after its header."""
    data = [split_row(r) for r in rows]
    numeric = [r for r in data if not r.label and r.filled > 0]
    if not numeric:
        return None
    values: list[CellText] = []
    for r in numeric:
        vals = list(r.values)
        while vals and is_blank(vals[-1].text):
            vals.pop()
        values.extend(vals)
    if len(values) > len(REVIEW_COLS) and len(numeric) > 1:
        best = max(numeric, key=lambda r: r.filled)
        values = list(best.values)
        return values, best.row
    return values, numeric[0].row
