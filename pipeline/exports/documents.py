"""The store's documents and cells as the exports need them: exact values, labels, one order.

The store is read only through its public methods (``documents()``, ``cells(sha256)``), typed
here as a protocol, so that any backend with those methods can be exported. Values come out
of a store as ``float``, ``int`` or ``decimal.Decimal`` depending on the backend; here a count
becomes an ``int`` and an amount a ``Decimal`` holding exactly the digits stored, so no
export ever prints ``12.0`` for 12 or ``7730.280000000001`` for 7730.28.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from pipeline.model.records import CellKey, Layout, Status, Template
from pipeline.model.taxonomy import (
    ACTIVE,
    AMOUNT_COLS,
    APPLICATIONS,
    REVIEW,
    TABLE_TITLES,
    canonical_keys,
    layout_of,
    table_layout,
)

Exact = int | Decimal

# The template × （六） layout combinations, newest first: the order of the union of keys.
TABLE_TITLES_ORDER = (ACTIVE, APPLICATIONS, REVIEW)  # as the filings print them: 二, 三, 四
COMBINATIONS: tuple[tuple[Template, Layout], ...] = (
    (Template.T2021, Layout.THREE_ROWS),
    (Template.T2021, Layout.ONE_ROW),
    (Template.T2019, Layout.ONE_ROW),
    (Template.T2019, Layout.THREE_ROWS),
)


class ExportError(Exception):
    """The store holds something that cannot be exported faithfully (e.g. a count of 2.5)."""


class _StoredDocument(Protocol):
    @property
    def sha256(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def template(self) -> str | None: ...
    @property
    def organ(self) -> str | None: ...
    @property
    def year(self) -> int | None: ...


class _StoredCell(Protocol):
    @property
    def table(self) -> str: ...
    @property
    def row(self) -> str: ...
    @property
    def col(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def status(self) -> str: ...
    @property
    def confidence(self) -> Any: ...
    @property
    def page(self) -> int | None: ...
    @property
    def bbox(self) -> Sequence[Any] | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def suggestion(self) -> Any: ...


class StoreLike(Protocol):
    """What the exports use of a store (``pipeline.store.db.Store``): a protocol, so that
    tests can hand in a store of their own."""

    def documents(self, current_only: bool = True) -> Sequence[Any]: ...
    def cells(self, sha256: str) -> Sequence[Any]: ...


@dataclass(frozen=True)
class ExportCell:
    key: CellKey
    row_label: str
    col_label: str
    value: Exact | None
    status: str
    confidence: float
    reason: str | None
    suggestion: Exact | None
    page: int | None
    bbox: tuple[float, float, float, float] | None
    line: int | None

    @property
    def is_amount(self) -> bool:
        return self.key.col in AMOUNT_COLS


@dataclass(frozen=True)
class ExportDoc:
    """One stored document with its cells in contract order; ``version`` only where the
    store tells versions apart (an attribute ``version`` of its documents)."""

    sha256: str
    source: str
    organ: str | None
    year: int | None
    template: Template | None
    layout: Layout | None
    status: str
    cells: tuple[ExportCell, ...]
    version: int | None = None

    @property
    def n_review(self) -> int:
        return sum(c.status == Status.REVIEW for c in self.cells)

    def cell_keys(self) -> list[CellKey]:
        """The canonical cells of this filing, then any other cell the store keeps for it (a
        reviewer's correction in a row of another layout: never dropped)."""
        own = canonical_keys(self.template, self.layout) if self.template and self.layout else []
        return list(dict.fromkeys([*own, *(c.key for c in self.cells)]))


def list_documents(store: StoreLike, all_versions: bool = False) -> list[Any]:
    """The documents that are some file's current version, or every one kept."""
    return list(store.documents(current_only=not all_versions))


def read_documents(store: StoreLike, all_versions: bool = False) -> list[ExportDoc]:
    """Every document in the store, in the store's order, with exact values and labels."""
    return [_document(d, store.cells(d.sha256)) for d in list_documents(store, all_versions)]


def _document(d: _StoredDocument, stored: Iterable[_StoredCell]) -> ExportDoc:
    cells = list(stored)
    template = Template(d.template) if d.template else None
    told = getattr(d, "applications_layout", None)
    layout = Layout(told) if told else layout_of(c.row for c in cells if c.table == APPLICATIONS)
    if template and layout is None:
        layout = Layout(template.value)  # no table 三 cells at all: the template's own
    version = getattr(d, "version", None)
    out = tuple(_cell(c, template, layout) for c in cells)
    order = {k: i for i, k in enumerate(all_keys())}
    out = tuple(sorted(out, key=lambda c: order.get(c.key, len(order))))
    return ExportDoc(
        d.sha256,
        d.source,
        d.organ,
        int(d.year) if d.year is not None else None,
        template,
        layout,
        str(d.status),
        out,
        int(version) if isinstance(version, int | Decimal) else None,
    )


def _cell(c: _StoredCell, template: Template | None, layout: Layout | None) -> ExportCell:
    key = CellKey(c.table, c.row, c.col)
    row_label, col_label = labels(key, template, layout)
    bbox = tuple(float(v) for v in c.bbox) if c.bbox else None
    return ExportCell(
        key,
        row_label,
        col_label,
        exact(c.value, key),
        str(c.status),
        float(c.confidence),
        c.reason,
        exact(c.suggestion, key),
        c.page,
        (bbox[0], bbox[1], bbox[2], bbox[3]) if bbox and len(bbox) == 4 else None,
        c.line,
    )


def exact(value: Any, key: CellKey) -> Exact | None:
    """A stored value as an ``int`` (counts) or an exact ``Decimal`` (amounts).

    A float amount becomes the shortest decimal that reads back as that float (what was
    printed: 7730.28, not the binary 7730.2800000000002...). A count that is not whole is an
    error, not something to round silently.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ExportError(f"{_name(key)}: not a number: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ExportError(f"{_name(key)}: not a finite number: {value!r}")
    if key.col in AMOUNT_COLS:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, int):
        return value
    if value != int(value):
        raise ExportError(f"{_name(key)}: a count that is not whole: {value}")
    return int(value)


def _name(key: CellKey) -> str:
    return f"{key.table}.{key.row}.{key.col}"


def column_name(key: CellKey) -> str:
    """A wide export's column for one cell: ``table.row.col``."""
    return _name(key)


@cache
def all_keys() -> tuple[CellKey, ...]:
    """Every cell key of every template and layout, in contract order: tables in filing
    order, their rows and each row's columns merged over the combinations (newest first), a
    row or column new to a combination placed after the one before it there."""
    out: list[CellKey] = []
    for table in TABLE_TITLES_ORDER:
        layouts = [table_layout(table, t, lay) for t, lay in COMBINATIONS]
        rows = _merge([[r for r, _ in rs] for rs, _ in layouts])
        for row in rows:
            cols = _merge([_row_cols(table, t, lay, row) for t, lay in COMBINATIONS])
            out += [CellKey(table, row, c) for c in cols]
    return tuple(out)


def _row_cols(table: str, template: Template, layout: Layout, row: str) -> list[str]:
    keys = canonical_keys(template, layout)
    return [k.col for k in keys if k.table == table and k.row == row]


def _merge(seqs: Iterable[Sequence[str]]) -> list[str]:
    """The union of sequences keeping each one's order: an item new to the union goes after
    its predecessor in its own sequence (at the end if it has none)."""
    out: list[str] = []
    for seq in seqs:
        pos: int | None = None
        for item in seq:
            if item in out:
                pos = out.index(item) + 1
            else:
                at = len(out) if pos is None else pos
                out.insert(at, item)
                pos = at + 1
    return out


def ordered_keys(docs: Iterable[ExportDoc]) -> list[CellKey]:
    """The union of the documents' cells in contract order: the same columns for every
    export of the same templates and layouts, whatever the documents' order."""
    needed = {k for d in docs for k in d.cell_keys()}
    known = [k for k in all_keys() if k in needed]
    stray = sorted(needed - set(known), key=lambda k: (k.table, k.row, k.col))
    return known + stray


@cache
def _layout_labels(
    table: str, template: Template, layout: Layout
) -> tuple[dict[str, str], dict[str, str]]:
    rows, cols = table_layout(table, template, layout)
    return dict(rows), dict(cols)


@cache
def _all_labels() -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    rows: dict[tuple[str, str], str] = {}
    cols: dict[tuple[str, str], str] = {}
    for template, layout in COMBINATIONS:
        for table in TABLE_TITLES:
            r, c = table_layout(table, template, layout)
            for k, label in r:
                rows.setdefault((table, k), label)
            for k, label in c:
                cols.setdefault((table, k), label)
    return rows, cols


def labels(key: CellKey, template: Template | None, layout: Layout | None) -> tuple[str, str]:
    """The Chinese row and column labels of a cell as its filing's template prints them."""
    if template and layout and key.table in TABLE_TITLES:
        rows, cols = _layout_labels(key.table, template, layout)
        row, col = rows.get(key.row), cols.get(key.col)
        if row and col:
            return row, col
    all_rows, all_cols = _all_labels()
    return (
        all_rows.get((key.table, key.row), key.row),
        all_cols.get((key.table, key.col), key.col),
    )
