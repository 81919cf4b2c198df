"""The two shapes as pandas DataFrames with exact types, and their Arrow schema.

Every column has one of four kinds: text, a whole number (pandas ``Int64``, nullable; Arrow
``int64``), a float (confidence, bbox) or an exact decimal (amounts: ``Decimal`` objects;
Arrow ``decimal128(38, s)``, ``s`` = 4 unless a value needs more). Long has one row per cell,
its value in ``value`` (a whole number) or, for an amount cell, ``amount`` (a decimal), so
one column never mixes the two; wide has one row per document and a column per cell key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from pipeline.exports.documents import ExportDoc, column_name, ordered_keys
from pipeline.model.taxonomy import AMOUNT_COLS

if TYPE_CHECKING:
    import pyarrow as pa

Kind = Literal["text", "int", "float", "decimal"]
Shape = Literal["long", "wide"]
MIN_SCALE = 4  # 万元 to the yuan

DOC_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("organ", "text"),
    ("year", "int"),
    ("source", "text"),
    ("sha256", "text"),
    ("template", "text"),
)
CELL_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("table", "text"),
    ("row", "text"),
    ("col", "text"),
    ("row_label", "text"),
    ("col_label", "text"),
    ("value", "int"),
    ("amount", "decimal"),
    ("status", "text"),
    ("confidence", "float"),
    ("reason", "text"),
    ("suggestion", "int"),
    ("suggestion_amount", "decimal"),
    ("page", "int"),
    ("x0", "float"),
    ("y0", "float"),
    ("x1", "float"),
    ("y1", "float"),
    ("line", "int"),
)
_VERSION: tuple[tuple[str, Kind], ...] = (("version", "int"),)


class Table:
    """Rows and the kind of each column: what both a DataFrame and an Arrow table are made of."""

    def __init__(self, columns: Sequence[tuple[str, Kind]], rows: list[list[Any]]) -> None:
        self.columns = list(columns)
        self.rows = rows

    @property
    def kinds(self) -> dict[str, Kind]:
        return dict(self.columns)

    def frame(self) -> pd.DataFrame:
        names = [n for n, _ in self.columns]
        data = list(zip(*self.rows, strict=True)) if self.rows else [() for _ in names]
        series = {
            name: pd.Series(list(values), dtype=_DTYPES[kind], name=name)
            for (name, kind), values in zip(self.columns, data, strict=True)
        }
        return pd.DataFrame(series, columns=names)

    def arrow(self) -> pa.Table:
        """An Arrow table with the pandas metadata, so ``pd.read_parquet`` gives ``Int64``
        back for whole numbers (not floats where a value is missing)."""
        import pyarrow as pa

        scale = self.decimal_scale()
        types = {
            "text": pa.string(),
            "int": pa.int64(),
            "float": pa.float64(),
            "decimal": pa.decimal128(38, scale),
        }
        schema = pa.schema([(n, types[k]) for n, k in self.columns])
        return pa.Table.from_pandas(self.frame(), schema=schema, preserve_index=False)

    def decimal_scale(self) -> int:
        """Digits after the point for every decimal column: 4, or more if a value has more."""
        at = [i for i, (_, k) in enumerate(self.columns) if k == "decimal"]
        scale = MIN_SCALE
        for row in self.rows:
            for i in at:
                v = row[i]
                if isinstance(v, Decimal) and isinstance(e := v.as_tuple().exponent, int):
                    scale = max(scale, -e)
        return scale


_DTYPES: dict[Kind, Any] = {
    "text": object,
    "int": "Int64",
    "float": "float64",
    "decimal": object,
}


def _doc_values(d: ExportDoc, all_versions: bool) -> list[Any]:
    values: list[Any] = [d.organ, d.year, d.source, d.sha256, d.template and d.template.value]
    return values + ([d.version] if all_versions else [])


def long_table(docs: Iterable[ExportDoc], all_versions: bool = False) -> Table:
    """One row per cell, documents in the store's order, cells in contract order."""
    columns = [*DOC_COLUMNS, *(_VERSION if all_versions else ()), *CELL_COLUMNS]
    rows = []
    for d in docs:
        head = _doc_values(d, all_versions)
        for c in d.cells:
            amount = c.is_amount
            x0, y0, x1, y1 = c.bbox or (None, None, None, None)
            rows.append(
                [
                    *head,
                    c.key.table,
                    c.key.row,
                    c.key.col,
                    c.row_label,
                    c.col_label,
                    None if amount else c.value,
                    c.value if amount else None,
                    c.status,
                    c.confidence,
                    c.reason,
                    None if amount else c.suggestion,
                    c.suggestion if amount else None,
                    c.page,
                    x0,
                    y0,
                    x1,
                    y1,
                    c.line,
                ]
            )
    return Table(columns, rows)


def wide_table(docs: Iterable[ExportDoc], all_versions: bool = False) -> Table:
    """One row per document: its organ, year, source, sha256, template, status and number of
    cells to review, then one column per cell key (``table.row.col``) in contract order, the
    union of the documents' templates and layouts; a cell a filing does not have is empty."""
    docs = list(docs)
    keys = ordered_keys(docs)
    columns: list[tuple[str, Kind]] = [
        *DOC_COLUMNS,
        *(_VERSION if all_versions else ()),
        ("status", "text"),
        ("n_review", "int"),
    ]
    columns += [(column_name(k), "decimal" if k.col in AMOUNT_COLS else "int") for k in keys]
    rows = []
    for d in docs:
        by_key = {c.key: c.value for c in d.cells}
        rows.append(
            [*_doc_values(d, all_versions), d.status, d.n_review, *(by_key.get(k) for k in keys)]
        )
    return Table(columns, rows)


def table_of(docs: Iterable[ExportDoc], shape: Shape, all_versions: bool = False) -> Table:
    if shape == "long":
        return long_table(docs, all_versions)
    if shape == "wide":
        return wide_table(docs, all_versions)
    raise ValueError(f"unknown shape {shape!r}: long or wide")
