"""Reader for markdown made by PDF-to-markdown converters (pymupdf4llm, marker, …).

Tables come as pipe rows (``| a | b |``) with separator lines (``|---|:--:|``); a cell
that held several lines in the PDF comes as ``a<br>b``. Converters lose the merged cells
of the label columns: a merged label's text lands in a row of its own, or split over the
rows of its span, or a label is wrapped over two rows, one with the label and one with
the values. The reader rebuilds rows of label + values, the shape the text reader
produces, so that recovery sees one row per table row:

- ``<br>`` joins a label's lines; in a cell of numbers it separates cells that the
  converter merged (``0<br>519`` is two values);
- a label-only row is carried down onto the next row that has values (a detached or
  wrapped label), unless that row's own label starts a new enumerated item;
- lines outside tables go through the text reader (prose, space-separated rows).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from pipeline.model.numbers import is_blank, looks_numeric
from pipeline.model.records import CellText, Origin, Reading, Row
from pipeline.read.text import line_confidence, parse_lines, read_with

_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")
_COMMENT = re.compile(r"<!--.*?-->")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_ENUMERATED = re.compile(
    r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.、．])"
)


def _clean(text: str) -> str:
    """Markdown and HTML markup off a cell's or line's text; ``\\*`` is a literal ``*``."""
    parts = _ESCAPE.split(text)  # text, escaped char, text, …
    for i in range(0, len(parts), 2):
        parts[i] = _EMPHASIS.sub("", _TAG.sub("", parts[i]))
    return html.unescape("".join(parts)).strip()


def _split_pipes(line: str) -> list[str]:
    """The cells of a pipe row; ``\\|`` is a literal bar."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [p.replace("\\|", "|") for p in re.split(r"(?<!\\)\|", s)]


# a number in a cell that held several rows' numbers while others held one: its row is a guess
AMBIGUOUS_ROW_CONFIDENCE = 0.6


def _is_value(text: str) -> bool:
    return bool(text) and not is_blank(text) and looks_numeric(text)


def _enumerated(text: str) -> bool:
    return bool(_ENUMERATED.match(text))


Lines = list[str]  # one pipe cell: its ``<br>``-separated lines, markup removed


def _cell_lines(raw: str) -> Lines:
    return [p for p in (_clean(x) for x in _BR.split(raw)) if p]


def _split_mixed(cells: list[Lines]) -> list[list[Lines]]:
    """A row whose cells mix header words and numbers → rows: text above, numbers, text below.

    Converters fold a row of numbers into the header row above it (``结果<br>维持<br>0``)
    or the next section's header into a row (``1871<br>第(六)项``).
    """
    mixed = [any(_is_value(x) for x in c) and any(not looks_numeric(x) for x in c) for c in cells]
    if not any(mixed):
        return [cells]
    above: list[Lines] = []
    middle: list[Lines] = []
    below: list[Lines] = []
    for c, m in zip(cells, mixed, strict=True):
        if not m:
            above.append([])
            middle.append(c)
            below.append([])
            continue
        nums = [i for i, x in enumerate(c) if looks_numeric(x)]
        above.append(c[: nums[0]])
        middle.append(c[nums[0] : nums[-1] + 1])
        below.append(c[nums[-1] + 1 :])
    return [r for r in (above, middle, below) if any(r)]


def _starts(lines: Lines) -> list[int]:
    """Indices after the first of the lines that start an enumerated label."""
    return [i for i, x in enumerate(lines) if i and _enumerated(x)]


def _split_stacked(cells: list[Lines]) -> tuple[list[list[Lines]], set[int]] | None:
    """Rows the converter stacked into one (``（七）总计<br>四、结转…|18<br>6|…``), or None;
    with the columns whose number's row is a guess.

    Stacked when every cell of several numbers holds the same count k of them and the
    label cells hold k enumerated labels; otherwise several numbers in a cell are
    neighbouring columns merged (``0<br>519``). A lone number in a stacked row goes in the
    first row, but its row is not known (:data:`AMBIGUOUS_ROW_CONFIDENCE`).
    """
    multi = {len(c) for c in cells if len(c) > 1 and all(looks_numeric(x) for x in c)}
    if len(multi) != 1:
        return None
    k = multi.pop()
    labels = [c for c in cells if c and not all(looks_numeric(x) for x in c)]
    if sum(len(_starts(c)) for c in labels) < k - 1:
        return None
    rows: list[list[Lines]] = [[] for _ in range(k)]
    guessed: set[int] = set()
    for j, c in enumerate(cells):
        if c and all(looks_numeric(x) for x in c):
            parts = [[x] for x in c]
            if len(c) != k:
                guessed.add(j)
        else:
            cut = _starts(c)
            bounds = [0, *cut, len(c)] if len(cut) == k - 1 else [0, len(c)]
            parts = [c[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        for n in range(k):
            rows[n].append(parts[n] if n < len(parts) else [])
    return rows, guessed


def _to_row(cells: list[Lines], origin: Origin, conf: float, guessed: set[int]) -> Row:
    """Cells of text lines → a Row: a label's lines joined, a cell's numbers side by side."""
    out: list[CellText] = []
    for j, c in enumerate(cells):
        if len(c) > 1 and all(_is_value(x) for x in c):
            out.extend(CellText(x, conf, origin) for x in c)
        elif j in guessed:
            out.append(CellText("".join(c), min(conf, AMBIGUOUS_ROW_CONFIDENCE), origin))
        else:
            out.append(CellText("".join(c), conf, origin))
    return Row(tuple(out), origin)


def _table_rows(line: str, n: int) -> list[Row]:
    origin = Origin(line=n)
    conf = line_confidence(line)
    rows: list[Row] = []
    for cells in _split_mixed([_cell_lines(raw) for raw in _split_pipes(line)]):
        stacked = _split_stacked(cells)
        parts, guessed = stacked if stacked else ([cells], set())
        rows.extend(_to_row(c, origin, conf, guessed) for c in parts)
    return rows


def _has_values(row: Row) -> bool:
    return any(_is_value(c.text) for c in row.cells)


def _continues(upper: Row, lower: Row) -> bool:
    """``upper`` (no numbers) is the top of ``lower``'s labels: each of its texts sits above
    the rest of a label (text that starts no enumerated item), never above a number."""
    if len(upper.cells) != len(lower.cells):
        return False
    pairs = [(u.text, w.text) for u, w in zip(upper.cells, lower.cells, strict=True) if u.text]
    return bool(pairs) and all(w and not looks_numeric(w) and not _enumerated(w) for _, w in pairs)


def merge_table(rows: list[Row]) -> list[Row]:
    """Label rows carried down onto the row of numbers whose labels they begin.

    A converter that loses a merged or wrapped label cell prints the label's first
    lines in a row of their own, blank in the value columns; column by column, that text
    goes in front of the label text below it.
    """
    out: list[Row] = []
    for row in rows:
        while out and not _has_values(out[-1]) and _has_values(row) and _continues(out[-1], row):
            upper = out.pop()
            cells = tuple(
                CellText(
                    u.text + w.text,
                    min(u.confidence, w.confidence),
                    u.origin if u.text else w.origin,
                )
                for u, w in zip(upper.cells, row.cells, strict=True)
            )
            row = Row(cells, upper.origin)
        out.append(row)
    return out


def parse_markdown(lines: list[str]) -> list[Row]:
    """Rows of a markdown extraction: tables rebuilt, other lines read as by the text reader."""
    rows: list[Row] = []
    table: list[Row] = []
    prose: list[tuple[int, str]] = []

    def flush() -> None:
        rows.extend(merge_table(table))
        table.clear()
        if prose:
            rows.extend(parse_lines([t for _, t in prose], [n for n, _ in prose]))
            prose.clear()

    for n, raw in enumerate(lines, start=1):
        s = raw.strip()
        if s.startswith("|"):
            if prose:
                flush()
            if not _SEPARATOR.match(s):
                table.extend(_table_rows(s, n))
            continue
        if table:
            flush()
        # a converter's text of a picture, or any HTML line break, is lines of their own
        for part in _BR.split(_COMMENT.sub("", _HEADING.sub("", raw))):
            prose.append((n, _clean(part) if part.strip() else ""))
    flush()
    return rows


def read_markdown(path: Path) -> Reading:
    return read_with(path, parse_markdown)
