"""The Excel workbook: each table as the filings print it, doubtful cells coloured.

One sheet per table (its title as the sheet's name), one block per document: a header line
(organ, year, source, sha256, template, status), the table's column labels, then its rows with
their Chinese labels, in the filing's order. A cell to review, inferred or corrected is
filled with its status's colour and carries a comment (status, reason, suggestion, key), so a
reader sees at once which numbers to distrust. A ``data`` sheet holds the long or wide
shape, a ``legend`` sheet the colours. Amounts are written as decimal numbers with their exact
digits in the file (Excel itself holds them as binary doubles).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.exports.documents import ExportCell, ExportDoc, column_name, labels
from pipeline.exports.frames import Table
from pipeline.model.records import CellKey, Status
from pipeline.model.taxonomy import TABLE_TITLES, table_layout

# status → fill colour (ARGB); ``ok`` cells are left plain
FILLS: dict[str, str] = {
    Status.REVIEW: "FFFFC7CE",  # red: a person must look
    Status.INFERRED: "FFBDD7EE",  # blue: not legible, given by the identities
    Status.CORRECTED: "FFE4D2F4",  # purple: a reviewer's value
}
MEANING = {
    Status.REVIEW: "to review: doubtful or contradicted (see the comment's reason, suggestion)",
    Status.INFERRED: "inferred: not legible in the source, determined by the report's identities",
    Status.CORRECTED: "corrected: set by a reviewer",
    Status.OK: "ok: read, and the report's identities do not contradict it (no colour)",
}
DATA_SHEET = "data"
LEGEND_SHEET = "legend"
_BOLD = Font(bold=True)
_AMOUNT_FORMAT = "0.00####"


def fill(status: str) -> PatternFill | None:
    argb = FILLS.get(status)
    return PatternFill(start_color=argb, end_color=argb, fill_type="solid") if argb else None


def write_xlsx(docs: list[ExportDoc], data: Table, path: Path) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for table, title in TABLE_TITLES.items():
        ws = wb.create_sheet(title)
        row = 1
        for d in docs:
            row = _block(ws, d, table, row)
        _widths(ws)
    _data(wb.create_sheet(DATA_SHEET), data)
    _legend(wb.create_sheet(LEGEND_SHEET), len(docs) - sum(d.template is not None for d in docs))
    wb.save(path)


def _block(ws: Worksheet, d: ExportDoc, table: str, row: int) -> int:
    """One document's table at ``row``; returns the row after it and a blank line."""
    if d.template is None or d.layout is None:
        return row  # a failed document has no tables (it is in the data sheet)
    head = [
        d.organ or "(organ not found)",
        str(d.year) if d.year is not None else "(year not found)",
        d.source,
        d.sha256[:12],
        f"template {d.template.value}",
        d.status,
    ]
    ws.cell(row, 1, " · ".join(head)).font = _BOLD
    rows, cols = table_layout(table, d.template, d.layout)
    by_key = {c.key: c for c in d.cells if c.key.table == table}
    shown = {CellKey(table, r, c) for r, _ in rows for c, _ in cols}
    extra = list(dict.fromkeys(c.key.row for c in by_key.values() if c.key not in shown))
    rows = rows + tuple((r, labels(CellKey(table, r, ""), d.template, d.layout)[0]) for r in extra)
    ws.cell(row + 1, 1, TABLE_TITLES[table]).font = _BOLD
    for j, (_, label) in enumerate(cols, start=2):
        ws.cell(row + 1, j, label).font = _BOLD
    for i, (rkey, rlabel) in enumerate(rows, start=row + 2):
        ws.cell(i, 1, rlabel)
        for j, (ckey, _) in enumerate(cols, start=2):
            c = by_key.get(CellKey(table, rkey, ckey))
            if c is not None:
                _value(ws, i, j, c)
    return row + 2 + len(rows) + 1


def _value(ws: Worksheet, i: int, j: int, c: ExportCell) -> None:
    cell = ws.cell(i, j, c.value)
    if c.is_amount:
        cell.number_format = _AMOUNT_FORMAT
    f = fill(c.status)
    if f is None:
        return
    cell.fill = f
    note = [c.status + (f": {c.reason}" if c.reason else "")]
    if c.suggestion is not None:
        note.append(f"suggestion: {c.suggestion}")
    note.append(column_name(c.key))
    cell.comment = Comment("\n".join(note), "gongkai")


def _data(ws: Worksheet, data: Table) -> None:
    ws.append([name for name, _ in data.columns])
    for cell in ws[1]:
        cell.font = _BOLD
    amount_cols = [i for i, (_, kind) in enumerate(data.columns, start=1) if kind == "decimal"]
    for values in data.rows:
        ws.append(values)
    for i in amount_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.number_format = _AMOUNT_FORMAT
    ws.freeze_panes = "A2"


def _legend(ws: Worksheet, failed: int) -> None:
    ws.append(["status", "meaning"])
    for cell in ws[1]:
        cell.font = _BOLD
    for status in (Status.REVIEW, Status.INFERRED, Status.CORRECTED, Status.OK):
        ws.append([str(status), MEANING[status]])
        if f := fill(status):
            ws.cell(ws.max_row, 1).fill = f
    ws.append([])
    ws.append(["", "A coloured cell's comment gives its status, reason, suggestion and key."])
    ws.append(["", f"The '{DATA_SHEET}' sheet holds every value in one table (long or wide)."])
    if failed:
        ws.append(
            ["", f"{failed} failed document(s) have no tables: see the '{DATA_SHEET}' sheet."]
        )
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 90


def _widths(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 48
    for j in range(2, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
