"""Read rows → canonical rows: label cells split from value cells, detached rows rejoined,
and a monotone alignment to the canonical row order.

Row labels come in a known order, some missing, split, merged or garbled; so rows are
matched to the canonical rows by a monotone sequence alignment that maximises the
summed fuzzy similarity (rapidfuzz), rather than one label at a time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.model.config import Settings
from pipeline.model.numbers import is_blank, looks_numeric
from pipeline.model.records import CellText, Row
from pipeline.model.taxonomy import RowSpec
from pipeline.recover.identify import norm


@dataclass(frozen=True)
class TableRow:
    """A read row split into its label and its value slots."""

    label: str
    values: tuple[CellText, ...]
    row: Row

    @property
    def filled(self) -> int:
        return sum(not is_blank(v.text) for v in self.values)


def split_row(row: Row) -> TableRow:
    """Label = the text cells; values = the cells after the last label cell (label_end)."""
    cells = row.cells
    last_label = label_end(cells)
    label = "".join(c.text for c in cells[: last_label + 1] if not looks_numeric(c.text))
    return TableRow(norm(label), tuple(cells[last_label + 1 :]), row)


# a cell of this many characters or fewer, read below firm confidence among a row's
# numbers, is a number the recogniser could not read (a digit under a pen stroke read
# "中", "一6"), not a word of the label: no label of a filing's tables is that short there
_GARBLED_CHARS = 2


def label_end(cells: Sequence[CellText], firm: float = Settings().firm_confidence) -> int:
    """The index of the row's last label cell (-1: none).

    A short, unsure text after the label in a row that holds numbers is an unreadable
    value: taken for the label, it would end the row's values there, and the values
    before it would be lost (the row matched with none, its neighbours doubted).
    """
    texts = [i for i, c in enumerate(cells) if not looks_numeric(c.text)]
    if not texts or not any(not is_blank(c.text) for c in cells if looks_numeric(c.text)):
        return texts[-1] if texts else -1
    while len(texts) > 1 and _garbled(cells[texts[-1]], firm):
        texts.pop()
    return texts[-1]


def _garbled(c: CellText, firm: float) -> bool:
    return c.confidence < firm and len(re.sub(r"\s", "", c.text)) <= _GARBLED_CHARS


_ENUMERATED = re.compile(
    r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.、．])"
)


def join_detached(rows: Sequence[TableRow]) -> list[TableRow]:
    """Rejoin a row that the source split in two.

    A label-only row followed by a row of values that has no label of its own, or only
    the unnumbered rest of a label broken over lines, is one row.
    """
    out: list[TableRow] = []
    for tr in rows:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.values
            and tr.filled
            and not _ENUMERATED.match(tr.label)
            and _ENUMERATED.match(prev.label + tr.label)
        ):
            out[-1] = TableRow(prev.label + tr.label, tr.values, tr.row)
        elif prev is not None and not prev.values and not tr.label and tr.filled:
            out[-1] = TableRow(prev.label, tr.values, tr.row)
        else:
            out.append(tr)
    return out


def similarity(label: str, spec: RowSpec) -> float:
    if not label:
        return 0.0
    best = 0.0
    for phrase in spec.phrases:
        p = norm(phrase)
        score = fuzz.partial_ratio(p, label) / 100.0
        if len(p) <= 2:
            score *= 0.95  # short phrases occur inside other labels too
        best = max(best, score)
    return max(best, fuzz.ratio(norm(spec.label), label) / 100.0)


@dataclass(frozen=True)
class Aligned:
    """A read row matched to a canonical row, with the evidence of the match."""

    row: TableRow
    similarity: float  # of its label to the canonical row's (0–1), as compared
    header: bool  # the row holds the table's column headers: no row of data


def align_rows(
    rows: Sequence[TableRow],
    specs: Sequence[RowSpec],
    threshold: float = Settings().match_threshold,
) -> dict[str, TableRow]:
    """Monotone alignment of read rows to canonical rows maximising summed similarity."""
    return {k: a.row for k, a in align_scored(rows, specs, threshold).items()}


def align_scored(
    rows: Sequence[TableRow],
    specs: Sequence[RowSpec],
    threshold: float = Settings().match_threshold,
    headers: Sequence[str] = (),
) -> dict[str, Aligned]:
    """:func:`align_rows`, each match with its similarity and whether it is a header line.

    A row whose label holds one of ``headers`` (the table's column titles, which no row
    label holds) is a header line: it may still match (its cell 总计 looks like the row
    （七）总计), but the match says nothing of a row of data: its cells are not to be trusted.
    """
    n, m = len(rows), len(specs)
    raw = [[similarity(r.label, s) for s in specs] for r in rows]
    sims = [list(x) for x in raw]
    for i, r in enumerate(rows):
        if not r.values:
            sims[i] = [x - 0.3 for x in sims[i]]  # a row without value cells is a header
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best, how = score[i - 1][j], 1
            if score[i][j - 1] > best:
                best, how = score[i][j - 1], 2
            s = sims[i - 1][j - 1]
            if s >= threshold and score[i - 1][j - 1] + s > best:
                best, how = score[i - 1][j - 1] + s, 3
            score[i][j], move[i][j] = best, how
    out: dict[str, Aligned] = {}
    i, j = n, m
    while i > 0 and j > 0:
        how = move[i][j]
        if how == 3:
            r = rows[i - 1]
            header = any(h in r.label for h in headers)
            out[specs[j - 1].key] = Aligned(r, raw[i - 1][j - 1], header)
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    return out
