"""The promise, as properties: a value that differs from the truth is in ``review``.

A consistent filing is drawn (tests/promise_gen.py), printed, read in one reader's style,
and hurt by one kind of reader fault at a time (and by several at once); matching and
reconciliation must then leave no wrong value outside ``review``. A fault that makes the
truth undeterminable may end in ``review``; nothing here requires the true value.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.model.numbers import is_blank
from pipeline.model.records import CellKey, Layout, ReaderKind, Status, Template
from pipeline.model.taxonomy import ACTIVE, ACTIVE_ROWS, canonical_keys
from tests.promise_faults import FAULTS, cases
from tests.promise_gen import (
    Case,
    Draw,
    Piece,
    Style,
    Truth,
    build,
    run,
    silent_errors,
    truths,
)
from tests.promise_rowfaults import ROW_FAULTS

# derandomized, so CI finds the same examples every run; sized to keep the file near 60 s
PROMISE = settings(max_examples=90, deadline=None, derandomize=True)
TEXT_SHIFT_AND_LOSS = frozenset({"shifted_row", "lost_cell"})


def assert_promise(case: Case) -> None:
    errors = silent_errors(case, run(case))
    assert not errors, f"{case!r}\nwrong and not in review:\n  " + "\n  ".join(errors)


@PROMISE
@given(cases())
def test_a_clean_reading_is_the_truth(case: Case) -> None:
    """No fault: the generator prints what the readers read; all ok where cells are printed.

    Not in a text extraction that prints 0 as blank: there an empty field may be a lost cell,
    so a blank that no identity confirms (all of table 二) is rightly sent to review.
    """
    cells = run(case)
    assert not silent_errors(case, cells)
    st = case.style
    if st.ruled and not (st.kind == ReaderKind.TEXT and st.blank_zeros):
        assert [c for c in cells if c.status != Status.OK] == []


@pytest.mark.parametrize("fault", [*FAULTS, *ROW_FAULTS])
@PROMISE
@given(data=st.data())
def test_no_fault_makes_a_silent_error(fault: str, data: st.DataObject) -> None:
    assert_promise(data.draw(cases((fault,)), label=fault))


@PROMISE
@given(data=st.data())
def test_no_mix_of_faults_makes_a_silent_error(data: st.DataObject) -> None:
    kinds = data.draw(st.sets(st.sampled_from(list(FAULTS)), min_size=2, max_size=3), "faults")
    case = data.draw(cases(tuple(sorted(kinds)), most=1))
    text = case.style.kind == ReaderKind.TEXT
    # a known gap, kept as a strict xfail in tests/test_promise_found.py: in a text
    # extraction a shifted row beside a lost cell admits a smaller wrong explanation
    assume(not (text and kinds >= TEXT_SHIFT_AND_LOSS))
    # no reader could see it: in a text extraction a row's lost first cell is an empty
    # leading field, which is where extractions print the label's merged columns, so a
    # stray in the same row reads exactly as a clean row (table 二 has no identity)
    assume(not (text and kinds >= {"extra_cell", "lost_cell"}))
    assert_promise(case)


@PROMISE
@given(data=st.data())
def test_no_row_geometry_fault_mixed_with_others_makes_a_silent_error(
    data: st.DataObject,
) -> None:
    """A rule lost or added in a ruled OCR'd table (tests/promise_rowfaults.py), with one
    other reader fault: no wrong value out of review, even where every sum holds."""
    row = data.draw(st.sampled_from(list(ROW_FAULTS)), "row fault")
    other = data.draw(st.sampled_from(list(FAULTS)), "other fault")
    assert_promise(data.draw(cases(tuple(sorted({row, other})), most=1)))


# ---------------------------------------------------------------- placement by count


def readings(slots: list[str], n: int) -> list[list[str | None]]:
    """Every way ``slots`` (no boxes) may sit under ``n`` columns, one cell off.

    All ``n`` numbers there: they are the reading. One slot too many: any one is the stray.
    One too few: a cell was lost anywhere (None, its value unknown).
    Empty slots past ``n`` at the end (padding) and at the start (the label's merged
    columns) are dropped first, as text extractions print them.
    """
    filled = [x for x in slots if not is_blank(x)]
    if len(filled) == n:  # every column has its number: the empty slots are strays
        return [filled]
    s = list(slots)
    while len(s) > n and is_blank(s[-1]):
        s.pop()
    while len(s) > n and is_blank(s[0]):
        s.pop(0)
    if len(s) == n:
        return [list(s)]
    if len(s) == n + 1:
        return [s[:j] + s[j + 1 :] for j in range(len(s))]
    if len(s) == n - 1:
        return [[*s[:j], None, *s[j:]] for j in range(n)]
    raise ValueError(f"{len(s)} slots under {n} columns")


def _value(text: str | None) -> float | None:
    if text is None:
        return None
    return 0 if is_blank(text) else float(text.replace("减", "-"))


@st.composite
def count_cases(draw: Draw) -> tuple[Case, str, list[str]]:
    """A text extraction whose table 二 row has a gap or an extra empty cell inside it."""
    truth = draw(truths())
    style = Style(ReaderKind.TEXT, draw(st.booleans()), True)
    case = Case(truth, style, build(truth, style))
    lines = case.tables[ACTIVE]
    i = draw(st.sampled_from([i for i, x in enumerate(lines) if x.key and len(x.values) >= 2]))
    vals = list(lines[i].values)
    if draw(st.booleans()):
        j = draw(st.integers(0, len(vals) - 1))
        gone = vals.pop(j)
        case.notes.append(f"gap: {lines[i].key} value #{j} {gone.text!r} lost")
    else:
        j = draw(st.integers(1, len(vals) - 1))  # inside the row: not where padding goes
        vals.insert(j, Piece("", float(j)))
        case.notes.append(f"extra empty cell: {lines[i].key} at #{j}")
    lines[i] = lines[i].with_values(vals)
    return case, lines[i].key or "", [p.text for p in vals]


@settings(max_examples=120, deadline=None, derandomize=True)
@given(count_cases())
def test_placement_by_count_with_a_gap_or_an_extra_empty_cell_is_never_firm(
    drawn: tuple[Case, str, list[str]],
) -> None:
    """A cell whose value depends on which slot is off is in review: no identity can pick."""
    case, row, slots = drawn
    cols = next(s.cols for s in ACTIVE_ROWS[case.truth.template] if s.key == row)
    options = readings(slots, len(cols))
    cells = {c.key: c for c in run(case)}
    for k, col in enumerate(cols):
        seen = {_value(o[k]) for o in options}
        c = cells[CellKey(ACTIVE, row, col)]
        if len(seen) > 1 or None in seen:
            assert c.status == Status.REVIEW, (
                f"{case!r}\nslots {slots}: {row}.{col} = {c.value} {c.status}, "
                f"though it reads as any of {sorted(seen, key=str)}"
            )
    assert not silent_errors(case, list(cells.values()))


def test_a_row_with_an_extra_empty_cell_is_not_placed_by_count() -> None:
    """规章 1, "", "", 3 under three columns (truth 1, 0, 3): not ``issued 0 ok``."""
    values = {k: 0 for k in canonical_keys(Template.T2021, Layout.THREE_ROWS)}
    for col, x in (("issued", 1), ("repealed", 0), ("in_force", 3)):
        values[CellKey(ACTIVE, "rules", col)] = x
    truth = Truth(Template.T2021, Layout.THREE_ROWS, values)
    style = Style(ReaderKind.TEXT, False, True)
    case = Case(truth, style, build(truth, style))
    lines = case.tables[ACTIVE]
    i = next(i for i, x in enumerate(lines) if x.key == "rules")
    lines[i] = lines[i].with_values([Piece(s, float(j)) for j, s in enumerate(["1", "", "", "3"])])
    cells = {c.key: c for c in run(case)}
    for col in ("issued", "in_force"):  # 0 or 1, 3 or 0: which slot is the stray decides
        c = cells[CellKey(ACTIVE, "rules", col)]
        assert c.status == Status.REVIEW, f"rules.{col} = {c.value} {c.status}"
    assert not silent_errors(case, list(cells.values()))
