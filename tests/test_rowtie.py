"""Rows that cannot shift (issue 10): an OCR'd row whose values the page's geometry does
not tie to its label goes to review, even where every sum holds.

The unit tests build rows by hand; the regression tests hurt real devset scans the way the
issue's scans were (tests/scan_damage.py: a stroke over a rule of table 三, a rule dropped
out, the page at 1 bit and 100 dpi) and read them through the whole pipeline: no wrong
value may go out ``ok`` or ``inferred``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.model.records import (
    CellKey,
    CellText,
    Layout,
    Origin,
    ReaderKind,
    Reason,
    Row,
    Status,
    Template,
)
from pipeline.model.taxonomy import APPLICATIONS, canonical_keys
from pipeline.recover.rows import join_detached, split_row
from pipeline.recover.ties import two_labels, two_numbers, untied
from pipeline.run import process
from pipeline.store.export import write_json

from .conftest import DEVSET, devset_score
from .promise_gen import Case, Piece, Style, Truth, build, run, silent_errors


def _row(label: str, values: list[str], y: float, h: float = 16.0, span: float = 1.0) -> Row:
    cells = [CellText(label, 0.99, Origin(1, (50.0, y, 300.0, y + h)))]
    for i, v in enumerate(values):
        x = 300.0 + 30 * i
        cells.append(CellText(v, 0.99, Origin(1, (x, y, x + 30, y + h * span))))
    return Row(tuple(cells), Origin(1, (50.0, y, 300.0 + 30 * len(values), y + h)))


def _table(*rows: Row) -> list:
    return [split_row(r) for r in rows]


def test_rows_in_their_bands_are_tied() -> None:
    rows = _table(
        _row("1.属于国家秘密", ["1", "0", "1"], 100),
        _row("2.其他法律行政法规禁止公开", ["", "", ""], 116),
        _row("3.危及“三安全一稳定”", ["2", "", "2"], 132, h=32),  # a label over two lines
    )
    assert untied(rows) == {}


def test_a_value_cell_over_two_bands_unties_both_rows() -> None:
    rows = _table(
        _row("4.保护第三方合法权益", ["0 1", "0", "1"], 100, span=2.0),
        _row("5.属于三类内部事务信息", ["0"], 116),
        _row("6.属于四类过程性信息", ["0", "0", "0"], 132),
    )
    assert set(untied(rows)) == {0, 1}


def test_two_labels_in_one_band_and_a_band_cut_short() -> None:
    merged = _table(_row("4.保护第三方合法权益5.属于三类内部事务信息", ["1", "0", "1"], 100, h=32))
    assert set(untied(merged)) == {0}
    cut = _table(
        _row("1.属于国家秘密", ["1", "0", "1"], 100),
        _row("2.其他法律行政", ["7", "", "7"], 116, h=8),
        _row("法规禁止公开", ["", "", ""], 124, h=8),
        _row("3.危及“三安全一稳定”", ["2", "", "2"], 132),
        *(_row(f"{k}.属于", ["", "", ""], 148 + 16 * (k - 4)) for k in range(4, 8)),
    )
    assert set(untied(cut)) == {0, 1, 2, 3}


@pytest.mark.parametrize(
    ("text", "two"), [("11 66", True), ("1 0", True), ("1166", False), ("12", False), ("", False)]
)
def test_two_numbers(text: str, two: bool) -> None:
    assert two_numbers(text) is two


@pytest.mark.parametrize(
    ("label", "two"),
    [
        ("（三）不予公开1.属于国家秘密", False),
        ("三、本年度办理结果（一）予以公开", False),
        ("4.保护第三方合法权益5.属于三类内部事务信息", True),
        ("（六）其他处理（七）总计", True),
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", False),
    ],
)
def test_two_labels(label: str, two: bool) -> None:
    assert two_labels(label) is two


def test_a_number_in_a_cell_over_two_rows_is_not_the_upper_rows() -> None:
    """The issue's case: （一） printed blank, （二） 66; the rule between them lost over the
    values, so one cell over both bands reads 66 and （二） shows none. Every sum holds
    with 66 in （一） and 0 inferred in （二）: without the geometry, two silent errors."""
    values = {k: 0 for k in canonical_keys(Template.T2021, Layout.THREE_ROWS)}
    for row in ("new_requests", "partially_granted", "total"):
        for col in ("natural_person", "total"):
            values[CellKey(APPLICATIONS, row, col)] = 66
    truth = Truth(Template.T2021, Layout.THREE_ROWS, values)
    style = Style(ReaderKind.OCR, True, True)
    case = Case(truth, style, build(truth, style))
    lines = case.tables[APPLICATIONS]
    i = next(i for i, x in enumerate(lines) if x.key == "granted")
    merged = [
        Piece(p.text or "66" if p.col in (0.0, 6.0) else p.text, p.col, span=2.0)
        for p in lines[i].values
    ]
    lines[i] = lines[i].with_values(merged)
    lines[i + 1] = lines[i + 1].with_values(
        [p for p in lines[i + 1].values if p.col not in (0.0, 6.0)]
    )
    cells = {c.key: c for c in run(case)}
    assert not silent_errors(case, list(cells.values()))
    for row in ("granted", "partially_granted"):
        for col in ("natural_person", "total"):
            c = cells[CellKey(APPLICATIONS, row, col)]
            assert (c.status, c.reason) == (Status.REVIEW, Reason.ROW_UNCERTAIN), (row, col, c)


# ---------------------------------------------------------------- real pages, hurt


@pytest.mark.skipif(not (DEVSET / "pdf").is_dir(), reason="no devset beside the project")
@pytest.mark.parametrize(
    ("doc", "kind", "seed"),
    [
        ("dev_002", "dropout", 2),  # before: 4 silent (a label rejoined with the next values)
        ("dev_006", "dropout", 0),  # before: 2 silent (1 read as 11, 3 as 13, sums true)
        ("dev_005", "stroke_white", 1),  # before: 2 silent (1 over 0 read as 10)
        ("dev_000", "lowres", 0),  # 1 bit, 100 dpi
    ],
)
def test_a_hurt_scan_makes_no_silent_error(tmp_path: Path, doc: str, kind: str, seed: int) -> None:
    from tests.scan_damage import damaged_pdf

    pdf = tmp_path / f"{doc}.{kind}{seed}.pdf"
    damaged_pdf(DEVSET / "pdf" / f"{doc}.scan.pdf", kind, seed, pdf)
    result = process(pdf)
    out = tmp_path / "out"
    out.mkdir()
    write_json(result, out, pdf.name[: -len(".pdf")])
    total = devset_score(out)
    assert total["silent"] == 0, total
    assert result.reader == ReaderKind.OCR


def test_rows_on_two_pages_do_not_share_bands() -> None:
    """A table over a page break: the second page's y starts again at its top."""
    first = _row("1.属于国家秘密", ["1", "0", "1"], 100)
    second = _row("2.其他法律行政法规禁止公开", ["3", "0", "3"], 104)
    moved = Row(
        tuple(CellText(c.text, c.confidence, Origin(2, c.origin.bbox)) for c in second.cells),
        Origin(2, second.origin.bbox),
    )
    assert untied(_table(first, moved)) == {}


def test_one_label_read_twice_is_one_row() -> None:
    assert not two_labels("2.没有现成信息需要另行制作2.没有现成信息需要另行制作")


def test_a_label_rejoined_from_another_band_is_not_tied() -> None:
    """A label-only row and the row of values below it, rejoined: the rule between them may
    be the one lost, and the values another row's."""
    rows = join_detached(
        _table(
            _row("二、上年结转政府信息公开申请数量", [], 100),
            _row("年度办理结果（一）予以公开", ["1", "2", "3"], 116),
        )
    )
    assert len(rows) == 1 and set(untied(rows)) == {0}
