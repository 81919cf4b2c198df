"""Reader for plain-text extractions of filings (the seeds' format).

Extractions come in two shapes, often mixed in one file: a table row per line with
tab-separated cells, or one cell per line (each line starting with a tab) with rows
separated by blank lines. A line without a tab right after a one-cell line continues
that cell (a label broken over lines). Lines of prose become one-cell rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.model.numbers import is_blank, looks_numeric
from pipeline.model.records import CellText, Origin, ReaderKind, Reading, Row


class EmptyInput(Exception):
    """The file holds no text."""


class UndecodableText(Exception):
    """The file is not text in a known encoding."""


_WS_SPLIT = re.compile(r"[ \u3000]{1,}")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
REPLACEMENT = "\ufffd"
# a cell holding a character that could not be decoded: its digits may be anything
BAD_BYTE_CONFIDENCE = 0.0


def decode(data: bytes) -> str:
    """The text, in the encoding its BOM names, else UTF-8, else GB18030.

    Without a BOM, a file that is neither is decoded as whichever of the two has fewer
    undecodable bytes, each replaced by U+FFFD (:data:`REPLACEMENT`): one bad byte costs
    the cells of its line (:func:`parse_lines` gives them no confidence), not the file.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(enc.removesuffix("-sig"), errors="replace")
    if b"\x00" in data[:4096]:
        raise UndecodableText("binary data (NUL bytes), not a text extraction")
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    best = min(
        (data.decode(enc, errors="replace") for enc in ("utf-8", "gb18030")),
        key=lambda t: t.count(REPLACEMENT),
    )
    if best.count(REPLACEMENT) > max(8, len(best) // 20):
        raise UndecodableText("neither UTF-8 nor GB18030")
    return best


def decode_lines(data: bytes) -> tuple[list[str], tuple[str, ...]]:
    """The file's lines, and a note naming the lines that held undecodable bytes."""
    lines = decode(data).splitlines()
    bad = [n for n, line in enumerate(lines, start=1) if REPLACEMENT in line]
    if not bad:
        return lines, ()
    shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
    return lines, (f"undecodable bytes on line(s) {shown}: their cells go to review",)


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
    return read_with(path, parse_lines)


def read_with(path: Path, parse: Callable[[list[str]], list[Row]]) -> Reading:
    """A text file decoded line by line (a bad byte costs its line) and parsed into rows."""
    data = path.read_bytes()
    lines, bad = decode_lines(data)
    if not "".join(lines).strip():
        raise EmptyInput("the file is empty" if not data else "the file holds only whitespace")
    return Reading(kind=ReaderKind.TEXT, rows=tuple(parse(lines)), notes=bad)


def line_confidence(line: str) -> float:
    """No confidence in any cell of a line with an undecodable byte: a lost byte may have
    taken a digit or a separator with it, so no cell of the line can be trusted."""
    return BAD_BYTE_CONFIDENCE if REPLACEMENT in line else 1.0


def _lone_value(line: str) -> bool:
    s = line.strip()
    return bool(s) and " " not in s and not is_blank(s) and looks_numeric(s)


def parse_lines(lines: list[str], numbers: Sequence[int] | None = None) -> list[Row]:
    """Rows of the lines; ``numbers`` are their line numbers (for origins), 1, 2, … if None."""
    rows: list[Row] = []
    pending: list[CellText] = []  # one-cell-per-line row being collected
    prev_plain = False  # the line before was a tab-less line that made or joined a row

    def flush() -> None:
        if pending:
            rows.append(Row(tuple(pending), Origin(line=pending[0].origin.line)))
            pending.clear()

    for n, raw in zip(numbers or range(1, len(lines) + 1), lines, strict=True):
        line = raw.rstrip("\r\n")
        origin = Origin(line=n)
        conf = line_confidence(line)
        plain = False
        if line.startswith("\t") and "\t" not in line[1:]:
            pending.append(CellText(line[1:].strip(), conf, origin))
        elif not line.strip():
            flush()
        elif pending and "\t" not in line:
            last = pending[-1]
            pending[-1] = CellText(
                last.text + line.strip(), min(last.confidence, conf), last.origin
            )
        elif prev_plain and "\t" not in line and _lone_value(line):
            # a cell split onto its own line: it belongs to the row above
            last_row = rows[-1]
            rows[-1] = Row((*last_row.cells, CellText(line.strip(), conf, origin)), last_row.origin)
            plain = True
        else:
            flush()
            if "\t" in line:
                cells = [CellText(c.strip(), conf, origin) for c in line.split("\t")]
            else:
                parts = _split_spaces(line)
                cells = [CellText(p, conf, origin) for p in (parts or [line.strip()])]
                plain = True
            rows.append(Row(tuple(cells), origin))
        prev_plain = plain
    flush()
    return rows
