"""The second opinion: camelot's reading of ruled cells sends disagreeing cells to review.

The comparison stage is tested on recorded camelot cells (no camelot needed); the real
camelot runs only where the extra is installed (``pip install -e '.[camelot]'``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pymupdf
import pytest

from pipeline.model.config import InvalidSettings, Settings
from pipeline.model.records import Cell, CellKey, CellText, Origin, Reason, Status
from pipeline.recover.second_opinion import counterpart, disagreements, second_opinion

from .conftest import DEVSET

HAS_CAMELOT = importlib.util.find_spec("camelot") is not None
needs_camelot = pytest.mark.skipif(not HAS_CAMELOT, reason="the camelot extra is not installed")


def _cell(col: str, value: int | None, box: tuple[float, float, float, float], **kw) -> Cell:
    key = CellKey("applications", "granted", col)
    return Cell(key, value, kw.pop("status", Status.OK), 1.0, Origin(1, box), **kw)


def _other(text: str, box: tuple[float, float, float, float], page: int = 1) -> CellText:
    return CellText(text, 1.0, Origin(page, box))


# camelot's cells as recorded from dev_000 page 1 (gongkai's convention), with one changed
RECORDED = [
    _other("15\n", (275.22, 653.41, 305.45, 667.57)),
    _other("7\n", (305.45, 653.41, 334.99, 667.57)),
    _other("", (334.99, 653.41, 364.53, 667.57)),
    _other("9\n", (364.53, 653.41, 394.07, 667.57)),
]


def test_agreeing_cells_pass_and_disagreeing_go_to_review() -> None:
    cells = [
        _cell("natural_person", 15, (275.3, 653.45, 305.5, 667.65)),
        _cell("commercial", 7, (305.5, 653.45, 335.0, 667.65)),
        _cell("research", 0, (335.0, 653.45, 364.5, 667.65)),  # blank to camelot: 0
        _cell("social_welfare", 0, (364.5, 653.45, 394.1, 667.65)),  # camelot reads 9
        _cell("legal_service", 3, (394.1, 653.45, 423.6, 667.65)),  # no counterpart
    ]
    out = second_opinion(cells, RECORDED)
    assert [c.status for c in out] == [Status.OK] * 3 + [Status.REVIEW, Status.OK]
    flagged = out[3]
    assert flagged.reason == Reason.SECOND_OPINION_DISAGREES
    assert flagged.value == 0 and flagged.confidence == 0.5  # the value stays as read
    assert out[0] is cells[0] and cells[3].status == Status.OK  # nothing mutated
    (d,) = disagreements(cells, RECORDED)
    assert d.cell is cells[3] and d.value == 9


def test_not_judged_review_unknown_other_page_and_no_box() -> None:
    box = (364.5, 653.45, 394.1, 667.65)
    cells = [
        _cell("social_welfare", 0, box, status=Status.REVIEW, reason=Reason.LOW_CONFIDENCE),
        _cell("social_welfare", None, box),
        replace(_cell("social_welfare", 0, box), origin=Origin(2, box)),
        replace(_cell("social_welfare", 0, box), origin=Origin(1, None)),
    ]
    assert second_opinion(cells, RECORDED) == tuple(cells)


def test_merged_cell_joins_the_grid_cells_inside_it() -> None:
    """A cell merged across columns is three grid cells to camelot, the text in one."""
    others = [
        _other("", (228.67, 441.7, 314.09, 455.8)),
        _other("12\n", (314.09, 441.7, 399.51, 455.8)),
        _other("", (399.51, 441.7, 485.65, 455.8)),
    ]
    assert counterpart((228.8, 441.75, 485.55, 455.85), others) == "12"
    cells = [_cell("total", 12, (228.8, 441.75, 485.55, 455.85))]
    assert second_opinion(cells, others) == tuple(cells)


def test_text_that_is_not_a_number_disagrees() -> None:
    cells = [_cell("natural_person", 15, (275.3, 653.45, 305.5, 667.65))]
    others = [_other("自然人", (275.22, 653.41, 305.45, 667.57))]
    assert second_opinion(cells, others)[0].status == Status.REVIEW


def test_setting() -> None:
    assert Settings.resolve({"second_opinion": "camelot"}).second_opinion == "camelot"
    with pytest.raises(InvalidSettings):
        Settings(second_opinion="tabula")


def _ruled_pdf(path: Path) -> list[tuple[str, pymupdf.Rect]]:
    """A one-page PDF with a 3×2 ruled table of numbers; the cells as drawn."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    cells = []
    for i, row in enumerate((("1", "22"), ("333", "4"), ("", "56"))):
        for j, text in enumerate(row):
            r = pymupdf.Rect(100 + 80 * j, 500 + 20 * i, 180 + 80 * j, 520 + 20 * i)
            page.draw_rect(r, color=(0, 0, 0), width=0.8)
            if text:
                page.insert_text((r.x0 + 30, r.y1 - 6), text, fontsize=10)
            cells.append((text, r))
    doc.save(path)
    return cells


@needs_camelot
def test_real_camelot_reads_cells_in_gongkai_coordinates(tmp_path: Path) -> None:
    from pipeline.read.pdf.camelot_lattice import lattice_cells

    pdf = tmp_path / "t.pdf"
    drawn = _ruled_pdf(pdf)
    got = lattice_cells(pdf, [1])
    assert len(got) == len(drawn)
    for text, rect in drawn:
        near = [
            c
            for c in got
            if c.origin.bbox
            and max(abs(a - b) for a, b in zip(c.origin.bbox, rect, strict=True)) < 2
        ]
        assert len(near) == 1 and near[0].text.strip() == text, (text, rect, got)
        assert near[0].origin.page == 1


@needs_camelot
@pytest.mark.skipif(not (DEVSET / "pdf").is_dir(), reason="no devset beside the project")
def test_real_camelot_catches_a_wrong_read_on_a_devset_filing() -> None:
    """gongkai's read is right on dev_000; a value made wrong is caught, the rest pass."""
    from pipeline.read.pdf.camelot_lattice import lattice_cells
    from pipeline.run import process

    pdf = DEVSET / "pdf" / "dev_000.digital.pdf"
    result = process(pdf, settings=Settings(second_opinion="camelot"))
    assert result.cells and not any(c.status == Status.REVIEW for c in result.cells)
    assert dict(result.timings).get("second_opinion") is not None
    cells = list(result.cells)
    k = next(i for i, c in enumerate(cells) if c.key.table == "applications" and c.value)
    cells[k] = replace(cells[k], value=cells[k].value + 1)  # a misread gongkai would miss
    others = lattice_cells(pdf, {c.origin.page for c in cells if c.origin.page})
    out = second_opinion(cells, others)
    assert [i for i, c in enumerate(out) if c.status == Status.REVIEW] == [k]


def test_cli_refuses_the_flag_without_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from pipeline import cli

    monkeypatch.setattr(cli, "camelot_available", lambda: False)
    pdf = tmp_path / "x.pdf"
    _ruled_pdf(pdf)
    args = ["extract", str(pdf), "--out", str(tmp_path / "o"), "--second-opinion", "camelot"]
    r = CliRunner().invoke(cli.main, args)
    assert r.exit_code == 2 and "gongkai[camelot]" in r.output
