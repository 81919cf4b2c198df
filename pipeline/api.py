"""The small public Python API, for analysts and notebooks.

    from pipeline import extract, table
    result = extract("report.pdf")              # the typed DocResult, never raises for a bad file
    m = table(result, "applications")           # one table as a labelled matrix
    m.value("granted", "natural_person"), m.status("granted", "natural_person")
    m.to_pandas()                               # values, Chinese labels (needs pandas)

``load`` reads an output JSON file (docs/contract.md) back into the same typed result, so
a matrix can be had from a batch's outputs without re-running it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pipeline.model.config import Settings
from pipeline.model.records import (
    Cell,
    CellKey,
    Check,
    DocResult,
    DocStatus,
    ErrorItem,
    Identification,
    Layout,
    Origin,
    ReaderKind,
    Reason,
    Stage,
    Status,
    Template,
)
from pipeline.model.taxonomy import TABLE_TITLES, table_layout
from pipeline.run import process

if TYPE_CHECKING:
    import pandas

Value = float | int

__all__ = ["Matrix", "extract", "load", "table"]


def extract(path: str | Path, settings: Settings | Mapping[str, Any] | None = None) -> DocResult:
    """Run one file through every stage. A bad file gives ``status == "failed"`` and an
    ``error`` saying which stage and why; it does not raise."""
    return process(Path(path), settings=Settings.resolve(settings))


@dataclass(frozen=True)
class Matrix:
    """One table of one filing: rows and columns in the filing's order, with labels.

    ``cells[i][j]`` is ``None`` where the template has no such cell (table 二's rows have
    different columns); otherwise the reconciled :class:`Cell`, whose ``status`` says how
    far its value can be trusted (``review`` cells may hold no value).
    """

    table: str
    title: str
    rows: tuple[tuple[str, str], ...]  # (key, Chinese label)
    cols: tuple[tuple[str, str], ...]
    cells: tuple[tuple[Cell | None, ...], ...]

    def cell(self, row: str, col: str) -> Cell | None:
        i = [k for k, _ in self.rows].index(row)
        j = [k for k, _ in self.cols].index(col)
        return self.cells[i][j]

    def value(self, row: str, col: str) -> Value | None:
        c = self.cell(row, col)
        return c.value if c else None

    def status(self, row: str, col: str) -> Status | None:
        c = self.cell(row, col)
        return c.status if c else None

    @property
    def values(self) -> tuple[tuple[Value | None, ...], ...]:
        return tuple(tuple(c.value if c else None for c in r) for r in self.cells)

    @property
    def statuses(self) -> tuple[tuple[Status | None, ...], ...]:
        return tuple(tuple(c.status if c else None for c in r) for r in self.cells)

    def to_pandas(
        self, what: Literal["value", "status"] = "value", labels: Literal["zh", "key"] = "zh"
    ) -> pandas.DataFrame:
        """A DataFrame of values (or statuses), indexed by Chinese labels or by keys."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("Matrix.to_pandas needs pandas: pip install pandas") from e
        pick = 1 if labels == "zh" else 0
        data = self.values if what == "value" else self.statuses
        frame = pd.DataFrame(
            [list(r) for r in data],
            index=pd.Index([r[pick] for r in self.rows], name=self.title),
            columns=[c[pick] for c in self.cols],
            dtype=object,
        )
        # counts as nullable integers, amounts as floats, a missing cell as <NA>
        return frame.convert_dtypes() if what == "value" else frame

    def __str__(self) -> str:
        """A plain-text grid; ``?`` marks a cell to review."""
        width = max(len(c[0]) for c in self.cols)

        def show(c: Cell | None) -> str:
            if c is None:
                return ""
            v = "" if c.value is None else str(c.value)
            return v + ("?" if c.status == Status.REVIEW else "")

        lines = [self.title, " " * 26 + " ".join(k[:width].rjust(width) for k, _ in self.cols)]
        for (key, _), row in zip(self.rows, self.cells, strict=True):
            lines.append(key[:25].ljust(26) + " ".join(show(c).rjust(width) for c in row))
        return "\n".join(lines)


def table(result: DocResult, name: str) -> Matrix:
    """``name`` (``applications``, ``active_disclosure`` or ``review_litigation``) as a
    labelled matrix. A failed result has no tables: ``ValueError`` says why."""
    ident = result.identification
    if ident is None:
        why = f"{result.error.stage}: {result.error.message}" if result.error else "no tables"
        raise ValueError(f"{result.source} has no tables ({why})")
    rows, cols = table_layout(name, ident.template, ident.applications_layout)
    by_key = {c.key: c for c in result.cells if c.key.table == name}
    cells = tuple(tuple(by_key.get(CellKey(name, r, c)) for c, _ in cols) for r, _ in rows)
    return Matrix(name, TABLE_TITLES[name], rows, cols, cells)


def load(path: str | Path) -> DocResult:
    """An output JSON file (or its parsed dict's source file) back as a typed result."""
    return from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def from_json(doc: Mapping[str, Any]) -> DocResult:
    """The inverse of the JSON export: a contract document → :class:`DocResult`."""
    ident = None
    if doc.get("template"):
        ident = Identification(
            Template(doc["template"]),
            Layout(doc["applications_layout"]),
            doc.get("organ"),
            doc.get("year"),
        )
    cells = tuple(
        Cell(
            CellKey(c["table"], c["row"], c["col"]),
            c["value"],
            Status(c["status"]),
            c["confidence"],
            Origin(c.get("page"), tuple(c["bbox"]) if c.get("bbox") else None, c.get("line")),
            Reason(c["reason"]) if c.get("reason") else None,
            c.get("suggestion"),
        )
        for c in doc.get("cells", ())
    )
    checks = tuple(
        Check(c["identity"], c["holds"], detail=c.get("detail")) for c in doc.get("checks", ())
    )
    err = doc.get("error")
    return DocResult(
        source=doc["source"],
        sha256=doc["sha256"],
        status=DocStatus(doc["status"]),
        identification=ident,
        cells=cells,
        checks=checks,
        error=ErrorItem(Stage(err["stage"]), err["message"]) if err else None,
        warnings=tuple(doc.get("warnings", ())),
        reader=ReaderKind(doc["reader"]) if doc.get("reader") else None,
        pages=doc.get("pages"),
    )
