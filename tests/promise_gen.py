"""A generator of consistent filings, the rows a reader would make of them, and reader faults.

It stays in the tests so that every change to matching and reconciliation is held to the
promise (docs/contract.md): a value that differs from the truth is in ``review``.

A filing is drawn as its true values (the identities of taxonomy.py hold), printed as
:class:`Line`s of :class:`Piece`s — a label area and value cells under column positions —
and rendered the way one of the readers would hand it over: a text extraction (cells in
order, no boxes), a PDF text layer or an OCR of a page (boxes at regular column x). The
faults (tests/promise_faults.py) edit the lines before rendering; each records what it
did in :attr:`Case.notes`, which is what a falsifying example prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from hypothesis import strategies as st

from pipeline.model.records import (
    Cell,
    CellKey,
    CellText,
    Identification,
    Layout,
    Origin,
    ReaderKind,
    Row,
    Status,
    Template,
)
from pipeline.model.taxonomy import (
    ACTIVE,
    ACTIVE_COL_LABELS,
    ACTIVE_ROWS,
    APP_COL_KEYS,
    APPLICANT_COLS,
    APPLICATIONS,
    REVIEW,
    REVIEW_COLS,
    REVIEW_GROUPS,
    REVIEW_ROW,
    TABLE_TITLES,
    application_rows,
    canonical_keys,
)
from pipeline.recover.identify import Sections
from pipeline.recover.match import match_tables
from pipeline.recover.reconcile import reconcile

Value = int | float
Draw = Callable[[st.SearchStrategy[Any]], Any]

# ---------------------------------------------------------------- the truth


@dataclass(frozen=True)
class Truth:
    template: Template
    layout: Layout
    values: Mapping[CellKey, Value]


_count = st.sampled_from([0, 0, 0, 1, 2, 3]) | st.integers(0, 150)


@st.composite
def truths(draw: Draw) -> Truth:
    """A consistent filing of either template and either layout of （六）."""
    template = draw(st.sampled_from(list(Template)))
    layout = draw(st.sampled_from(list(Layout)))
    v: dict[CellKey, Value] = {}
    for spec in ACTIVE_ROWS[template]:
        for col in spec.cols:
            if col == "change":
                x: Value = draw(st.integers(-40, 40))
            elif col == "amount":
                x = draw(st.integers(0, 99999)) / 10  # tenths of 万元
                x = int(x) if float(x).is_integer() else x
            else:
                x = draw(_count)
            v[CellKey(ACTIVE, spec.key, col)] = x
    rows = [r.key for r in application_rows(layout)]
    results = rows[rows.index("granted") : rows.index("total")]
    app = {r: [0] * 7 for r in rows}
    for c in range(6):
        busy = draw(st.booleans())
        for r in results:
            app[r][c] = draw(_count) if busy else 0
        total = sum(app[r][c] for r in results)
        forward = draw(st.integers(0, 20))
        over = draw(st.integers(0, total + forward))
        app["total"][c], app["carried_forward"][c] = total, forward
        app["carried_over"][c], app["new_requests"][c] = over, total + forward - over
    for r in rows:
        app[r][6] = sum(app[r][:6])
        for col, x in zip(APP_COL_KEYS, app[r], strict=True):
            v[CellKey(APPLICATIONS, r, col)] = x
    for g in REVIEW_GROUPS:
        parts = [draw(st.integers(0, 6)) for _ in range(4)]
        for res, x in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
            v[CellKey(REVIEW, REVIEW_ROW, f"{g}_{res}")] = x
        v[CellKey(REVIEW, REVIEW_ROW, f"{g}_total")] = sum(parts)
    return Truth(template, layout, MappingProxyType(v))


# ---------------------------------------------------------------- the printed lines


@dataclass(frozen=True)
class Piece:
    """A printed text; ``col`` its position among the value columns (None: the label area).

    ``dy`` and ``span`` place its box vertically, in row heights from the top of its line's
    band (an OCR reading's cell that reaches into another row's band: a rule lost).
    """

    text: str
    col: float | None = None
    conf: float = 1.0
    dy: float = 0.0
    span: float | None = None  # None: the line's band


@dataclass(frozen=True)
class Line:
    """One printed row of a table; ``key`` is the canonical row it prints (None: title, header)."""

    cells: tuple[Piece, ...]
    n: int  # value columns under this line: its geometry
    key: str | None = None
    height: float = 1.0  # its band, in row heights (two rows merged: 2; a row cut: 0.5)

    @property
    def label(self) -> tuple[Piece, ...]:
        return tuple(p for p in self.cells if p.col is None)

    @property
    def values(self) -> tuple[Piece, ...]:
        return tuple(p for p in self.cells if p.col is not None)

    def with_values(self, values: tuple[Piece, ...] | list[Piece]) -> Line:
        return replace(self, cells=self.label + tuple(values))


@dataclass(frozen=True)
class Style:
    """How the filing is printed and read."""

    kind: ReaderKind
    blank_zeros: bool  # 0 printed as an empty cell
    ruled: bool  # a ruled table: empty cells are there (with boxes); else they are absent
    # an unruled OCR reading built from its words' alignment (a scanned borderless table):
    # a row whose every value read well tells its blanks (Row.aligned), as a text layer's
    words: bool = False


def text_of(value: Value, col: str, style: Style) -> str:
    if value == 0 and style.blank_zeros:
        return ""
    if col == "change" and value < 0:
        return f"减{-value}"
    return str(value)


def build(truth: Truth, style: Style) -> dict[str, list[Line]]:
    """The printed tables of a filing: titles, headers and value rows."""
    v, t = truth.values, truth.template
    keep = style.kind == ReaderKind.TEXT or style.ruled

    def values(table: str, row: str, cols: tuple[str, ...]) -> tuple[Piece, ...]:
        out = []
        for i, c in enumerate(cols):
            text = text_of(v[CellKey(table, row, c)], c, style)
            if text or keep:
                out.append(Piece(text, float(i)))
        return tuple(out)

    active: list[Line] = [Line((Piece(TABLE_TITLES[ACTIVE]),), 1)]
    cols: tuple[str, ...] = ()
    for spec in ACTIVE_ROWS[t]:
        n = len(spec.cols)
        if spec.cols != cols:
            heads = tuple(Piece(ACTIVE_COL_LABELS[t][c], float(i)) for i, c in enumerate(spec.cols))
            active.append(Line((Piece("信息内容"), *heads), n))
            cols = spec.cols
        active.append(Line((Piece(spec.label), *values(ACTIVE, spec.key, spec.cols)), n, spec.key))
    app: list[Line] = [
        Line((Piece(TABLE_TITLES[APPLICATIONS]),), 7),
        Line((Piece("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),), 7),
        Line((Piece("申请人情况", 3.0),), 7),
        Line(HEADER_APP, 7),
    ]
    for spec in application_rows(truth.layout):
        app.append(
            Line((Piece(spec.label), *values(APPLICATIONS, spec.key, APP_COL_KEYS)), 7, spec.key)
        )
    results = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    review = [
        Line((Piece(TABLE_TITLES[REVIEW]),), 15),
        Line((Piece("行政复议", 2.0), Piece("行政诉讼", 9.5)), 15),
        Line((Piece("未经复议直接起诉", 7.0), Piece("复议后起诉", 12.0)), 15),
        Line(tuple(Piece(h, float(i)) for i, h in enumerate(results * 3)), 15),
        Line(values(REVIEW, REVIEW_ROW, REVIEW_COLS), 15, REVIEW_ROW),
    ]
    return {ACTIVE: active, APPLICATIONS: app, REVIEW: review}


HEADER_APP = tuple(Piece(label, float(i)) for i, (_, label) in enumerate(APPLICANT_COLS))

# the scan reader's ALIGNED_CONFIDENCE: a row with a value read below it tells no blanks
WORD_CONFIDENCE = 0.9
# x of the value area and the width of a column, per table (table 二: by columns in the row)
_LABEL_X0 = 56.0


def _geometry(table: str, n: int) -> tuple[float, float]:
    if table == APPLICATIONS:
        return 306.0, 31.0
    if table == REVIEW:
        return 56.0, 32.0
    return 206.0, 330.0 / n


def render(table: str, lines: list[Line], style: Style, y0: float = 100.0) -> tuple[Row, ...]:
    """The rows a reader hands over: boxes for a PDF or OCR, line numbers for a text.

    An OCR reading's rows have their band's box too, as the scan reader's do.
    """
    rows = []
    y = y0
    for i, line in enumerate(lines):
        x0, w = _geometry(table, line.n)
        h = 16.0 * line.height
        cells = []
        for p in line.cells:
            top = y + 16.0 * p.dy
            bottom = top + (h if p.span is None else 16.0 * p.span)
            if style.kind == ReaderKind.TEXT:
                origin = Origin(line=i + 1)
            elif p.col is None:
                origin = Origin(1, (_LABEL_X0, top, x0, bottom))
            else:
                origin = Origin(1, (x0 + p.col * w, top, x0 + (p.col + 1) * w, bottom))
            cells.append(CellText(p.text, p.conf, origin))
        if style.kind == ReaderKind.TEXT:
            line_origin = Origin(line=i + 1)
        elif style.kind == ReaderKind.OCR:
            line_origin = Origin(1, (_LABEL_X0, y, x0 + line.n * w, y + h))
        else:
            line_origin = Origin(1)
        aligned = style.words and all(p.conf >= WORD_CONFIDENCE for p in line.values)
        rows.append(Row(tuple(cells), line_origin, aligned))
        y += h
    return tuple(rows)


# ---------------------------------------------------------------- a case and its outcome


@dataclass
class Case:
    truth: Truth
    style: Style
    tables: dict[str, list[Line]]
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        s = self.style
        head = f"template {self.truth.template}, layout {self.truth.layout}, {s.kind}"
        head += f"{', zeros blank' if s.blank_zeros else ''}{', ruled' if s.ruled else ''}"
        return "\n  ".join([f"Case({head}):", *self.notes])

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))  # Hypothesis prints this, not every field, in a falsifying example


def run(case: Case) -> list[Cell]:
    """match + reconcile, chained as pipeline/run.py does."""
    tables = {t: render(t, lines, case.style) for t, lines in case.tables.items()}
    sections = Sections(MappingProxyType(tables), ())
    ident = Identification(case.truth.template, case.truth.layout, None, None)
    matched = match_tables(sections, ident, case.style.kind)
    cells, _ = reconcile(ident, matched.cells, matched.alternatives)
    return cells


def silent_errors(case: Case, cells: list[Cell]) -> list[str]:
    """Cells whose value is not the truth and whose status is not ``review``; missing keys."""
    keys = canonical_keys(case.truth.template, case.truth.layout)
    out = [] if [c.key for c in cells] == keys else ["the cells are not the canonical keys"]
    for c in cells:
        want = case.truth.values[c.key]
        right = c.value is not None and abs(c.value - want) < 1e-6
        if c.status != Status.REVIEW and (not right or c.status == Status.CORRECTED):
            k = c.key
            out.append(
                f"{k.table}.{k.row}.{k.col} = {c.value} {c.status} (conf {c.confidence}), "
                f"truth {want}"
            )
    return out
