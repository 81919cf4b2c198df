"""The born-digital devset, scored as ../shared/tools/score.py does: a regression guard.

Skipped where the devset is not beside the project (it is not part of the package).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.run import process
from pipeline.store.export import write_json

from .conftest import DEVSET, devset_score

pytestmark = pytest.mark.skipif(
    not (DEVSET / "pdf").is_dir(), reason="no devset beside the project"
)


@pytest.mark.parametrize(
    ("folder", "variant", "accuracy", "silent_rate", "review_rate"),
    [
        ("pdf", "digital", 0.999, 0.0, 0.0),
        ("pdf", "borderless", 0.99, 0.0, 0.0),
        ("pdf", "scan", 0.99, 0.001, 0.03),
        # borderless filings that print 0 as a blank: columns from the geometry alone
        ("borderless-blanks", "borderless", 0.999, 0.0, 0.005),
    ],
)
def test_devset(
    tmp_path: Path,
    folder: str,
    variant: str,
    accuracy: float,
    silent_rate: float,
    review_rate: float,
) -> None:
    pdfs = sorted((DEVSET / folder).glob(f"*.{variant}.pdf"))
    assert pdfs
    for pdf in pdfs:
        write_json(process(pdf), tmp_path, pdf.name[: -len(".pdf")])
    total = devset_score(tmp_path)
    assert total["silent_error_rate"] <= silent_rate, json.dumps(total)
    assert total["cell_accuracy"] >= accuracy, json.dumps(total)
    assert total["review_rate"] <= review_rate, json.dumps(total)
    assert total["template_wrong"] == 0
