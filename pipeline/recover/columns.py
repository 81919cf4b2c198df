"""A row's value cells → the table's columns: by count where that is unambiguous, by
x position in the columns' x-ranges otherwise.

The columns of a table come from its geometry (:func:`table_columns`): the header cells
stacked over each column, reconciled with the alignment of all its numbers together; or,
failing that, the centres of full rows or of the header words. A borderless filing that
prints 0 as a blank leaves most columns empty in most rows, so no count can place them.

A value placed by count alone where the row lost cells is marked ``guessed``: a shift of
every row would satisfy the identities, so they cannot vouch for its column.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from pipeline.model.numbers import is_blank, looks_numeric
from pipeline.model.records import CellText, Row
from pipeline.recover.identify import norm
from pipeline.recover.rows import TableRow, label_end


@dataclass(frozen=True)
class Slot:
    """A value cell placed in a column; ``lost`` when padding put it there."""

    cell: CellText | None
    lost: bool = False
    guessed: bool = False  # placed by count alone, with cells lost: its column is a guess


Span = tuple[float, float]  # x0, x1


@dataclass(frozen=True)
class Columns:
    """A table's value columns as x-ranges, left to right.

    A value belongs to the column whose region holds its centre; the regions meet halfway
    between neighbouring ranges and reach ``margin`` beyond the outer ones. A value
    outside every region belongs to no column.
    """

    spans: tuple[Span, ...]
    margin: float

    @classmethod
    def at(cls, centers: Sequence[float]) -> Columns:
        """Columns known only by their centres (full rows, header words)."""
        gaps = [b - a for a, b in zip(centers, centers[1:], strict=False)]
        return cls(tuple((c, c) for c in centers), 0.5 * min(gaps, default=50.0))

    @classmethod
    def of(cls, spans: Sequence[Span]) -> Columns:
        """Columns from the x-ranges of their cells; the outer margin is a typical gap."""
        gaps = [b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)]
        width = statistics.median(b - a for a, b in spans)
        return cls(tuple(spans), statistics.median(gaps) if gaps else width)

    def column_of(self, x0: float, x1: float) -> int | None:
        c = (x0 + x1) / 2
        spans = self.spans
        for k, (a, b) in enumerate(spans):
            lo = (spans[k - 1][1] + a) / 2 if k else a - self.margin
            hi = (b + spans[k + 1][0]) / 2 if k + 1 < len(spans) else b + self.margin
            if lo <= c < hi:
                return k
        return None


def place(
    values: Sequence[CellText],
    n: int,
    columns: Columns | Callable[[], Columns | None] | None,
    total_last: bool = False,
    edges_unsure: bool = False,
) -> list[list[Slot]]:
    """Candidate placements of a row's value cells into ``n`` columns.

    Where the row's numbers have boxes and the table's ``n`` columns are known, each number
    goes where it stands, whatever the count says: a table that prints 0 as blank can show
    a stray beside a blank column and look full by count, every number then a column off.
    A number in no column, or two in one, leaves the geometry unable to tell: the count
    places them (a guess where the count has cells lost). Without geometry the count
    decides (:func:`_by_count`).
    ``columns`` may be a function, called only for a row that has boxes. Where the last
    column is the row's ``total``, a row with values and nothing in it is no reading: its
    values may have moved a column left, and that keeps every sum true. ``edges_unsure``:
    a table with no identity (二), where an empty field at a row's edge trimmed as padding
    or the label's columns may be a printed blank while an inner one is the stray.
    """
    filled = [v for v in values if not is_blank(v.text)]
    count = _by_count(values, n, edges_unsure)
    if total_last and filled and len(count) == 1:
        last = count[0][-1].cell
        if last is None or is_blank(last.text):
            count = [[replace(s, guessed=s.cell is not None) for s in count[0]]]
    if columns is None or not all(v.origin.upright for v in filled):
        return count
    known = columns() if callable(columns) else columns
    if not isinstance(known, Columns) or len(known.spans) != n:
        return count
    by_x = _place_by_x(values, known)
    if by_x is None:  # the geometry cannot tell (columns only roughly known): the count
        return count
    firm = len(count) == 1 and not any(s.lost or s.guessed for s in count[0])
    if firm and _numbers_at(count[0]) == _numbers_at(by_x):
        return count  # the geometry agrees (and the count keeps each blank cell's own box)
    if [c for c in _numbers_at(by_x) if c is not None] != filled:
        return count  # the boxes run another way than the reading (a turned text layer's)
    return [by_x]


def _numbers_at(slots: Sequence[Slot]) -> list[CellText | None]:
    return [s.cell if s.cell is not None and not is_blank(s.cell.text) else None for s in slots]


def _by_count(values: Sequence[CellText], n: int, edges_unsure: bool = False) -> list[list[Slot]]:
    """Placements by count alone. Empty cells past ``n`` at a row's end are an extraction's
    padding, at its start the label's merged columns (text extractions print both); an
    extra one between values is a stray whose place only the identities can tell, and a
    row with cells lost is placed right-aligned, each column a guess."""
    filled = [v for v in values if not is_blank(v.text)]
    if len(filled) == n:
        return [[Slot(v) for v in filled]]
    slots = list(values)
    while len(slots) > n and is_blank(slots[-1].text):  # padding
        slots.pop()
    while len(slots) > n and is_blank(slots[0].text):  # the label's empty columns
        slots.pop(0)
    if len(slots) == n:
        if edges_unsure and len(slots) < len(values) and any(is_blank(v.text) for v in slots):
            # a blank within too: an edge one may be a printed blank and the inner one the
            # stray, and no identity will pick: the cells the readings disagree on are weak
            others = [c for c in _without_strays(values, n) if [s.cell for s in c] != slots]
            return [[Slot(v) for v in slots], *others]
        return [[Slot(v) for v in slots]]
    if len(slots) < n:
        pad = [Slot(None, lost=True)] * (n - len(slots))
        return [pad + [Slot(v, guessed=True) for v in slots]]
    if len(filled) > n:
        cands = [[Slot(v) for v in filled[k : k + n]] for k in range(len(filled) - n + 1)]
        return cands
    return _without_strays(slots, n)


_MAX_STRAYS = 2


def _without_strays(slots: Sequence[CellText], n: int) -> list[list[Slot]]:
    """A row with more cells than columns and no geometry: every way of leaving out the
    extra ones (blank or not: a stray may be either) is a candidate; the identities pick,
    and where they cannot, no placement is firm. Past a few strays, all are guesses."""
    extra = len(slots) - n
    if extra > _MAX_STRAYS:
        return [[Slot(v, guessed=True) for v in slots[-n:]]]
    seen: dict[tuple[str, ...], list[Slot]] = {}
    for drop in combinations(range(len(slots)), extra):
        kept = [v for i, v in enumerate(slots) if i not in drop]
        seen.setdefault(tuple(v.text for v in kept), [Slot(v) for v in kept])
    return list(seen.values())


def center(c: CellText) -> float:
    assert c.origin.upright is not None
    return (c.origin.upright[0] + c.origin.upright[2]) / 2


def _place_by_x(values: Sequence[CellText], columns: Columns) -> list[Slot] | None:
    """Each value in its column; a column nothing stands in is a printed blank.

    None (the row is then placed by count, as a guess) when a number stands in no column
    or two numbers in one: the geometry cannot say where they belong.
    """
    out: list[Slot] = [Slot(None)] * len(columns.spans)
    for v in sorted(values, key=lambda c: is_blank(c.text)):  # numbers first, then blanks
        if v.origin.upright is None:
            continue
        k = columns.column_of(v.origin.upright[0], v.origin.upright[2])
        if is_blank(v.text):
            if k is not None and out[k].cell is None:
                out[k] = Slot(v)  # keeps the blank cell's own box
            continue
        if k is None or out[k].cell is not None:
            return None
        out[k] = Slot(v)
    return out


def _stacks(words: Sequence[CellText]) -> list[tuple[Span, str]]:
    """The header cells' stacks, left to right: x-range and text (top down).

    A column's title may wrap over several lines (one character a line, when vertical):
    its pieces overlap in x. Narrow pieces go first; a piece over two stacks is a label
    spanning columns (申请人情况, 行政诉讼, a title) and is left out. A piece much wider
    than the one stack it meets joins it only if it stays within that column's region:
    a title's longer first line (自然 over 人) does, a label spanning columns and centred
    over the middle one (行政复议 over 其他结果) reaches into its neighbours'.
    """
    stacks: list[list[CellText]] = []
    wide: list[tuple[CellText, list[CellText]]] = []
    for w in sorted(words, key=lambda w: _width(_span(w))):
        x = _span(w)
        hit = [s for s in stacks if _overlap(x, _extent(s)) > 0]
        if not hit:
            stacks.append([w])
        elif len(hit) == 1:
            narrow = _width(x) <= 1.5 * statistics.median(_width(_span(c)) for c in hit[0])
            if narrow:
                hit[0].append(w)
            else:
                wide.append((w, hit[0]))
    stacks.sort(key=_extent)
    if len(stacks) > 1:
        regions = Columns.of([_extent(s) for s in stacks])
        for w, stack in wide:
            k = stacks.index(stack)
            x0, x1 = _span(w)
            if regions.column_of(x0, x0) == regions.column_of(x1, x1) == k:
                stack.append(w)
    out = [(_extent(s), "".join(c.text for c in sorted(s, key=_top))) for s in stacks]
    if any(_overlap(a, b) > 0 for (a, _), (b, _) in zip(out, out[1:], strict=False)):
        return []  # not side by side: no header of columns
    return out


def _width(x: Span) -> float:
    return x[1] - x[0]


def _top(c: CellText) -> tuple[float, float]:
    assert c.origin.upright is not None
    return c.origin.upright[1], c.origin.upright[0]


def _extent(ws: Sequence[CellText]) -> Span:
    return min(_span(c)[0] for c in ws), max(_span(c)[1] for c in ws)


def _overlap(a: Span, b: Span) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def _aligned(boxes: Sequence[Span]) -> list[Span]:
    """The x-ranges of the numbers' columns: numbers in one column overlap in x."""
    out: list[Span] = []
    for a, b in sorted(boxes):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _agree(columns: Columns, aligned: Sequence[Span]) -> bool:
    """Every run of aligned numbers lies in one column, and no column holds two runs."""
    ks = [columns.column_of(a, b) for a, b in aligned]
    return (
        all(k is not None for k in ks)
        and len(set(ks)) == len(ks)
        and all(
            columns.column_of(a, a) == columns.column_of(b, b) == k
            for (a, b), k in zip(aligned, ks, strict=True)
        )
    )


def _is_number(c: CellText) -> bool:
    return looks_numeric(c.text) and not is_blank(c.text)


def table_columns(
    rows: Sequence[Row], n: int, label_right: float = -1e9, heads: Sequence[str] = ()
) -> Columns | None:
    """The ``n`` value columns of a borderless table, from its header and its numbers.

    The header is the rows before the first row of numbers; its cells right of the row
    labels (right of ``label_right`` too, where the caller knows the label column) stack
    into the columns' x-ranges. They stand when there are ``n`` of them, each reads as its
    title in ``heads`` (where given: a stray word in place of a lost title would shift
    the empty columns, and no identity sees a shift), and the numbers agree (each run of
    aligned numbers in one column, one run a column); else the runs of aligned numbers,
    when there are ``n`` of them.
    """
    first = next((i for i, r in enumerate(rows) if any(_is_number(c) for c in r.cells)), None)
    cut = len(rows) if first is None else first
    numbers: list[Span] = []
    for r in rows[cut:]:
        cells = [c for c in r.cells if c.origin.upright]
        last = label_end(cells)
        own = max((_span(c)[1] for c in cells[: last + 1]), default=-1e9)
        # a number over its row's label is in no column (a stray): no run of its own
        nums = [c for c in cells[last + 1 :] if _is_number(c) and sum(_span(c)) / 2 >= own]
        if nums:
            numbers += [_span(c) for c in nums]
            label_right = max([label_right] + [_span(c)[1] for c in cells[: last + 1]])
    # a number left of where the rows' labels end stands in the label column (a lone item
    # number, a stray): no run of a value column (its run would shift every column right)
    numbers = [x for x in numbers if sum(x) / 2 > label_right]
    words = [
        c
        for r in rows[:cut]
        for c in r.cells
        if c.origin.upright and c.text.strip() and sum(_span(c)) / 2 > label_right
    ]
    aligned = _aligned(numbers)
    stacks = _stacks(words)
    titled = all(h in norm(t) for h, (_, t) in zip(heads, stacks, strict=False))
    if len(stacks) == n and titled:
        columns = Columns.of([x for x, _ in stacks])
        if _agree(columns, aligned):
            return columns
        # as many runs as heads, but not under them: the runs, unless one of them stands
        # under no head at all (a stray's run would make a column of its own)
        if len(aligned) == n and any(columns.column_of(a, b) is None for a, b in aligned):
            return columns
    if len(aligned) == n:
        return Columns.of(aligned)
    return None


def _span(c: CellText) -> Span:
    assert c.origin.upright is not None
    return c.origin.upright[0], c.origin.upright[2]


def over_label(tr: TableRow) -> bool:
    """A number standing over its row's label, or left of it: in no value column (a stray).
    Boxes as the page runs upright (``Origin.upright``: a turned scan's frame).
    A table that prints 0 as blank shows nothing else in such a row, so counting would
    place it in the row's columns as a clean read."""
    labels = [c.origin.upright for c in tr.row.cells if c not in tr.values and c.origin.upright]
    if not labels:
        return False
    right = max(b[2] for b in labels)
    nums = [v for v in tr.values if v.origin.upright is not None and not is_blank(v.text)]
    before = sum(center(v) < right for v in nums)
    # all of several before it: the boxes run another way (a turned text-layer page's)
    return before > 0 and (before < len(nums) or before == 1)


def column_centers(rows: Sequence[TableRow], n: int) -> list[float] | None:
    """x-centres of the value columns, from rows that fill every column (and hold no
    stray: a stray beside a blank column makes a row look full by count)."""
    full = [
        [center(v) for v in r.values if not is_blank(v.text)]
        for r in rows
        if r.filled == n
        and all(v.origin.upright for v in r.values if not is_blank(v.text))
        and not over_label(r)
    ]
    full = [xs for xs in full if len(xs) == n]
    if not full:
        return None
    return [statistics.median(xs[k] for xs in full) for k in range(n)]


_MIN_CHAR_WIDTH = 4.0  # points: no legible printed character is narrower


def _word_centers(cell: CellText, heads: Sequence[str]) -> dict[str, float]:
    """Centres of the header words inside one cell, by their character positions.

    A header cell may hold several column titles run together (tight borderless tables);
    CJK characters are equally wide, so each title's share of the text is its share of the box.
    """
    t = norm(cell.text)
    if not cell.origin.upright or not t:
        return {}
    at = sorted((t.find(h), h) for h in heads if h in t)
    if not at or len(t) > 8 * len(at):
        return {}
    x0, _, x1, _ = cell.origin.upright
    if (x1 - x0) / len(t) < _MIN_CHAR_WIDTH:
        return {}  # the box is not the text's extent (text overflowing a narrow cell)
    out: dict[str, float] = {}
    for n, (i, h) in enumerate(at):
        end = at[n + 1][0] if n + 1 < len(at) else len(t)
        out[h] = x0 + (x1 - x0) * (i + end) / 2 / len(t)
    return out


def header_centers(rows: Sequence[Row], heads: Sequence[str]) -> list[float] | None:
    """x-centres of the value columns from their header cells (自然人 … 总计).

    Used where no row fills every column (filings that print 0 as blank, without rules).
    """
    found: dict[str, float] = {}
    for r in rows:
        if any(looks_numeric(c.text) and not is_blank(c.text) for c in r.cells):
            break  # the header is above the first row of numbers
        for c in r.cells:
            for h, x in _word_centers(c, heads).items():
                found.setdefault(h, x)
    xs = [found.get(h) for h in heads]
    if any(x is None for x in xs):
        return None
    centers = [x for x in xs if x is not None]
    return centers if all(a < b for a, b in zip(centers, centers[1:], strict=False)) else None
