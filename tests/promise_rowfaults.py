"""Faults of a scan's row geometry (issue 10): rows merged, values off their row's band,
a row cut in two. OCR readings only: they alone hand over a grid found from ink.

The existing ``shifted_row`` fault moves a row's values into its neighbour's list, and
with boxes only onto a neighbour that shows values (the moved cells carry that row's
band), and never onto a row printed blank: there the reading is a different, equally
consistent filing. What a lost or added rule does is different — the boxes say it:

- ``merged_rows``: the rule between two rows lost, over the whole row (one band twice as
  tall, the labels run together), over the value cells only (each merged cell reaches
  over both bands, the lower row keeps its label but not those cells), or over the label
  only (the label reaches over both bands, the lower row keeps its values but no label).
  A merged cell's two numbers are stacked ("11 66") or run together ("1166"); one blank
  leaves the other's number, in a cell over both bands.
- ``moved_values``: a row's value cells read in the band above or below: the boxes move
  with the values (that row then shows none of its own), or only the texts move and the
  row they left shows no value cell at all.
- ``cut_row``: a stroke taken for a rule cuts a row in two half bands: the label split
  between two of its lines (the item's number stays with the first), each half reading
  the numbers' halves — blank, or misread at any confidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hypothesis import strategies as st

from pipeline.model.taxonomy import APPLICATIONS
from tests.promise_gen import Case, Draw, Line, Piece


def _pairs(case: Case) -> list[int]:
    """Lines ``i`` of table 三 where ``i`` and ``i + 1`` are both data rows."""
    lines = case.tables[APPLICATIONS]
    return [
        i
        for i in range(len(lines) - 1)
        if lines[i].key is not None and lines[i + 1].key is not None and lines[i].height == 1.0
    ]


def _by_col(line: Line) -> dict[float, Piece]:
    return {p.col: p for p in line.values if p.col is not None}


def _merge_text(draw: Draw, a: str, b: str) -> str:
    if a and b:
        return draw(st.sampled_from([f"{a} {b}", f"{a}{b}"]))  # stacked, or run together
    return a or b


def merged_rows(draw: Draw, case: Case) -> None:
    pairs = _pairs(case)
    if not pairs:
        case.notes.append("merged rows: nothing to hurt")
        return
    lines = case.tables[APPLICATIONS]
    i = draw(st.sampled_from(pairs))
    up, down = lines[i], lines[i + 1]
    how = draw(st.sampled_from(["band", "values", "label"]))
    label = "".join(p.text for p in up.label) + "".join(p.text for p in down.label)
    ua, da = _by_col(up), _by_col(down)
    if how == "label":
        lines[i] = replace(up, cells=(Piece(label, span=2.0), *up.values))
        lines[i + 1] = replace(down, cells=down.values)
        case.notes.append(f"merged rows: labels of {up.key} and {down.key} in one cell")
        return
    first = 0 if how == "band" else draw(st.integers(0, 6))
    merged: list[Piece] = []
    for c in sorted(set(ua) | set(da)):
        a, b = ua.get(c), da.get(c)
        if c < first:
            if a is not None:
                merged.append(a)
            continue
        text = _merge_text(draw, a.text if a else "", b.text if b else "")
        conf = min(p.conf for p in (a, b) if p is not None)
        if text or a is not None:
            merged.append(Piece(text, c, conf, span=2.0))
    if how == "band":
        lines[i] = Line((Piece(label), *merged), up.n, up.key, 2.0)
        del lines[i + 1]
    else:
        lines[i] = up.with_values(merged)
        lines[i + 1] = down.with_values(
            [p for p in down.values if p.col is not None and p.col < first]
        )
    case.notes.append(
        f"merged rows: {up.key} and {down.key}, {how} from column {first}: "
        f"{[p.text for p in merged]}"
    )


def moved_values(draw: Draw, case: Case) -> None:
    lines = case.tables[APPLICATIONS]
    rows = [i for i, x in enumerate(lines) if x.key is not None and x.height == 1.0]
    targets = [
        (i, d)
        for i in rows
        for d in (-1, 1)
        if i + d in rows and any(p.text for p in lines[i].values)
    ]
    if not targets:
        case.notes.append("moved values: nothing to hurt")
        return
    i, d = draw(st.sampled_from(targets))
    line, other = lines[i], lines[i + d]
    if draw(st.booleans()):
        # the boxes move with the values: read under this row's label, in the other's band
        lines[i] = line.with_values([replace(p, dy=float(d)) for p in line.values])
        lines[i + d] = other.with_values([])
        case.notes.append(f"moved values: {line.key} read in the band of {other.key}, boxes too")
    else:
        # only the texts move: the other row's cells show them, this row has no cell left
        texts = {p.col: p.text for p in line.values}
        lines[i + d] = other.with_values(
            [replace(p, text=texts.get(p.col, "")) for p in other.values]
            or [Piece(t, c) for c, t in texts.items() if t]
        )
        lines[i] = line.with_values([])
        case.notes.append(f"moved values: {line.key}'s texts in {other.key}'s cells")


def cut_row(draw: Draw, case: Case) -> None:
    lines = case.tables[APPLICATIONS]
    rows = [i for i, x in enumerate(lines) if x.key is not None and x.height == 1.0]
    i = draw(st.sampled_from(rows))
    line = lines[i]
    label = "".join(p.text for p in line.label)
    # cut between two of its lines: the first keeps the item's number (2. or （一）)
    k = draw(st.integers(min(4, len(label) - 1), max(1, len(label) - 1)))
    halves = []
    for part in (label[:k], label[k:]):
        vals = []
        for p in line.values:
            what = draw(st.sampled_from(["blank", "same", "misread"]))
            text = "" if what == "blank" or not p.text else p.text
            if what == "misread" and p.text:
                text = p.text + draw(st.sampled_from(["1", "7", ""]))
                text = text if text != p.text else str(int(p.text) + 1)
            conf = draw(st.sampled_from([1.0, 0.95, 0.7]))
            vals.append(Piece(text, p.col, conf))
        halves.append(Line((Piece(part), *vals), line.n, line.key, 0.5))
    lines[i : i + 1] = halves
    case.notes.append(
        f"cut row: {line.key} in two half bands: {[[p.text for p in h.cells] for h in halves]}"
    )


ROW_FAULTS: dict[str, Callable[[Draw, Case], None]] = {
    "merged_rows": merged_rows,
    "moved_values": moved_values,
    "cut_row": cut_row,
}
