"""A generator of consistent filings, the rows a reader would make of them, and reader faults.

It stays in the tests so that every change to matching and reconciliation is held to the
promise (docs/contract.md): a value that differs from the truth is in ``review``.

A filing is drawn as its true values (the identities of taxonomy.py hold), printed as
:class:`Line`s of :class:`Piece`s — a label area and value cells under column positions —
and rendered the way one of the readers would hand it over: a text extraction (cells in
order, no boxes), a PDF text layer or an OCR of a page (boxes at regular column x). The
faults (:data:`FAULTS`) edit the lines before rendering; each records what it did in
:attr:`Case.notes`, which is what a falsifying example prints.
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
    """A printed text; ``col`` its position among the value columns (None: the label area)."""

    text: str
    col: float | None = None
    conf: float = 1.0


@dataclass(frozen=True)
class Line:
    """One printed row of a table; ``key`` is the canonical row it prints (None: title, header)."""

    cells: tuple[Piece, ...]
    n: int  # value columns under this line: its geometry
    key: str | None = None

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

# x of the value area and the width of a column, per table (table 二: by columns in the row)
_LABEL_X0 = 56.0


def _geometry(table: str, n: int) -> tuple[float, float]:
    if table == APPLICATIONS:
        return 306.0, 31.0
    if table == REVIEW:
        return 56.0, 32.0
    return 206.0, 330.0 / n


def render(table: str, lines: list[Line], style: Style, y0: float = 100.0) -> tuple[Row, ...]:
    """The rows a reader hands over: boxes for a PDF or OCR, line numbers for a text."""
    rows = []
    for i, line in enumerate(lines):
        y = y0 + 16.0 * i
        x0, w = _geometry(table, line.n)
        cells = []
        for p in line.cells:
            if style.kind == ReaderKind.TEXT:
                origin = Origin(line=i + 1)
            elif p.col is None:
                origin = Origin(1, (_LABEL_X0, y, x0, y + 16))
            else:
                origin = Origin(1, (x0 + p.col * w, y, x0 + (p.col + 1) * w, y + 16))
            cells.append(CellText(p.text, p.conf, origin))
        line_origin = Origin(line=i + 1) if style.kind == ReaderKind.TEXT else Origin(1)
        rows.append(Row(tuple(cells), line_origin))
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


# ---------------------------------------------------------------- the faults

_GEOMETRY_KINDS = (ReaderKind.PDF, ReaderKind.OCR)
_JUNK = "口□?#囗■"


def _targets(
    case: Case, tables: tuple[str, ...], ok: Callable[[Line], bool] = lambda line: True
) -> list[tuple[str, int]]:
    return [
        (t, i)
        for t in tables
        for i, line in enumerate(case.tables[t])
        if line.key is not None and ok(line)
    ]


def _pick(draw: Draw, case: Case, targets: list[tuple[str, int]], fault: str) -> tuple[str, int]:
    """A target of the fault; (\"\", -1) when the filing has none (e.g. all zeros as blanks)."""
    if not targets:
        case.notes.append(f"{fault}: nothing to hurt")
        return "", -1
    return draw(st.sampled_from(targets))  # type: ignore[no-any-return]


def _name(table: str, line: Line) -> str:
    return f"{table}.{line.key}"


def _texts(pieces: tuple[Piece, ...] | list[Piece]) -> list[str]:
    return [p.text for p in pieces]


def _misread(draw: Draw, text: str) -> str:
    """One digit of ``text`` changed (never to a leading zero): a different number."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = draw(st.sampled_from(digits))
    lead = i == digits[0] and len(digits) > 1
    new = draw(
        st.sampled_from([d for d in "0123456789" if d != text[i] and not (lead and d == "0")])
    )
    return text[:i] + new + text[i + 1 :]


def lost_cell(draw: Draw, case: Case) -> None:
    """A value cell the reader did not see: anywhere in the row, or the row's first cells."""
    targets = _targets(case, (ACTIVE, APPLICATIONS, REVIEW), lambda x: bool(x.values))
    t, i = _pick(draw, case, targets, "lost")
    if i < 0:
        return
    line = case.tables[t][i]
    vals = list(line.values)
    if draw(st.booleans()):
        j = draw(st.integers(0, len(vals) - 1))
        gone = [vals.pop(j)]
        what = f"value #{j}"
    else:
        k = draw(st.integers(1, min(3, len(vals))))
        gone, vals = vals[:k], vals[k:]
        what = f"first {k} value(s)"
    case.tables[t][i] = line.with_values(vals)
    case.notes.append(f"lost: {_name(t, line)} {what} {_texts(gone)}")


def _misread_cell(draw: Draw, case: Case, tables: tuple[str, ...], conf: float, kind: str) -> None:
    targets = _targets(case, tables, lambda x: any(p.text for p in x.values))
    t, i = _pick(draw, case, targets, kind)
    if i < 0:
        return
    line = case.tables[t][i]
    vals = list(line.values)
    j = draw(st.sampled_from([j for j, p in enumerate(vals) if p.text]))
    text = _misread(draw, vals[j].text)
    case.notes.append(f"{kind}: {_name(t, line)} value #{j} {vals[j].text!r} as {text!r} @ {conf}")
    vals[j] = replace(vals[j], text=text, conf=conf)
    case.tables[t][i] = line.with_values(vals)


def doubtful_misread(draw: Draw, case: Case) -> None:
    """A digit misread at a confidence between 0.5 and 0.9: the identities may judge it."""
    conf = draw(st.floats(0.5, 0.9, exclude_max=True))
    _misread_cell(draw, case, (ACTIVE, APPLICATIONS, REVIEW), conf, "doubtful misread")


def confident_misread(draw: Draw, case: Case) -> None:
    """A digit misread at confidence 1.0 or 0.95, in a table with identities.

    Table 二 has none: a confident misread there is invisible to any reader of the page.
    """
    conf = draw(st.sampled_from([1.0, 0.95]))
    _misread_cell(draw, case, (APPLICATIONS, REVIEW), conf, "confident misread")


def extra_cell(draw: Draw, case: Case) -> None:
    """One cell too many in a row: a stray number or an empty cell.

    With boxes, the stray stands under a column that holds a number, or beyond the table's
    edge: under an empty column it would be indistinguishable from a printed value. In a
    text extraction the stray stands between two values: at a row's start or end it sits
    where real extractions print empty fields anyway (the label's merged columns, the
    padding of every row; samples/00[034]), so no reader can tell it from a real cell.
    """
    t, i = draw(st.sampled_from(_targets(case, (ACTIVE, APPLICATIONS, REVIEW))))
    line = case.tables[t][i]
    vals = list(line.values)
    text = draw(st.just("") | st.integers(0, 99).map(str))
    if case.style.kind == ReaderKind.TEXT:
        inner = [j for j in range(1, len(vals)) if vals[j - 1].text and vals[j].text]
        if not inner:
            case.notes.append(f"extra cell: {_name(t, line)} has no two values: nothing to hurt")
            return
        j = draw(st.sampled_from(inner))
        col = float(j)  # the text reader keeps the order, not the position
    else:
        full = [j for j, p in enumerate(vals) if p.text]
        where = draw(st.sampled_from(["left", "right", *(["under"] if full else [])]))
        if where == "under":
            j = draw(st.sampled_from(full))
            col = vals[j].col + draw(st.sampled_from([-0.2, 0.2]))  # type: ignore[operator]
            j += col > vals[j].col  # type: ignore[operator]
        else:
            j, col = (0, -1.2) if where == "left" else (len(vals), line.n + 0.2)
    vals.insert(j, Piece(text, col))
    case.tables[t][i] = line.with_values(vals)
    case.notes.append(f"extra cell: {_name(t, line)} {text!r} at #{j} -> {_texts(vals)}")


def shifted_row(draw: Draw, case: Case) -> None:
    """A row's values one column left or right, or into the row above or below.

    Only in table 三: there a shifted row always breaks an identity; in table 二 (no
    identities) or table 四 (one per group) a shift can look like a correct reading.
    """
    targets = _targets(case, (APPLICATIONS,), lambda x: bool(x.values))
    t, i = _pick(draw, case, targets, "shifted")
    if i < 0:
        return
    lines = case.tables[t]
    line = lines[i]
    vals = list(line.values)
    how = draw(st.sampled_from(["left", "right", "up", "down"]))
    if how in ("up", "down"):
        k = i - 1 if how == "up" else i + 1
        boxed = case.style.kind != ReaderKind.TEXT
        if (t, k) not in _targets(case, (APPLICATIONS,)) or (
            boxed and not any(p.text for p in lines[k].values)
        ):
            # with boxes, values moved onto a row that shows none sit where that row's
            # own values would: a different, equally consistent filing, not a misreading
            how = "left" if how == "up" else "right"
        else:
            other = list(lines[k].values)
            lines[k] = lines[k].with_values(other + vals if how == "up" else vals + other)
            lines[i] = line.with_values([])
            case.notes.append(f"shifted: {_name(t, line)} values {how} into {lines[k].key}")
            return
    d = -1.0 if how == "left" else 1.0
    if case.style.kind == ReaderKind.TEXT:
        if how == "left":
            moved = [replace(p, col=p.col - 1) for p in vals[1:]] + [Piece("", 6.0)]  # type: ignore[operator]
        else:
            moved = [Piece("", 0.0)] + [replace(p, col=p.col + 1) for p in vals[:-1]]  # type: ignore[operator]
    else:
        moved = [replace(p, col=p.col + d) for p in vals]  # type: ignore[operator]
    lines[i] = line.with_values(moved)
    case.notes.append(f"shifted: {_name(t, line)} {how}: {_texts(vals)} -> {_texts(moved)}")


def garbled_label(draw: Draw, case: Case) -> None:
    """Characters of a row label replaced by junk (a bad font map, a smudge)."""
    t, i = draw(st.sampled_from(_targets(case, (ACTIVE, APPLICATIONS), lambda x: bool(x.label))))
    line = case.tables[t][i]
    label = line.label[0].text
    chars = list(label)
    k = draw(st.integers(1, max(1, len(chars) // 2)))
    for j in draw(st.lists(st.integers(0, len(chars) - 1), min_size=k, max_size=k, unique=True)):
        chars[j] = draw(st.sampled_from(_JUNK))
    garbled = "".join(chars)
    case.tables[t][i] = replace(line, cells=(replace(line.label[0], text=garbled), *line.values))
    case.notes.append(f"garbled label: {_name(t, line)} {label!r} -> {garbled!r}")


def header_row(draw: Draw, case: Case) -> None:
    """A header line read as a row: table 三's column heads (…其他 总计) repeated after a
    page break, with a stray number or not; or a page number among table 四's numbers."""
    if draw(st.booleans()):
        lines = case.tables[APPLICATIONS]
        first = next(i for i, x in enumerate(lines) if x.key is not None)
        at = draw(st.integers(first, len(lines)))
        start = draw(st.integers(0, 6))
        heads = tuple(Piece(p.text) for p in HEADER_APP[start:])
        stray = draw(st.lists(st.integers(1, 40).map(str), max_size=2))
        cols = [float(6 - len(stray) + 1 + j) for j in range(len(stray))]
        extra = tuple(Piece(s, c) for s, c in zip(stray, cols, strict=True))
        lines.insert(at, Line(heads + extra, 7))
        case.notes.append(f"header row: {_texts(heads + extra)} at line {at} of table 三")
    else:
        lines = case.tables[REVIEW]
        at = draw(st.integers(len(lines) - 1, len(lines)))
        page = str(draw(st.integers(1, 40)))
        lines.insert(at, Line((Piece(page, 16.0),), 15))
        case.notes.append(f"header row: page number {page!r} at line {at} of table 四")


Fault = Callable[[Draw, Case], None]
FAULTS: dict[str, Fault] = {
    "lost_cell": lost_cell,
    "doubtful_misread": doubtful_misread,
    "confident_misread": confident_misread,
    "extra_cell": extra_cell,
    "shifted_row": shifted_row,
    "garbled_label": garbled_label,
    "header_row": header_row,
}
# the readers a fault can happen in: a PDF text layer does not lose a cell (an empty column
# there is a printed blank), so a lost cell is a text extraction's or an OCR's
READERS: dict[str, tuple[ReaderKind, ...]] = {"lost_cell": (ReaderKind.TEXT, ReaderKind.OCR)}
# faults drawn once per case: two rows shifted alike keep every sum true and, in a text
# extraction, leave nothing else to see
ONCE = {"shifted_row": 1}


@st.composite
def cases(draw: Draw, kinds: tuple[str, ...] = (), most: int = 2) -> Case:
    """A consistent filing, printed and read in some style, with 1–``most`` faults per kind."""
    truth = draw(truths())
    readers = [k for k in ReaderKind if all(k in READERS.get(f, tuple(ReaderKind)) for f in kinds)]
    kind = draw(st.sampled_from(readers))
    ruled = kind == ReaderKind.TEXT or draw(st.booleans())
    blank_zeros = draw(st.booleans())
    if "confident_misread" in kinds and kind == ReaderKind.OCR and not ruled:
        # OCR without rules cannot tell a printed blank from a missed cell: with zeros
        # printed blank the cells around a confident misread are all unknown, and then
        # no reader could tell the misread from the truth
        blank_zeros = False
    style = Style(kind, blank_zeros, ruled)
    case = Case(truth, style, build(truth, style))
    for f in kinds:
        for _ in range(draw(st.integers(1, ONCE.get(f, most)))):
            FAULTS[f](draw, case)
    return case
