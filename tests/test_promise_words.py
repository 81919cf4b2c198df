"""The promise for a scanned borderless table read from its words (issue 10, item 5).

The scan reader builds such a table's rows by the text-layer reader's borderless logic
from OCR'd words, and a row whose every word read well tells its blanks (``Row.aligned``):
no ink stood there. The reader never drops ink it cannot read: it keeps it as an
unreadable word ("?" at confidence 0), and then the row tells no blanks. So here a cell
is never lost (``lost_cell``); it is unread (``unread_word``), and the other faults are
drawn as for any reader.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model.records import ReaderKind, Status
from pipeline.model.taxonomy import ACTIVE, APPLICATIONS, REVIEW
from tests.promise_faults import FAULTS, ONCE
from tests.promise_gen import Case, Draw, Style, build, run, silent_errors, truths

PROMISE = settings(max_examples=60, deadline=None, derandomize=True)


def unread_word(draw: Draw, case: Case) -> None:
    """A value's ink recognised as nothing: kept as "?" at confidence 0."""
    targets = [
        (t, i)
        for t in (ACTIVE, APPLICATIONS, REVIEW)
        for i, line in enumerate(case.tables[t])
        if line.key is not None and any(p.text for p in line.values)
    ]
    if not targets:
        case.notes.append("unread word: nothing to hurt")
        return
    t, i = draw(st.sampled_from(targets))
    line = case.tables[t][i]
    vals = list(line.values)
    j = draw(st.sampled_from([j for j, p in enumerate(vals) if p.text]))
    case.notes.append(f"unread word: {t}.{line.key} value #{j} {vals[j].text!r}")
    vals[j] = replace(vals[j], text="?", conf=0.0)
    case.tables[t][i] = line.with_values(vals)


WORD_FAULTS = {**{k: f for k, f in FAULTS.items() if k != "lost_cell"}, "unread_word": unread_word}


@st.composite
def word_cases(draw: Draw, kinds: tuple[str, ...] = (), most: int = 2) -> Case:
    truth = draw(truths())
    style = Style(ReaderKind.OCR, draw(st.booleans()), ruled=False, words=True)
    case = Case(truth, style, build(truth, style))
    case.notes.append("read from its words")
    for f in kinds:
        for _ in range(draw(st.integers(1, ONCE.get(f, most)))):
            WORD_FAULTS[f](draw, case)
    return case


def _assert_promise(case: Case) -> None:
    errors = silent_errors(case, run(case))
    assert not errors, f"{case!r}\nwrong and not in review:\n  " + "\n  ".join(errors)


@PROMISE
@given(word_cases())
def test_a_clean_reading_from_words_is_the_truth_and_sure(case: Case) -> None:
    """Blanks told by the words are printed blanks: the reading is as sure as the same
    table's text layer (no cell in review that a PDF reading has ok)."""
    cells = run(case)
    assert not silent_errors(case, cells)
    pdf = Case(case.truth, replace(case.style, kind=ReaderKind.PDF, words=False), case.tables)
    sure = {c.key for c in run(pdf) if c.status == Status.OK}
    assert [c.key for c in cells if c.status != Status.OK and c.key in sure] == []


@PROMISE
@given(data=st.data())
def test_no_fault_of_a_reading_from_words_makes_a_silent_error(data: st.DataObject) -> None:
    fault = data.draw(st.sampled_from(sorted(WORD_FAULTS)), "fault")
    _assert_promise(data.draw(word_cases((fault,)), label=fault))


@PROMISE
@given(data=st.data())
def test_no_mix_of_faults_of_a_reading_from_words_makes_a_silent_error(
    data: st.DataObject,
) -> None:
    kinds = data.draw(st.sets(st.sampled_from(sorted(WORD_FAULTS)), min_size=2, max_size=3))
    _assert_promise(data.draw(word_cases(tuple(sorted(kinds)), most=1)))


def test_an_unread_word_keeps_its_row_from_telling_blanks() -> None:
    """The row with an unread value is not aligned: its empty columns are unknown."""
    from pipeline.model.records import CellText, Origin, Row
    from tests.promise_gen import render

    truth_style = Style(ReaderKind.OCR, True, ruled=False, words=True)
    rows = render(
        APPLICATIONS,
        [
            build_line(("标签", None, 1.0), ("5", 0.0, 1.0)),
            build_line(("标签", None, 1.0), ("?", 0.0, 0.0)),
        ],
        truth_style,
    )
    assert [r.aligned for r in rows] == [True, False]
    assert isinstance(rows[0], Row) and isinstance(rows[0].cells[0], CellText)
    assert rows[0].cells[1].origin != Origin()


def build_line(*pieces: tuple[str, float | None, float]) -> object:
    from tests.promise_gen import Line, Piece

    return Line(tuple(Piece(t, c, conf) for t, c, conf in pieces), 7, "new_requests")
