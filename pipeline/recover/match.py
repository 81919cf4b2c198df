"""Rows as read → canonical cells: the rows (:mod:`pipeline.recover.rows`) and the
columns (:mod:`pipeline.recover.columns`) of each of the three tables, as observed cells
with their numbers parsed, before reconciliation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from types import MappingProxyType

from pipeline.model.config import Settings
from pipeline.model.numbers import is_blank, looks_numeric, parse_number
from pipeline.model.records import (
    CellKey,
    CellText,
    Evidence,
    Identification,
    Number,
    Observed,
    ReaderKind,
    Row,
)
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
    application_rows,
)
from pipeline.recover.columns import (
    Columns,
    Slot,
    column_centers,
    header_centers,
    place,
    table_columns,
)
from pipeline.recover.identify import Sections, norm
from pipeline.recover.rows import TableRow, align_rows, join_detached, split_row

# a value whose column is only guessed is no better than unreadable: a consistent shift
# of every row would satisfy all the identities, so they cannot vouch for it
_GUESSED_COLUMN_FACTOR = 0.45

_APP_HEADS = tuple(norm(label)[:2] for _, label in APPLICANT_COLS)


def _has_number(row: Row) -> bool:
    return any(looks_numeric(c.text) and not is_blank(c.text) for c in row.cells)


def _active_columns(rows: Sequence[Row], row: Row, n: int) -> Columns | None:
    """The columns of a table 二 row: its block's header (信息内容 | …) and numbers.

    Each block (第二十条第(一)项 …) has its own header, maybe one per row; a block runs
    from the previous block's last row of numbers to this row's last row of numbers.
    The header's 信息内容 heads the label column: nothing left of its right edge is a
    column of values.
    """
    if row not in rows:
        return None
    i = rows.index(row)
    end = i
    while end + 1 < len(rows) and _has_number(rows[end + 1]):
        end += 1
    start = i
    while start > 0 and _has_number(rows[start - 1]):
        start -= 1
    while start > 0 and not _has_number(rows[start - 1]):
        start -= 1
    block = rows[start : end + 1]
    heads = [c for r in block for c in r.cells if norm(c.text) == "信息内容" and c.origin.bbox]
    label_right = max((c.origin.bbox[2] for c in heads if c.origin.bbox), default=-1e9)
    return table_columns(block, n, label_right)


def _observe(
    key: CellKey, slot: Slot, row: Row, reader: ReaderKind, empty_unsure: bool = False
) -> Observed:
    """The cell as seen; what a blank means depends on the reader (:class:`Evidence`).

    ``empty_unsure``: the row holds no value at all while values of the table were left
    over, matched to no row; its numbers may be among them, so its blanks are not sure.
    """
    if slot.cell is None:
        if slot.lost or reader == ReaderKind.OCR:
            # nothing was read for it: unknown, not a printed blank (OCR can miss a cell;
            # a text layer cannot, so there an empty column is a blank)
            return Observed(key, Number(None, 0.0, note="no cell read for it"), row.origin)
        seen = Evidence.MAYBE_BLANK if empty_unsure else None
        return Observed(key, Number(None, 1.0, blank=True, note="blank"), row.origin, "", seen)
    c = slot.cell
    conf = c.confidence * (_GUESSED_COLUMN_FACTOR if slot.guessed else 1.0)
    number = parse_number(c.text, conf, signed=key.col in SIGNED_COLS)
    if slot.guessed:
        number = Number(number.value, number.confidence, number.blank, "column guessed by count")
    origin = c.origin if c.origin.bbox or c.origin.line else row.origin
    # an empty field of a text extraction may be a printed blank or a cell the converter
    # lost (a row's leading cells come out as empty fields); so may one placed by count
    maybe = reader == ReaderKind.TEXT or slot.guessed
    seen = Evidence.MAYBE_BLANK if number.blank and maybe else None
    return Observed(key, number, origin, c.text, seen)


@dataclass(frozen=True)
class Matched:
    """Observed cells per canonical key; a key with several candidates awaits the identities."""

    cells: Mapping[CellKey, Observed]
    alternatives: Mapping[str, tuple[Mapping[CellKey, Observed], ...]]
    warnings: tuple[str, ...]


def match_tables(
    sections: Sections,
    ident: Identification,
    reader: ReaderKind,
    settings: Settings | None = None,
) -> Matched:
    """Canonical cells from the sections; ``reader`` says what a blank means."""
    cfg = Settings.resolve(settings)
    cells: dict[CellKey, Observed] = {}
    alts: dict[str, list[dict[CellKey, Observed]]] = {}
    warnings: list[str] = []

    def put_row(
        table: str,
        spec_key: str,
        cols: Sequence[str],
        tr: TableRow,
        cands: list[list[Slot]],
        orphans: bool = False,
    ) -> None:
        unsure = orphans and not tr.values
        options = [
            {
                CellKey(table, spec_key, c): _observe(
                    CellKey(table, spec_key, c), s, tr.row, reader, unsure
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
    app_table = sections.tables.get(APPLICATIONS, ())

    full = [r for r in app_rows if r in matched.values()]
    app_orphans = _orphans(app_rows, full, APPLICATIONS, warnings)

    @cache
    def columns() -> Columns | None:
        found = table_columns(app_table, len(APP_COL_KEYS), heads=_APP_HEADS)
        if found is None:
            centers = column_centers(full, len(APP_COL_KEYS)) or header_centers(
                app_table, _APP_HEADS
            )
            found = Columns.at(centers) if centers else None
        return found

    for spec in specs:
        tr = matched.get(spec.key)
        if tr is None:
            warnings.append(f"applications row not found: {spec.key}")
            continue
        cands = place(tr.values, 7, columns)
        put_row(APPLICATIONS, spec.key, APP_COL_KEYS, tr, cands, app_orphans)

    act_table = sections.tables.get(ACTIVE, ())
    act_rows = join_detached([split_row(r) for r in act_table])
    act_specs = ACTIVE_ROWS[ident.template]
    matched = align_rows(act_rows, act_specs, cfg.match_threshold)
    act_orphans = _orphans(act_rows, list(matched.values()), ACTIVE, warnings)
    for spec in act_specs:
        tr = matched.get(spec.key)
        if tr is None:
            warnings.append(f"active_disclosure row not found: {spec.key}")
            continue
        n = len(spec.cols)
        act_columns = partial(_active_columns, act_table, tr.row, n)
        cands = place(tr.values, n, act_columns)
        put_row(ACTIVE, spec.key, spec.cols, tr, cands, act_orphans)

    review_table = sections.tables.get(REVIEW, ())
    review = _review_values(review_table)
    review_columns = cache(partial(table_columns, review_table, len(REVIEW_COLS)))
    if review is None and reader == ReaderKind.PDF and review_columns() is not None:
        # the header printed over no numbers at all: every cell a printed blank (a text
        # extraction may have lost them, so there the table stays not found)
        review = [], review_table[-1]
    if review is None:
        warnings.append("review_litigation values not found")
    else:
        values, row = review
        cands = place(values, len(REVIEW_COLS), review_columns)
        put_row(REVIEW, REVIEW_ROW, REVIEW_COLS, TableRow("", tuple(values), row), cands)
    frozen_alts = {k: tuple(MappingProxyType(o) for o in v) for k, v in alts.items()}
    return Matched(MappingProxyType(cells), MappingProxyType(frozen_alts), tuple(warnings))


def _orphans(
    rows: Sequence[TableRow], matched: Sequence[TableRow], table: str, warnings: list[str]
) -> bool:
    """Whether rows holding values matched no canonical row (said in a warning).

    A lone number without a label is a page number, not a row's values.
    """
    left = [r for r in rows if (r.filled > 1 or (r.filled and r.label)) and r not in matched]
    for r in left:
        line = "".join(c.text for c in r.row.cells)[:40]
        warnings.append(f"{table}: values matched to no row: {line}")
    return bool(left)


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
