"""Reader for plain-text extractions of filings (the seeds' format).

Extractions come in two shapes, often mixed in one file: a table row per line with
tab-separated cells, or one cell per line (each line starting with a tab) with rows
separated by blank lines. A line without a tab right after a one-cell line continues
that cell (a label broken over lines). Lines of prose become one-cell rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.model.numbers import is_blank, looks_numeric
from pipeline.model.records import CellText, Origin, ReaderKind, Reading, Row


class EmptyInput(Exception):
    """The file holds no text."""


class UndecodableText(Exception):
    """The file is not text in a known encoding."""


_WS_SPLIT = re.compile(r"[ \u3000]{1,}")


def decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise UndecodableText("binary data (NUL bytes), not a text extraction")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UndecodableText("neither UTF-8 nor GB18030")


def _split_spaces(line: str) -> list[str] | None:
    """Split a tab-less line on spaces when it reads as label + numbers or all numbers."""
    tokens = [t for t in _WS_SPLIT.split(line.strip()) if t]
    if len(tokens) < 2:
        return None
    numeric = [looks_numeric(t) and t not in ("无",) for t in tokens]
    if sum(numeric) < 2:
        return None
    first = numeric.index(True)
    if not all(numeric[first:]):
        return None
    if first > 0:
        return [" ".join(tokens[:first]), *tokens[first:]]
    return tokens


def read_text(path: Path) -> Reading:
    data = path.read_bytes()
    text = decode(data)
    if not text.strip():
        raise EmptyInput("the file is empty" if not data else "the file holds only whitespace")
    return Reading(kind=ReaderKind.TEXT, rows=tuple(parse_lines(text.splitlines())))


def _lone_value(line: str) -> bool:
    s = line.strip()
    return bool(s) and " " not in s and not is_blank(s) and looks_numeric(s)


def parse_lines(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    pending: list[CellText] = []  # one-cell-per-line row being collected
    prev_plain = False  # the line before was a tab-less line that made or joined a row

    def flush() -> None:
        if pending:
            rows.append(Row(tuple(pending), Origin(line=pending[0].origin.line)))
            pending.clear()

    for n, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        origin = Origin(line=n)
        plain = False
        if line.startswith("\t") and "\t" not in line[1:]:
            pending.append(CellText(line[1:].strip(), origin=origin))
        elif not line.strip():
            flush()
        elif pending and "\t" not in line:
            last = pending[-1]
            pending[-1] = CellText(last.text + line.strip(), last.confidence, last.origin)
        elif prev_plain and "\t" not in line and _lone_value(line):
            # a cell split onto its own line: it belongs to the row above
            last_row = rows[-1]
            rows[-1] = Row(
                (*last_row.cells, CellText(line.strip(), origin=origin)), last_row.origin
            )
            plain = True
        else:
            flush()
            if "\t" in line:
                cells = [CellText(c.strip(), origin=origin) for c in line.split("\t")]
            else:
                parts = _split_spaces(line)
                cells = [CellText(p, origin=origin) for p in (parts or [line.strip()])]
                plain = True
            rows.append(Row(tuple(cells), origin))
        prev_plain = plain
    flush()
    return rows
