"""Text outside ruled tables: borderless tables found by word alignment, and prose.

Lines ending in standalone numbers are the rows of borderless tables, whose wrapped
labels are attached to the row they are centred on and whose group labels to the rows
they span. A line elsewhere is one cell, or one cell per run of text where it has wide
gaps (a table header); page numbers are dropped.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from pipeline.model.records import CellText, Origin, Row
from pipeline.read.words import ENUM, NUM, Word, is_wide, lines_of, union


def _frags(line: list[Word]) -> list[Word]:
    """Split a line at gaps wider than a space: the cells of a borderless row.

    CJK glyphs touch within a cell, so a gap of half a character next to one of them is
    already a cell boundary; a space between Latin words or numbers is about 0.3 em.
    """
    groups: list[list[Word]] = []
    for w in line:
        last = groups[-1][-1] if groups else None
        wide = last is not None and (is_wide(last.text[-1]) or is_wide(w.text[0]))
        if (
            last
            and w.x0 - last.x1 <= (0.5 if wide else 0.9) * max(w.h, last.h)
            and not (NUM.match(w.text) and NUM.match(last.text))  # "0 0" is two cells
        ):
            groups[-1].append(w)
        else:
            groups.append([w])
    return [union(g) for g in groups]


@dataclass
class _BRow:
    """A borderless row: the line of its numbers, its label lines and group labels."""

    cy: float
    values: list[Word]
    labels: list[Word]
    groups: list[Word] = field(default_factory=list)

    def extent(self) -> tuple[float, float]:
        ws = self.values + self.labels
        return min(w.y0 for w in ws), max(w.y1 for w in ws)

    @property
    def label_x(self) -> float:
        return min((w.x0 for w in self.labels), default=1e9)


def _overlaps(a: Word, block: Sequence[Word]) -> bool:
    return any(min(a.x1, b.x1) > max(a.x0, b.x0) for b in block)


def _next_to(block: Sequence[Word], pool: Sequence[Word], up: bool, h: float) -> Word | None:
    """The closest line just above (or below) the block that shares its columns."""
    best, best_gap = None, h
    for f in pool:
        gap = block[0].y0 - f.y1 if up else f.y0 - block[-1].y1
        if -0.3 * h < gap <= best_gap and f not in block and _overlaps(f, block):
            best, best_gap = f, gap
    return best


def _centre(block: Sequence[Word]) -> float:
    return (block[0].y0 + block[-1].y1) / 2


def _assign_labels(rows: list[_BRow], pool: list[Word], h: float) -> None:
    """Give each row the label lines centred on its numbers.

    Numbers sit in the middle of their cell, so a label wrapped over n lines is the
    block of n lines whose middle is the numbers' line. Every row first takes a seed,
    one line or a pair centred there (of several, the one nearest the numbers: group
    labels sit further left); then seeds grow by a line above and one below while the
    block stays centred, never into another row's seed nor across a label's number.
    """
    for row in rows:
        best: list[Word] | None = None
        for f in pool:
            below = _next_to([f], pool, False, h)
            for cand in ([f], [f, below] if below and not ENUM.match(below.text) else None):
                if (
                    cand
                    and abs(_centre(cand) - row.cy) <= 0.25 * h
                    and (best is None or max(w.x1 for w in cand) > max(w.x1 for w in best))
                ):
                    best = cand
        if best:
            row.labels = best
            for w in best:
                pool.remove(w)
    for row in rows:
        while row.labels:
            up, down = _next_to(row.labels, pool, True, h), _next_to(row.labels, pool, False, h)
            if (  # a label starts with its number ("3." "（三）"): none above it, none below
                up is None
                or down is None
                or ENUM.match(row.labels[0].text)
                or ENUM.match(down.text)
                or abs((up.y0 + down.y1) / 2 - row.cy) > 0.3 * h
            ):
                break
            row.labels = [up, *row.labels, down]
            pool.remove(up)
            pool.remove(down)


def _stack(pool: list[Word], h: float) -> list[Word]:
    """Lines left over, stacked into blocks of adjacent lines in one column; a numbered
    line ("3." "（三）") starts a new block."""
    blocks: list[list[Word]] = []
    for f in sorted(pool, key=lambda f: f.y0):
        for b in reversed(blocks):
            gap = f.y0 - b[-1].y1
            if -0.3 * h <= gap <= 0.8 * h and _overlaps(f, b[-1:]) and not ENUM.match(f.text):
                b.append(f)
                break
        else:
            blocks.append([f])
    return [union(b) for b in blocks]


def _place_groups(rows: list[_BRow], groups: list[Word]) -> list[Word]:
    """Put group labels (centred on the rows they span) in the first row they span.

    Rows whose own label reaches into the group's column fence the spans; the rows
    between two fences are shared out among the groups there so each is centred on
    its rows. Returns the groups that span no row.
    """
    left: list[Word] = []
    fence_x = min(g.x1 for g in groups)
    runs: list[list[_BRow]] = [[]]
    for r in rows:
        if r.label_x < fence_x:
            runs.append([])
        else:
            runs[-1].append(r)
    todo = sorted(groups, key=lambda g: g.cy)
    for run in (r for r in runs if r):
        top, bottom = run[0].extent()[0], run[-1].extent()[1]
        mine = [g for g in todo if top - g.h <= g.cy <= bottom + g.h]
        start = 0
        for n, g in enumerate(mine):
            if start >= len(run):
                left.append(g)
                continue
            last = max(len(run) - (len(mine) - n), start)  # leave a row for each group to come
            end = min(
                range(start, last + 1),
                key=lambda e: abs((run[start].extent()[0] + run[e].extent()[1]) / 2 - g.cy),
            )
            run[start].groups.append(g)
            start = end + 1
        todo = [g for g in todo if g not in mine]
    return left + todo


def _region(page: int, lines: list[list[Word]], h: float) -> list[tuple[float, Row]]:
    """One borderless table: rows of numbers with their labels attached."""
    rows: list[_BRow] = []
    pool: list[Word] = []
    out: list[tuple[float, Row]] = []
    x_num = min(f.x0 for fs in lines if NUM.match(fs[-1].text) for f in fs if NUM.match(f.text))
    for fs in lines:
        if NUM.match(fs[-1].text):
            vals = [f for f in fs if NUM.match(f.text)]
            rows.append(_BRow(statistics.fmean(v.cy for v in vals), vals, []))
            for f in fs:  # label-area text on the numbers' line may be a group label's line
                if not NUM.match(f.text):
                    (pool if f.x1 <= x_num + 0.5 * h else vals).append(f)
        elif any(f.x1 > x_num + 0.5 * h for f in fs) or not 0.6 * h <= fs[0].h <= 1.6 * h:
            out.append((fs[0].cy, _multi(page, fs)))  # a header line inside the table
        else:
            pool.extend(fs)
    _assign_labels(rows, pool, h)
    for f in sorted(pool, key=lambda f: f.y0):  # a label's tail where centring failed
        for r in rows:  # (a cell aligned at the top, a row split by a page break)
            last = r.labels[-1] if r.labels else None
            if (
                last
                and 0 <= f.y0 - last.y1 <= 0.6 * h
                and abs(f.x0 - last.x0) <= 0.5 * h
                and not ENUM.match(f.text)
            ):
                r.labels.append(f)
                pool.remove(f)
                break
    blocks = _stack(pool, h)
    right = [(r.label_x, r.cy) for r in rows] + [(b.x0, b.cy) for b in blocks]
    groups = [  # a block with labels right of it over its height spans those rows
        b
        for b in blocks
        if any(x >= b.x1 - 0.5 * h and b.y0 - h <= y <= b.y1 + h for x, y in right)
    ]
    # the other blocks are labels of rows without numbers (blank, or blank meaning 0)
    rows += [_BRow(b.cy, [], [b]) for b in blocks if b not in groups]
    rows.sort(key=lambda r: r.cy)
    cols: list[list[Word]] = []  # groups side by side (三、本年度… left of （三）不予公开)
    for g in sorted(groups, key=lambda g: g.x0):
        if cols and _overlaps(g, cols[-1]):
            cols[-1].append(g)
        else:
            cols.append([g])
    for col in cols:
        rows += [_BRow(g.cy, [], [g]) for g in _place_groups(rows, col)]
    for r in sorted(rows, key=lambda r: r.cy):
        label = [union(sorted(r.labels, key=lambda w: w.y0))] if r.labels else []
        cells = sorted(r.groups, key=lambda w: w.x0) + label + sorted(r.values, key=lambda w: w.x0)
        out.append((r.cy, _multi(page, cells)))
    return out


def _multi(page: int, cells: Sequence[Word]) -> Row:
    box = union(cells).bbox
    return Row(
        tuple(CellText(c.text, c.conf, Origin(page, c.bbox)) for c in cells), Origin(page, box)
    )


_PAGE_NO = re.compile(r"^[-—–\s第]*\d{1,3}(?:\s*/\s*\d{1,3})?[-—–\s页]*$")


def free_text(page: int, words: list[Word], margin: tuple[float, float]) -> list[tuple[float, Row]]:
    """Prose lines, and borderless tables found by their lines of standalone numbers."""
    lines = [_frags(line) for line in lines_of(words)]
    lines = [  # page numbers in the running head or foot are no content
        fs for fs in lines if margin[0] < fs[0].cy < margin[1] or not _PAGE_NO.match(union(fs).text)
    ]
    out: list[tuple[float, Row]] = []
    done = [False] * len(lines)
    regions: list[list[int]] = []  # runs of lines ending in numbers: borderless tables
    label_end, num_start = 0.0, 1e9  # where the current table's labels end, numbers start
    for i, fs in enumerate(lines):
        if not NUM.match(fs[-1].text):
            continue
        h = statistics.median(f.h for f in fs)
        first = min(f.x0 for f in fs if NUM.match(f.text))
        ends = max([0.0] + [f.x1 for f in fs if f.x1 <= first])
        last = regions[-1][-1] if regions else i
        between = [lines[k] for k in range(last, i + 1)]
        dense = all(  # label lines all the way (rows left blank in between)
            min(f.y0 for f in b) - max(f.y1 for f in a) <= 1.5 * h for a, b in pairwise(between)
        )
        if (  # a new table after a gap or a heading, or numbers where labels were (四 under 三)
            regions
            and (fs[0].cy - lines[last][0].cy <= 15 * h or dense)
            and all(0.6 * h <= f.h <= 1.6 * h for b in between for f in b)
            and first > label_end
            and ends < num_start
        ):
            regions[-1].append(i)
        else:
            regions.append([i])
            label_end, num_start = 0.0, 1e9
        label_end, num_start = max(label_end, ends), min(num_start, first)
    numeric = {i for reg in regions for i in reg}
    for reg in regions:
        h = statistics.median(f.h for i in reg for f in lines[i] if NUM.match(f.text))
        top, bottom = lines[reg[0]][0].cy - 4 * h, lines[reg[-1]][0].cy + 4 * h
        members = reg + [  # the lines around it that are not another table's numbers
            i
            for i, fs in enumerate(lines)
            if top <= fs[0].cy <= bottom and not done[i] and i not in numeric
        ]
        members.sort()
        for i in members:
            done[i] = True
        out.extend(_region(page, [lines[i] for i in members], h))
    for i, fs in enumerate(lines):  # prose: a line, or the cells of a line with wide gaps
        if not done[i]:
            out.append((fs[0].cy, _multi(page, fs)))
    return out
