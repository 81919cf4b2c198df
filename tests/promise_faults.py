"""Reader faults for the promise properties, and the strategy that draws a hurt case.

Each fault edits a :class:`Case`'s printed lines the way one reader fault would, and
records what it did. A fault is limited to where some reader could notice it: the limits
are documented where they apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hypothesis import strategies as st

from pipeline.model.records import ReaderKind
from pipeline.model.taxonomy import ACTIVE, APPLICATIONS, REVIEW
from tests.promise_gen import HEADER_APP, Case, Draw, Line, Piece, Style, build, truths
from tests.promise_rowfaults import ROW_FAULTS

# ---------------------------------------------------------------- the faults

_GEOMETRY_KINDS = (ReaderKind.PDF, ReaderKind.OCR)
_JUNK = "口□?#囗■"


def _targets(
    case: Case, tables: tuple[str, ...], ok: Callable[[Line], bool] = lambda line: True
) -> list[tuple[str, int]]:
    return [
        (t, i)
        for t in tables
        for i, line in enumerate(case.tables[t])
        if line.key is not None and ok(line)
    ]


def _pick(draw: Draw, case: Case, targets: list[tuple[str, int]], fault: str) -> tuple[str, int]:
    """A target of the fault; (\"\", -1) when the filing has none (e.g. all zeros as blanks)."""
    if not targets:
        case.notes.append(f"{fault}: nothing to hurt")
        return "", -1
    return draw(st.sampled_from(targets))  # type: ignore[no-any-return]


def _name(table: str, line: Line) -> str:
    return f"{table}.{line.key}"


def _texts(pieces: tuple[Piece, ...] | list[Piece]) -> list[str]:
    return [p.text for p in pieces]


def _misread(draw: Draw, text: str) -> str:
    """One digit of ``text`` changed (never to a leading zero): a different number."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = draw(st.sampled_from(digits))
    lead = i == digits[0] and len(digits) > 1
    new = draw(
        st.sampled_from([d for d in "0123456789" if d != text[i] and not (lead and d == "0")])
    )
    return text[:i] + new + text[i + 1 :]


def lost_cell(draw: Draw, case: Case) -> None:
    """A value cell the reader did not see: anywhere in the row, or the row's first cells."""
    targets = _targets(case, (ACTIVE, APPLICATIONS, REVIEW), lambda x: bool(x.values))
    t, i = _pick(draw, case, targets, "lost")
    if i < 0:
        return
    line = case.tables[t][i]
    vals = list(line.values)
    if draw(st.booleans()):
        j = draw(st.integers(0, len(vals) - 1))
        gone = [vals.pop(j)]
        what = f"value #{j}"
    else:
        k = draw(st.integers(1, min(3, len(vals))))
        gone, vals = vals[:k], vals[k:]
        what = f"first {k} value(s)"
    case.tables[t][i] = line.with_values(vals)
    case.notes.append(f"lost: {_name(t, line)} {what} {_texts(gone)}")


def _misread_cell(draw: Draw, case: Case, tables: tuple[str, ...], conf: float, kind: str) -> None:
    targets = _targets(case, tables, lambda x: any(p.text for p in x.values))
    t, i = _pick(draw, case, targets, kind)
    if i < 0:
        return
    line = case.tables[t][i]
    vals = list(line.values)
    j = draw(st.sampled_from([j for j, p in enumerate(vals) if p.text]))
    text = _misread(draw, vals[j].text)
    case.notes.append(f"{kind}: {_name(t, line)} value #{j} {vals[j].text!r} as {text!r} @ {conf}")
    vals[j] = replace(vals[j], text=text, conf=conf)
    case.tables[t][i] = line.with_values(vals)


def doubtful_misread(draw: Draw, case: Case) -> None:
    """A digit misread at a confidence between 0.5 and 0.9: the identities may judge it."""
    conf = draw(st.floats(0.5, 0.9, exclude_max=True))
    _misread_cell(draw, case, (ACTIVE, APPLICATIONS, REVIEW), conf, "doubtful misread")


def confident_misread(draw: Draw, case: Case) -> None:
    """A digit misread at confidence 1.0 or 0.95, in a table with identities.

    Table 二 has none: a confident misread there is invisible to any reader of the page.
    """
    conf = draw(st.sampled_from([1.0, 0.95]))
    _misread_cell(draw, case, (APPLICATIONS, REVIEW), conf, "confident misread")


# what a recogniser makes of a digit under a pen stroke or a smudge: none reads as a number
_GARBLES = ("中", "十", "X", "G", "D", "一一", "一6", "1一", "中0", "十一口")


def struck_value(draw: Draw, case: Case) -> None:
    """A value cell read as a short garble at low confidence (a digit under a pen stroke:
    "中", "一6"): an unreadable value, or, three characters long, text that may pass for
    the end of the label (then the row shows none of its values)."""
    targets = _targets(case, (ACTIVE, APPLICATIONS, REVIEW), lambda x: bool(x.values))
    t, i = _pick(draw, case, targets, "struck")
    if i < 0:
        return
    line = case.tables[t][i]
    vals = list(line.values)
    j = draw(st.integers(0, len(vals) - 1))
    text = draw(st.sampled_from(_GARBLES))
    conf = draw(st.floats(0.0, 0.89))
    case.notes.append(f"struck: {_name(t, line)} value #{j} {vals[j].text!r} as {text!r} @ {conf}")
    vals[j] = replace(vals[j], text=text, conf=conf)
    case.tables[t][i] = line.with_values(vals)


def extra_cell(draw: Draw, case: Case) -> None:
    """One cell too many in a row: a stray number or an empty cell.

    With boxes, the stray stands under a column that holds a number, or beyond the table's
    edge: under an empty column it would be indistinguishable from a printed value. In a
    text extraction the stray stands between two values: at a row's start or end it sits
    where real extractions print empty fields anyway (the label's merged columns, the
    padding of every row; samples/00[034]), so no reader can tell it from a real cell.
    """
    t, i = draw(st.sampled_from(_targets(case, (ACTIVE, APPLICATIONS, REVIEW))))
    line = case.tables[t][i]
    vals = list(line.values)
    text = draw(st.just("") | st.integers(0, 99).map(str))
    if case.style.kind == ReaderKind.TEXT:
        inner = [j for j in range(1, len(vals)) if vals[j - 1].text and vals[j].text]
        if not inner:
            case.notes.append(f"extra cell: {_name(t, line)} has no two values: nothing to hurt")
            return
        j = draw(st.sampled_from(inner))
        col = float(j)  # the text reader keeps the order, not the position
    else:
        full = [j for j, p in enumerate(vals) if p.text]
        where = draw(st.sampled_from(["left", "right", *(["under"] if full else [])]))
        if where == "under":
            j = draw(st.sampled_from(full))
            col = vals[j].col + draw(st.sampled_from([-0.2, 0.2]))  # type: ignore[operator]
            j += col > vals[j].col  # type: ignore[operator]
        else:
            j, col = (0, -1.2) if where == "left" else (len(vals), line.n + 0.2)
    vals.insert(j, Piece(text, col))
    case.tables[t][i] = line.with_values(vals)
    case.notes.append(f"extra cell: {_name(t, line)} {text!r} at #{j} -> {_texts(vals)}")


def shifted_row(draw: Draw, case: Case) -> None:
    """A row's values one column left or right, or into the row above or below.

    Only in table 三: there a shifted row always breaks an identity; in table 二 (no
    identities) or table 四 (one per group) a shift can look like a correct reading.
    """
    targets = _targets(case, (APPLICATIONS,), lambda x: bool(x.values))
    t, i = _pick(draw, case, targets, "shifted")
    if i < 0:
        return
    lines = case.tables[t]
    line = lines[i]
    vals = list(line.values)
    how = draw(st.sampled_from(["left", "right", "up", "down"]))
    if how in ("up", "down"):
        k = i - 1 if how == "up" else i + 1
        boxed = case.style.kind != ReaderKind.TEXT
        if (t, k) not in _targets(case, (APPLICATIONS,)) or (
            boxed and not any(p.text for p in lines[k].values)
        ):
            # with boxes, values moved onto a row that shows none sit where that row's
            # own values would: a different, equally consistent filing, not a misreading
            how = "left" if how == "up" else "right"
        else:
            other = list(lines[k].values)
            lines[k] = lines[k].with_values(other + vals if how == "up" else vals + other)
            lines[i] = line.with_values([])
            case.notes.append(f"shifted: {_name(t, line)} values {how} into {lines[k].key}")
            return
    d = -1.0 if how == "left" else 1.0
    if case.style.kind == ReaderKind.TEXT:
        if how == "left":
            moved = [replace(p, col=p.col - 1) for p in vals[1:]] + [Piece("", 6.0)]  # type: ignore[operator]
        else:
            moved = [Piece("", 0.0)] + [replace(p, col=p.col + 1) for p in vals[:-1]]  # type: ignore[operator]
    else:
        moved = [replace(p, col=p.col + d) for p in vals]  # type: ignore[operator]
    lines[i] = line.with_values(moved)
    case.notes.append(f"shifted: {_name(t, line)} {how}: {_texts(vals)} -> {_texts(moved)}")


def garbled_label(draw: Draw, case: Case) -> None:
    """Characters of a row label replaced by junk (a bad font map, a smudge)."""
    t, i = draw(st.sampled_from(_targets(case, (ACTIVE, APPLICATIONS), lambda x: bool(x.label))))
    line = case.tables[t][i]
    label = line.label[0].text
    chars = list(label)
    k = draw(st.integers(1, max(1, len(chars) // 2)))
    for j in draw(st.lists(st.integers(0, len(chars) - 1), min_size=k, max_size=k, unique=True)):
        chars[j] = draw(st.sampled_from(_JUNK))
    garbled = "".join(chars)
    case.tables[t][i] = replace(line, cells=(replace(line.label[0], text=garbled), *line.values))
    case.notes.append(f"garbled label: {_name(t, line)} {label!r} -> {garbled!r}")


def header_row(draw: Draw, case: Case) -> None:
    """A header line read as a row: table 三's column heads (…其他 总计) repeated after a
    page break, with a stray number or not; or a page number among table 四's numbers."""
    if draw(st.booleans()):
        lines = case.tables[APPLICATIONS]
        first = next(i for i, x in enumerate(lines) if x.key is not None)
        at = draw(st.integers(first, len(lines)))
        start = draw(st.integers(0, 6))
        heads = tuple(Piece(p.text) for p in HEADER_APP[start:])
        stray = draw(st.lists(st.integers(1, 40).map(str), max_size=2))
        cols = [float(6 - len(stray) + 1 + j) for j in range(len(stray))]
        extra = tuple(Piece(s, c) for s, c in zip(stray, cols, strict=True))
        lines.insert(at, Line(heads + extra, 7))
        case.notes.append(f"header row: {_texts(heads + extra)} at line {at} of table 三")
    else:
        lines = case.tables[REVIEW]
        at = draw(st.integers(len(lines) - 1, len(lines)))
        page = str(draw(st.integers(1, 40)))
        lines.insert(at, Line((Piece(page, 16.0),), 15))
        case.notes.append(f"header row: page number {page!r} at line {at} of table 四")


Fault = Callable[[Draw, Case], None]
FAULTS: dict[str, Fault] = {
    "lost_cell": lost_cell,
    "doubtful_misread": doubtful_misread,
    "confident_misread": confident_misread,
    "extra_cell": extra_cell,
    "shifted_row": shifted_row,
    "garbled_label": garbled_label,
    "header_row": header_row,
    "struck_value": struck_value,
}
# and the faults of an OCR'd table's geometry (tests/promise_rowfaults.py): drawn by cases()
ALL_FAULTS: dict[str, Fault] = {**FAULTS, **ROW_FAULTS}
# the readers a fault can happen in: a PDF text layer does not lose a cell (an empty column
# there is a printed blank), so a lost cell is a text extraction's or an OCR's
READERS: dict[str, tuple[ReaderKind, ...]] = {
    "lost_cell": (ReaderKind.TEXT, ReaderKind.OCR),
    # a read with a confidence below firm is a recogniser's
    "struck_value": (ReaderKind.OCR,),
    # a grid found from ink: only an OCR reading has its rows' bands wrong
    **{k: (ReaderKind.OCR,) for k in ROW_FAULTS},
}
# faults drawn once per case: two rows shifted alike keep every sum true and, in a text
# extraction, leave nothing else to see
ONCE = {"shifted_row": 1, **dict.fromkeys(ROW_FAULTS, 1)}


@st.composite
def cases(draw: Draw, kinds: tuple[str, ...] = (), most: int = 2) -> Case:
    """A consistent filing, printed and read in some style, with 1–``most`` faults per kind."""
    truth = draw(truths())
    readers = [k for k in ReaderKind if all(k in READERS.get(f, tuple(ReaderKind)) for f in kinds)]
    kind = draw(st.sampled_from(readers))
    # a rule lost or added (tests/promise_rowfaults.py) is a ruled table's
    ruled = kind == ReaderKind.TEXT or any(f in ROW_FAULTS for f in kinds) or draw(st.booleans())
    blank_zeros = draw(st.booleans())
    if "confident_misread" in kinds and kind == ReaderKind.OCR and not ruled:
        # OCR without rules cannot tell a printed blank from a missed cell: with zeros
        # printed blank the cells around a confident misread are all unknown, and then
        # no reader could tell the misread from the truth
        blank_zeros = False
    style = Style(kind, blank_zeros, ruled)
    case = Case(truth, style, build(truth, style))
    for f in kinds:
        for _ in range(draw(st.integers(1, ONCE.get(f, most)))):
            ALL_FAULTS[f](draw, case)
    return case
