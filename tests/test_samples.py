"""The generated sample PDFs: their truth is consistent and the pipeline recovers all of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.hardcopy.score import flat_cells
from pipeline.model.records import CellKey, Identification, Number, Observed
from pipeline.recover.reconcile import reconcile
from pipeline.run import process

from .conftest import SAMPLES

GENERATED = sorted((SAMPLES / "generated").glob("*.pdf"))


def _truth(pdf: Path) -> dict:
    return json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))


def test_there_are_generated_samples() -> None:
    assert len(GENERATED) >= 2


@pytest.mark.parametrize("pdf", GENERATED, ids=lambda p: p.name)
def test_truth_satisfies_the_identities(pdf: Path) -> None:
    truth = _truth(pdf)
    ident = Identification(truth["template"], truth["applications_layout"], None, None)
    observed = {
        CellKey(*k): Observed(CellKey(*k), Number(v, 1.0)) for k, v in flat_cells(truth).items()
    }
    _, checks = reconcile(ident, observed)
    assert checks and all(c.holds for c in checks)


@pytest.mark.parametrize("pdf", GENERATED, ids=lambda p: p.name)
def test_pipeline_recovers_every_cell(pdf: Path) -> None:
    truth = _truth(pdf)
    result = process(pdf)
    assert result.status == "ok", result.error
    assert result.identification is not None
    assert (result.identification.organ, result.identification.year) == (
        truth["organ"],
        truth["year"],
    )
    got = {(c.key.table, c.key.row, c.key.col): c for c in result.cells}
    want = flat_cells(truth)
    assert set(got) == set(want)
    wrong = {k: (got[k].value, v) for k, v in want.items() if got[k].value != pytest.approx(v)}
    assert not wrong
    assert all(c.status == "ok" and c.origin.page and c.origin.bbox for c in result.cells)
