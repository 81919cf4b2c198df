"""Faults the promise's properties have drawn, kept as fixed cases.

Hypothesis draws with the literal constants of every loaded project module in its pool, so
a new module elsewhere changes which examples the derandomized properties see (adding
pipeline/hardcopy made test_promise draw the case below). A case found that way is
written down here, so it stays found whatever is loaded.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pipeline.hardcopy.score import flat_cells
from pipeline.model.records import CellKey, ReaderKind
from pipeline.model.taxonomy import ACTIVE
from tests.promise_faults import cases
from tests.promise_gen import Case, Piece, Style, Truth, build, run, silent_errors
from tests.test_promise import PROMISE, TEXT_SHIFT_AND_LOSS

from .conftest import SAMPLES


def test_stray_left_of_a_blank_one_column_row() -> None:
    """Found 2026-11-21 and fixed: in an unruled PDF table with zeros blank, a stray '1'
    left of 行政许可's only (blank) column went out as its decisions, ok."""
    t = json.loads((SAMPLES / "generated" / "gen_2021_borderless.truth.json").read_text("utf-8"))
    values = {CellKey(*k): v for k, v in flat_cells(t).items()}
    truth = Truth(t["template"], t["applications_layout"], values)
    assert values[CellKey(ACTIVE, "administrative_license", "decisions")] == 0
    style = Style(ReaderKind.PDF, blank_zeros=True, ruled=False)
    case = Case(truth, style, build(truth, style))
    lines = case.tables[ACTIVE]
    i = next(i for i, ln in enumerate(lines) if ln.key == "administrative_license")
    lines[i] = lines[i].with_values([Piece("1", -1.2), *lines[i].values])
    assert not silent_errors(case, run(case))


@pytest.mark.xfail(
    strict=True,
    reason="known gap (2026-11-21): in a text extraction, a row shifted by one column beside "
    "a row with a lost cell is explained by the identities as one misread plus one lost "
    "value, which is fewer changes than the truth; the shifted row's other cells go out ok",
)
@PROMISE
@given(data=st.data())
def test_text_shift_beside_a_lost_cell(data: st.DataObject) -> None:
    case = data.draw(cases(tuple(sorted(TEXT_SHIFT_AND_LOSS)), most=1))
    assume(case.style.kind == ReaderKind.TEXT)
    assert not silent_errors(case, run(case))
