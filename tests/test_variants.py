"""The hard-copy generator: deterministic, image-only, really rotated, screenshots without the
table's text (read by OCR where they lie); its scoring agrees with the devset's score.py; the
hard copies' silent errors.

``pipeline.hardcopy`` is imported inside the tests, and this file sorts after the Hypothesis
tests: Hypothesis draws with the literal constants of every loaded project module, so
loading the generator first would change which examples the derandomized properties of
test_promise.py and test_store_migrate.py see (what it drew then is in test_promise_found.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pymupdf
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.model.records import DocResult, Reason, Status
from pipeline.model.taxonomy import is_amount
from pipeline.run import process
from pipeline.store.export import write_json

from .conftest import DEVSET, SAMPLES

if TYPE_CHECKING:
    from pipeline.hardcopy import HardCopy

VARIANTS = (
    "rotated",
    "skewed",
    "photo",
    "onebit",
    "lowres",
    "marked",
    "borderless_scan",
    "screenshot",
)
SPLIT = SAMPLES / "generated" / "gen_2021_split.pdf"
BORDERLESS = SAMPLES / "generated" / "gen_2021_borderless.pdf"
SCORE_PY = DEVSET.parent / "tools" / "score.py"
HARDCOPIES = sorted((SAMPLES / "hardcopy").glob("*.pdf"))


def _source(v: str) -> Path:
    return BORDERLESS if v == "borderless_scan" else SPLIT


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HardCopy]:
    from pipeline.hardcopy import make

    d = tmp_path_factory.mktemp("hardcopy")
    return {v: make(_source(v), v, 3, d / f"{v}.pdf") for v in VARIANTS}


def test_the_variants_are_the_enum() -> None:
    from pipeline.hardcopy import Variant

    assert tuple(v.value for v in Variant) == VARIANTS


@pytest.mark.parametrize("v", VARIANTS)
def test_same_seed_same_bytes(v: str, made: dict[str, HardCopy], tmp_path: Path) -> None:
    from pipeline.hardcopy import make

    again = make(_source(v), v, 3, tmp_path / "again.pdf")
    assert again.path.read_bytes() == made[v].path.read_bytes()


def test_another_seed_another_copy(made: dict[str, HardCopy], tmp_path: Path) -> None:
    from pipeline.hardcopy import make

    other = make(SPLIT, "skewed", 4, tmp_path / "other.pdf")
    assert other.path.read_bytes() != made["skewed"].path.read_bytes()


@pytest.mark.parametrize("v", [v for v in VARIANTS if v != "screenshot"])
def test_image_only_with_the_source_pages(v: str, made: dict[str, HardCopy]) -> None:
    with pymupdf.open(made[v].path) as doc, pymupdf.open(_source(v)) as src:
        assert len(doc) == len(src) == made[v].pages
        for page in doc:
            assert page.get_text().strip() == ""
            assert len(page.get_images()) == 1
            assert page.get_pixmap(dpi=20).width > 0  # it renders


def _page_image(doc: pymupdf.Document, page: pymupdf.Page) -> np.ndarray:
    data = doc.extract_image(page.get_images()[0][0])["image"]
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


def test_rotated_pages_are_turned(made: dict[str, HardCopy]) -> None:
    from pipeline.hardcopy.pages import render

    hc = made["rotated"]
    assert any(hc.rotations) and all(a in (0, 90, 180, 270) for a in hc.rotations)
    with pymupdf.open(hc.path) as doc, pymupdf.open(SPLIT) as src:
        for angle, page, upright in zip(hc.rotations, doc, src, strict=True):
            assert (page.rect.width > page.rect.height) == (angle in (90, 270))
            img = _page_image(doc, page)
            back = np.rot90(img, k=-angle // 90)
            want = render(upright, 200, gray=True)
            assert back.shape == want.shape
            # turned back it is the page; as it lies, it is not
            assert np.abs(back.astype(int) - want).mean() < 6
            if angle == 180:
                assert np.abs(img.astype(int) - want).mean() > 6


def test_skewed_pages_lean(made: dict[str, HardCopy]) -> None:
    degrees = [float(n.split(": ")[1].rstrip("°")) for n in made["skewed"].notes]
    assert degrees and all(3.5 <= abs(d) <= 8.0 for d in degrees)


def test_screenshot_keeps_the_prose_not_the_table(made: dict[str, HardCopy]) -> None:
    with pymupdf.open(made["screenshot"].path) as doc, pymupdf.open(SPLIT) as src:
        assert len(doc) == len(src)
        text = "".join(p.get_text() for p in doc)
        assert "收到和处理政府信息公开申请情况" in text and "五、存在的主要问题" in text
        for label in ("予以公开", "本年新收", "行政许可", "未经复议直接起诉"):
            assert label in "".join(p.get_text() for p in src)
            assert label not in text
        assert all(p.get_images() for p in doc)


@pytest.mark.slow
def test_screenshot_tables_are_read_by_ocr_in_place(made: dict[str, HardCopy]) -> None:
    """The tables pasted as images are read by OCR (tests/test_screenshot.py), the prose
    from the text layer: every cell, none wrong out of review."""
    from pipeline.hardcopy.score import score, truth_for
    from pipeline.read.route import read

    hc = made["screenshot"]
    reading = read(hc.path)
    assert reading.kind == "ocr" and sum("read by OCR" in n for n in reading.notes) == hc.pages
    assert "render" in dict(reading.timings) and "orient" not in dict(reading.timings)
    s = score(process(hc.path), truth_for(SPLIT) or {})
    assert s.silent == 0 and s.missing == 0, [(w.row, w.col, w.truth, w.value) for w in s.errors]
    assert s.correct >= 0.99 * s.cells and s.review_cells <= 0.02 * s.cells


def test_marked_has_seal_and_highlighter(made: dict[str, HardCopy]) -> None:
    from pipeline.hardcopy.pages import render

    with pymupdf.open(made["marked"].path) as doc:
        rgb = render(doc[0], 72).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    assert ((r > 150) & (g < 110) & (b < 110)).sum() > 50  # the red seal
    assert ((r > 200) & (g > 190) & (b < 150)).sum() > 200  # the yellow band


def test_variant_names() -> None:
    from pipeline.hardcopy.bench import names

    assert names(None)[-1] == "scan" and set(names("all")) >= set(VARIANTS)
    assert names("photo, onebit") == ["photo", "onebit"]
    with pytest.raises(ValueError, match="unknown"):
        names("fax")
    r = CliRunner().invoke(main, ["bench", "--variants", "fax"])
    assert r.exit_code == 2 and "unknown variant" in r.output


def test_truth_travels_along() -> None:
    from pipeline.hardcopy.score import flat_cells, truth_for

    for pdf in HARDCOPIES:
        truth = truth_for(pdf)
        assert truth is not None and flat_cells(truth)
        src = SAMPLES / "generated" / f"{pdf.name.split('.')[0]}.truth.json"
        assert truth == json.loads(src.read_text(encoding="utf-8"))


@pytest.mark.skipif(not (SCORE_PY.is_file() and DEVSET.is_dir()), reason="no devset here")
def test_scoring_agrees_with_score_py(tmp_path: Path) -> None:
    from pipeline.hardcopy.score import score, truth_for

    pdf = DEVSET / "pdf" / "dev_000.digital.pdf"
    result = process(pdf)
    cells = list(result.cells)
    # one of each outcome: wrong and ok (silent), wrong under review (flagged), missing
    cells[0] = replace(cells[0], value=(cells[0].value or 0) + 1)
    cells[1] = replace(
        cells[1],
        value=(cells[1].value or 0) + 1,
        status=Status.REVIEW,
        reason=Reason.LOW_CONFIDENCE,
    )
    cells[2] = replace(cells[2], status=Status.REVIEW, reason=Reason.LOW_CONFIDENCE)
    del cells[3]
    result = replace(result, cells=tuple(cells))
    out = tmp_path / "out"
    out.mkdir()
    write_json(result, out, "dev_000.mutated")
    run = subprocess.run(
        [sys.executable, str(SCORE_PY), str(out), "--truth", str(DEVSET / "truth"), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(run.stdout)
    ours = score(result, truth_for(pdf, DEVSET / "truth") or {})
    for k in ("cells", "correct", "flagged", "silent", "missing", "review_cells", "template_wrong"):
        assert getattr(ours, k) == theirs[k], k
    assert ours.silent == 2 and ours.flagged == 1


# measured 2026-11-21 on samples/hardcopy (seed 10), score.py's count (missing cells included);
# the fix of each flips its test (strict xfail)
_SILENT_TODAY: dict[str, str] = {}
# fixed since: photo (the skew search crashed on ink at the page's edge), lowres's count read
# as a fraction ('1.98' is no reading in a count), the marked dev_006 seal (rows tied to
# their labels by geometry), borderless_scan (its rows read from the OCR'd words by the
# text layer's borderless logic, issue 10 item 5)


@cache
def _extracted(pdf: Path) -> DocResult:
    return process(pdf)


@pytest.mark.slow
@pytest.mark.parametrize("pdf", HARDCOPIES, ids=lambda p: p.name)
def test_no_silent_errors_on_hard_copies(pdf: Path, request: pytest.FixtureRequest) -> None:
    variant = pdf.name.split(".")[1]
    if variant in _SILENT_TODAY:
        request.applymarker(
            pytest.mark.xfail(strict=True, reason=f"issue 10: {_SILENT_TODAY[variant]}")
        )
    from pipeline.hardcopy.score import score, truth_for

    truth = truth_for(pdf)
    assert truth is not None
    s = score(_extracted(pdf), truth)
    assert s.silent == 0, [(w.table, w.row, w.col, w.truth, w.value, w.status) for w in s.errors]


@pytest.mark.slow
def test_a_scanned_borderless_table_is_read_from_its_words() -> None:
    """Issue 10 item 5: a borderless table, scanned, is read as its text layer is (its rows
    from the words' alignment, a blank told by the ink): before, every cell was review."""
    from pipeline.hardcopy.score import score, truth_for

    pdf = SAMPLES / "hardcopy" / "gen_2021_borderless.borderless_scan.pdf"
    truth = truth_for(pdf)
    assert truth is not None
    s = score(_extracted(pdf), truth)
    assert s.silent == 0
    assert s.correct >= 0.99 * s.cells and s.review_cells <= 0.02 * s.cells, s


@pytest.mark.slow
@pytest.mark.parametrize("pdf", HARDCOPIES, ids=lambda p: p.name)
def test_counts_are_whole_on_hard_copies(pdf: Path) -> None:
    """The store refuses a count that is not whole (store/schema.py): none may come out."""
    bad = [
        (c.key, c.value, c.status)
        for c in _extracted(pdf).cells
        if c.value is not None
        and not is_amount(c.key.table, c.key.row, c.key.col)
        and float(c.value) != int(c.value)
    ]
    assert not bad


@pytest.mark.slow
@pytest.mark.skipif(not DEVSET.is_dir(), reason="no devset here")
def test_marked_devset_filing_has_no_silent_errors(tmp_path: Path) -> None:
    """The one silent error `bench --variants --docs 0` found (seed 0): the seal over rows
    4–8 of 不予公开 hid their rulings, row 6's values went out as row 8's; kept as a test."""
    from pipeline.hardcopy import make
    from pipeline.hardcopy.score import score, truth_for

    src = DEVSET / "pdf" / "dev_006.digital.pdf"
    hc = make(src, "marked", 0, tmp_path / "dev_006.marked.pdf")
    s = score(process(hc.path), truth_for(hc.path, DEVSET / "truth") or {})
    assert s.silent == 0, [(w.row, w.col, w.truth, w.value, w.status) for w in s.errors]
