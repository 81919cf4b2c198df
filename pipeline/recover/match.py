"""Rows as read → canonical cells: the rows (:mod:`pipeline.recover.rows`) and the
columns (:mod:`pipeline.recover.columns`) of each of the three tables, as observed cells
with their numbers parsed, before reconciliation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial
from types import MappingProxyType

from pipeline.model.config import Settings
from pipeline.model.numbers import is_blank, looks_numeric, parse_number
from pipeline.model.records import (
    CellKey,
    CellText,
    Decision,
    Evidence,
    Identification,
    Number,
    Observed,
    ReaderKind,
    Row,
)
from pipeline.model.taxonomy import (
    ACTIVE,
    ACTIVE_HEADER_2019,
    ACTIVE_HEADER_2021,
    ACTIVE_ROWS,
    APP_COL_KEYS,
    APPLICANT_COLS,
    APPLICATION_ROWS,
    APPLICATIONS,
    REVIEW,
    REVIEW_COLS,
    REVIEW_ROW,
    SIGNED_COLS,
    RowSpec,
    application_rows,
    is_amount,
)
from pipeline.recover.columns import (
    Columns,
    Slot,
    column_centers,
    header_centers,
    over_label,
    place,
    table_columns,
)
from pipeline.recover.confidence import Placement, compose
from pipeline.recover.identify import Sections, norm
from pipeline.recover.rows import Aligned, TableRow, align_scored, join_detached, split_row
from pipeline.recover.ties import untied

_APP_HEADS = tuple(norm(label)[:2] for _, label in APPLICANT_COLS)
# words of a table's header line that no row label holds (a header line may match a row:
# its 总计 looks like （七）总计)
_HEADER_WORDS = {
    APPLICATIONS: (
        *(norm(label) for _, label in APPLICANT_COLS[:-2]),
        "申请人情况",
        "法人或其他组织",
        "勾稽关系",
    ),
    ACTIVE: ("信息内容", *ACTIVE_HEADER_2021, *ACTIVE_HEADER_2019),
}
_FIRM = Placement()
# the rows of table 三 that only one layout has: they hang on how the layout was told
_LAYOUT_ROWS = frozenset(
    s.key for specs in APPLICATION_ROWS.values() for s in specs
) - frozenset.intersection(*(frozenset(s.key for s in v) for v in APPLICATION_ROWS.values()))


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
    heads = [c for r in block for c in r.cells if norm(c.text) == "信息内容" and c.origin.upright]
    label_right = max((c.origin.upright[2] for c in heads if c.origin.upright), default=-1e9)
    return table_columns(block, n, label_right)


def _placement(a: Aligned, decision: Decision | None) -> Placement:
    return Placement(a.similarity, a.row.label != "" and a.header, decision=decision)


def _observe(
    key: CellKey,
    slot: Slot,
    row: Row,
    reader: ReaderKind,
    placed: Placement,
    cfg: Settings,
    empty_unsure: bool = False,
) -> Observed:
    """The cell as seen; what a blank means depends on the reader (:class:`Evidence`).

    Its confidence is composed from the read and the evidence of its placement
    (:func:`pipeline.recover.confidence.compose`). ``empty_unsure``: the row holds no value
    at all while values of the table were left over, matched to no row; its numbers may be
    among them, so its blanks are not sure.
    """
    placed = replace(placed, guessed_column=slot.guessed)
    if placed.untied:
        return _untied(key, slot, row, placed, cfg)
    if slot.cell is None:
        if slot.lost or (reader == ReaderKind.OCR and not row.aligned):
            # nothing was read for it: unknown, not a printed blank (OCR can miss a cell;
            # a text layer cannot, so there an empty column is a blank; nor can a scanned
            # borderless row whose every word was read: no ink stood there)
            return Observed(key, Number(None, 0.0, note="no cell read for it"), row.origin)
        blank = Number(None, compose(1.0, placed, cfg), blank=True, note="blank")
        seen = Evidence.MAYBE_BLANK if empty_unsure else None
        return Observed(key, blank, row.origin, "", seen)
    c = slot.cell
    conf = compose(c.confidence, placed, cfg, c.margin)
    number = parse_number(c.text, conf, signed=key.col in SIGNED_COLS, count=_counts(key))
    if slot.guessed:
        number = Number(number.value, number.confidence, number.blank, "column guessed by count")
    origin = c.origin if c.origin.bbox or c.origin.line else row.origin
    # an empty field of a text extraction may be a printed blank or a cell the converter
    # lost (a row's leading cells come out as empty fields); so may one placed by count
    maybe = reader == ReaderKind.TEXT or slot.guessed
    seen = Evidence.MAYBE_BLANK if number.blank and maybe else None
    return Observed(key, number, origin, c.text, seen)


def _untied(key: CellKey, slot: Slot, row: Row, placed: Placement, cfg: Settings) -> Observed:
    """A cell of a row not tied to its label: whatever was read (or nothing), it may be a
    neighbouring row's; it is weak, and :attr:`Evidence.UNTIED` keeps it from standing."""
    c = slot.cell
    if c is None:
        return Observed(
            key, Number(None, 0.0, note="row not tied"), row.origin, None, Evidence.UNTIED
        )
    conf = compose(c.confidence, placed, cfg, c.margin)
    number = parse_number(c.text, conf, signed=key.col in SIGNED_COLS, count=_counts(key))
    origin = c.origin if c.origin.bbox else row.origin
    return Observed(key, number, origin, c.text, Evidence.UNTIED)


def _counts(key: CellKey) -> bool:
    """Whether the cell holds a count (a fraction read there is no reading)."""
    return not is_amount(key.table, key.row, key.col)


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
        placed: Placement = _FIRM,
        orphans: bool = False,
    ) -> None:
        unsure = orphans and not tr.values
        if over_label(tr):  # no column holds it: wherever it is placed is a guess
            cands = [[replace(s, guessed=True) for s in cand] for cand in cands]
        options = [
            {
                CellKey(table, spec_key, c): _observe(
                    CellKey(table, spec_key, c), s, tr.row, reader, placed, cfg, unsure
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
    matched = align_scored(app_rows, specs, cfg.match_threshold, _HEADER_WORDS[APPLICATIONS])
    app_table = sections.tables.get(APPLICATIONS, ())
    data_rows = [a.row for a in matched.values() if not a.header]
    full = [r for r in app_rows if r in data_rows]
    app_orphans = _orphans(
        app_rows, [a.row for a in matched.values()], APPLICATIONS, len(APP_COL_KEYS), warnings
    )

    @cache
    def columns() -> Columns | None:
        found = table_columns(app_table, len(APP_COL_KEYS), heads=_APP_HEADS)
        if found is None:
            centers = column_centers(full, len(APP_COL_KEYS)) or header_centers(
                app_table, _APP_HEADS
            )
            found = Columns.at(centers) if centers else None
        return found

    beside = _beside_empty(specs, matched) if reader == ReaderKind.TEXT else set()
    loose = _loose(app_rows, specs, matched, reader, cfg)
    rows_placed = []
    for spec in specs:
        a = matched.get(spec.key)
        if a is None:
            warnings.append(f"applications row not found: {spec.key}")
            continue
        placed = _placement(a, ident.layout_by if spec.key in _LAYOUT_ROWS else None)
        placed = replace(placed, beside_empty=spec.key in beside, untied=spec.key in loose)
        warnings += _doubts(APPLICATIONS, spec.key, placed, cfg, loose.get(spec.key))
        rows_placed.append(
            (spec.key, a.row, place(a.row.values, 7, columns, total_last=True), placed)
        )
    # a row whose values could not be placed (two in one column: rows run together) may
    # hold another row's values, like values matched to no row
    app_orphans = app_orphans or any(s.guessed for *_, c, _ in rows_placed for s in c[0])
    for key, tr, cands, placed in rows_placed:
        put_row(APPLICATIONS, key, APP_COL_KEYS, tr, cands, placed, app_orphans)

    act_table = sections.tables.get(ACTIVE, ())
    act_rows = join_detached([split_row(r) for r in act_table])
    act_specs = ACTIVE_ROWS[ident.template]
    matched = align_scored(act_rows, act_specs, cfg.match_threshold, _HEADER_WORDS[ACTIVE])
    widest = max(len(s.cols) for s in act_specs)
    act_orphans = _orphans(act_rows, [a.row for a in matched.values()], ACTIVE, widest, warnings)
    beside = _beside_empty(act_specs, matched) if reader == ReaderKind.TEXT else set()
    loose = _loose(act_rows, act_specs, matched, reader, cfg)
    for spec in act_specs:
        a = matched.get(spec.key)
        if a is None:
            warnings.append(f"active_disclosure row not found: {spec.key}")
            continue
        placed = _placement(a, ident.template_by)
        placed = replace(placed, beside_empty=spec.key in beside, untied=spec.key in loose)
        warnings += _doubts(ACTIVE, spec.key, placed, cfg, loose.get(spec.key))
        tr, n = a.row, len(spec.cols)
        act_columns = partial(_active_columns, act_table, tr.row, n)
        cands = place(tr.values, n, act_columns, edges_unsure=True)
        put_row(ACTIVE, spec.key, spec.cols, tr, cands, placed, act_orphans)

    if ident.template_by == Decision.FALLBACK:
        warnings.insert(0, f"template not told by the filing: assumed {ident.template}")
    if ident.layout_by == Decision.FALLBACK:
        warnings.insert(
            0, f"applications layout not told by the filing: assumed {ident.applications_layout}"
        )
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
        cands = place(values, len(REVIEW_COLS), review_columns, total_last=True)
        put_row(REVIEW, REVIEW_ROW, REVIEW_COLS, TableRow("", tuple(values), row), cands)
    frozen_alts = {k: tuple(MappingProxyType(o) for o in v) for k, v in alts.items()}
    return Matched(MappingProxyType(cells), MappingProxyType(frozen_alts), tuple(warnings))


def _loose(
    rows: Sequence[TableRow],
    specs: Sequence[RowSpec],
    matched: Mapping[str, Aligned],
    reader: ReaderKind,
    cfg: Settings,
) -> dict[str, str]:
    """The canonical rows of an OCR'd table whose values are not tied to their label
    (:mod:`pipeline.recover.ties`), with why: rows the geometry unties, and the rows next to
    a matched row that shows no value cell at all (its values went somewhere)."""
    if reader != ReaderKind.OCR:
        return {}
    # a row built from its words' alignment has no rule to lose (ties.untied judges only
    # its text), and one of them showing no value is a row of blanks, not a lost one
    by_row = untied(rows, cfg)
    index = {id(tr): i for i, tr in enumerate(rows)}
    out = {
        k: by_row[index[id(a.row)]]
        for k, a in matched.items()
        if not a.header and index.get(id(a.row)) in by_row
    }
    for k in _beside_empty(specs, {k: a for k, a in matched.items() if not a.header}):
        out.setdefault(k, "beside a row that shows no value cell")
    # a row of values matched to no row between two matched rows of its page: they may have
    # lost them to it (a row cut in two by a stroke taken for a rule). (Not at a page's
    # edge, where a row broken by the page is matched by one of its parts.)
    key_of = {index[id(a.row)]: k for k, a in matched.items() if id(a.row) in index}
    for i, tr in enumerate(rows):
        if i in key_of or not (tr.filled > 1 or (tr.filled and tr.label)):
            continue
        page = tr.row.origin.page
        if all(j in key_of and rows[j].row.origin.page == page for j in (i - 1, i + 1)):
            for j in (i - 1, i + 1):
                out.setdefault(key_of[j], "beside values matched to no row")
    return out


def _beside_empty(specs: Sequence[RowSpec], matched: Mapping[str, Aligned]) -> set[str]:
    """The matched rows next to a matched row that shows no value field at all (not one
    read from its words' alignment: that row is printed blank, no value went astray)."""
    keys = [s.key for s in specs if s.key in matched]
    out: set[str] = set()
    for i, k in enumerate(keys):
        if not matched[k].row.values and not matched[k].row.row.aligned:
            out.update(keys[max(i - 1, 0) : i] + keys[i + 1 : i + 2])
    return out


def _orphans(
    rows: Sequence[TableRow],
    matched: Sequence[TableRow],
    table: str,
    n: int,
    warnings: list[str],
) -> bool:
    """Whether the table has values that may belong to a row showing none: rows of values
    matched to no canonical row (said in a warning), or a row holding more values than the
    table has columns (two rows' values run together).

    A lone number without a label is a page number, not a row's values.
    """
    left = [r for r in rows if (r.filled > 1 or (r.filled and r.label)) and r not in matched]
    for r in left:
        line = "".join(c.text for c in r.row.cells)[:40]
        warnings.append(f"{table}: values matched to no row: {line}")
    # (an over-full row says nothing new: its placements are tried against the identities)
    return bool(left) or any(r.filled > n for r in matched)


def _doubts(
    table: str, key: str, placed: Placement, cfg: Settings, why: str | None = None
) -> list[str]:
    """The warnings for a row matched on evidence too weak to stand alone."""
    if placed.untied:
        return [f"{table} row not tied to its label: {key} ({why})"]
    if placed.header:
        return [f"{table} row matched on a header line: {key}"]
    if placed.similarity < cfg.firm_match:
        return [f"{table} row matched weakly: {key}"]
    return []


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
