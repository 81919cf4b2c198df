"""The born-digital PDF reader on tiny PDFs built here: grids, borderless rows, bad input."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from pipeline.model.records import Reading
from pipeline.read.pdf.reader import BadPDF, Encrypted, NeedsOCR, read_pdf

DEVSET_PDF = Path(__file__).resolve().parent.parent.parent / "shared" / "devset" / "pdf"
PROSE = "本机关认真贯彻落实政府信息公开条例，依法做好政府信息公开申请的受理和答复工作。"
FONT = "china-s"


def texts(reading: Reading) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in reading.rows]


def put(page: pymupdf.Page, x: float, y: float, text: str, size: float = 9) -> None:
    """Write text whose vertical centre is at y (insert_text takes the baseline)."""
    page.insert_text((x, y + size * 0.35), text, fontname=FONT, fontsize=size)


def rule(page: pymupdf.Page, x0: float, y0: float, x1: float, y1: float) -> None:
    page.draw_line((x0, y0), (x1, y1), color=(0, 0, 0), width=0.5)


def ruled_table(page: pymupdf.Page, top: float = 100) -> None:
    """Three rows under a header: a group label merged over two rows, a wrapped label,
    a blank cell, and a total row whose label spans both label columns."""
    xs, ys = [50, 110, 220, 270, 320, 370], [top, top + 20, top + 40, top + 70, top + 90]
    for y in ys:
        rule(page, 50 if y != ys[2] else 110, y, 370, y)  # no rule under the group label
    for x in xs:
        rule(page, x, ys[0], x, ys[-1] if x != 110 else ys[3])  # total label spans columns
    put(page, 52, top + 10, "信息内容")
    for x, h in zip(xs[2:], ("自然人", "商业企业", "总计"), strict=False):
        put(page, x + 2, top + 10, h)
    put(page, 52, top + 40, "（三）不予公开")
    put(page, 112, top + 30, "1.属于国家秘密")
    put(page, 112, top + 50, "2.其他法律行政法规")
    put(page, 112, top + 60, "禁止公开")
    put(page, 52, top + 80, "（七）总计")
    for row_y, vals in (
        (top + 30, ("3", "", "3")),
        (top + 55, ("1", "2", "3")),
        (top + 80, ("4", "2", "6")),
    ):
        for x, v in zip(xs[2:], vals, strict=False):
            if v:
                put(page, x + 22, row_y, v)


def save(doc: pymupdf.Document, path: Path) -> Path:
    doc.save(path)
    doc.close()
    return path


def test_ruled_table_rows_merged_and_blank_cells(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    put(page, 50, 60, PROSE, 12)
    ruled_table(page)
    put(page, 280, 800, "—1—")  # a page number: no content
    reading = read_pdf(save(doc, tmp_path / "ruled.pdf"))
    assert reading.kind == "pdf" and reading.pages == 1
    assert texts(reading) == [
        [PROSE],
        ["信息内容", "", "自然人", "商业企业", "总计"],
        ["（三）不予公开", "1.属于国家秘密", "3", "", "3"],
        ["2.其他法律行政法规禁止公开", "1", "2", "3"],
        ["（七）总计", "4", "2", "6"],
    ]
    row = reading.rows[2]
    assert row.cells[2].origin.page == 1
    assert row.cells[2].origin.bbox == pytest.approx((220, 120, 270, 140), abs=0.5)
    assert row.cells[3].origin.bbox == pytest.approx((270, 120, 320, 140), abs=0.5)  # the blank
    assert all(c.confidence == 1.0 for r in reading.rows for c in r.cells)


def test_row_split_by_a_page_break_is_rejoined(tmp_path: Path) -> None:
    doc = pymupdf.open()
    p1 = doc.new_page()
    xs = [50, 220, 270, 320, 370]
    for y in (700, 720, 760):
        rule(p1, 50, y, 370, y)
    for x in xs:
        rule(p1, x, 700, x, 760)
    put(p1, 52, 710, "1.属于国家秘密")
    put(p1, 52, 740, "2.其他法律行政法规")  # the label goes on on the next page
    for y, v in ((710, "0"), (740, "5")):
        for x in xs[1:-1]:
            put(p1, x + 22, y, v)
    p2 = doc.new_page()
    for y in (60, 80, 100):
        rule(p2, 50, y, 370, y)
    for x in xs:
        rule(p2, x, 60, x, 100)
    put(p2, 52, 70, "禁止公开")
    put(p2, 52, 90, "3.危及“三安全一稳定”")
    for x in xs[1:-1]:
        put(p2, x + 22, 90, "7")
    reading = read_pdf(save(doc, tmp_path / "split.pdf"))
    assert texts(reading) == [
        ["1.属于国家秘密", "0", "0", "0"],
        ["2.其他法律行政法规禁止公开", "5", "5", "5"],
        ["3.危及“三安全一稳定”", "7", "7", "7"],
    ]


def test_borderless_rows_wrapped_labels_and_a_blank_row(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    put(page, 60, 100, "规章")
    put(page, 60, 120, "2.其他法律行政法规")  # numbers centred between the two lines
    put(page, 60, 131, "禁止公开")
    put(page, 60, 150, "3.危及安全")  # a row left blank: a label and no numbers
    put(page, 60, 170, "（七）总计")
    for y, vals in ((100, ("0", "12")), (125.5, ("0", "0")), (170, ("4", "19"))):
        for x, v in zip((250, 300), vals, strict=True):
            put(page, x, y, v)
    reading = read_pdf(save(doc, tmp_path / "borderless.pdf"))
    assert texts(reading) == [
        ["规章", "0", "12"],
        ["2.其他法律行政法规禁止公开", "0", "0"],
        ["3.危及安全"],
        ["（七）总计", "4", "19"],
    ]
    x0, y0, x1, y1 = reading.rows[1].cells[2].origin.bbox or (0, 0, 0, 0)
    assert 300 <= x0 < x1 <= 310 and 115 < y0 < y1 < 135  # tight around the "0"


def test_borderless_group_label_goes_to_the_first_row_it_spans(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    for k, y in enumerate((100, 115, 130, 145)):
        put(page, 120, y, f"{k + 1}.第{k + 1}项")
        put(page, 250, y, str(k))
        put(page, 300, y, str(k * 2))
    for y, t in ((110, "（三）"), (120, "不予公"), (130, "开")):  # stacked, centred on the 4 rows
        put(page, 60, y, t)
    reading = read_pdf(save(doc, tmp_path / "group.pdf"))
    assert texts(reading) == [
        ["（三）不予公开", "1.第1项", "0", "0"],
        ["2.第2项", "1", "2"],
        ["3.第3项", "2", "4"],
        ["4.第4项", "3", "6"],
    ]


def stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def font_map_pdf(path: Path, lines: list[bytes]) -> Path:
    """A PDF whose font's ToUnicode map sends every byte to the private-use area."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /G def "
        b"1 begincodespacerange <00> <FF> endcodespacerange "
        b"1 beginbfrange <20> <7E> <E020> endbfrange endcmap "
        b"CMapName currentdict /CMap defineresource pop end end"
    )
    content = (
        b"BT /F1 12 Tf 14 TL 50 780 Td " + b"".join(b"(%s) ' " % line for line in lines) + b"ET"
    )
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        stream(content),
        stream(cmap),
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(out)
    return path


def test_borderless_row_of_fifteen_numbers_under_a_labelled_table(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    put(page, 60, 100, "（七）总计")
    put(page, 60, 115, "四、结转下年度继续办理")
    for y in (100, 115):
        for k, x in enumerate(range(300, 500, 30)):
            put(page, x, y, str(k))
    put(page, 60, 150, "四、政府信息公开行政复议、行政诉讼情况", 14)
    put(page, 60, 175, "行政复议")
    put(page, 300, 175, "行政诉讼")
    for k in range(15):  # narrow columns: each "0" is still its own cell
        put(page, 62 + 30 * k, 195, "0" if k % 2 else "1")
    reading = read_pdf(save(doc, tmp_path / "review.pdf"))
    rows = texts(reading)
    assert rows[0] == ["（七）总计", "0", "1", "2", "3", "4", "5", "6"]
    assert rows[1] == ["四、结转下年度继续办理", "0", "1", "2", "3", "4", "5", "6"]
    assert rows[-1] == ["1" if k % 2 == 0 else "0" for k in range(15)]


def image_page(doc: pymupdf.Document) -> None:
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 80), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix)


def test_image_only_pdf_needs_ocr(tmp_path: Path) -> None:
    doc = pymupdf.open()
    image_page(doc)
    with pytest.raises(NeedsOCR, match="no usable text layer.*an image"):
        read_pdf(save(doc, tmp_path / "scan.pdf"))


def test_mojibake_text_layer_needs_ocr(tmp_path: Path) -> None:
    garbage = "".join(chr(ord(c) + 37) if "\u4e00" <= c <= "\u9f00" else c for c in PROSE * 3)
    doc = pymupdf.open()
    page = doc.new_page()
    for k in range(0, len(garbage), 30):
        put(page, 50, 100 + k, garbage[k : k + 30], 12)
    with pytest.raises(NeedsOCR, match="mojibake"):
        read_pdf(save(doc, tmp_path / "mojibake.pdf"))


def test_broken_font_map_needs_ocr(tmp_path: Path) -> None:
    path = font_map_pdf(tmp_path / "pua.pdf", [b"Zheng Fu Xin Xi Gong Kai 2023"] * 6)
    with pytest.raises(NeedsOCR, match="private-use"):
        read_pdf(path)


def test_invisible_ocr_layer_over_a_scan_needs_ocr(tmp_path: Path) -> None:
    doc = pymupdf.open()
    image_page(doc)
    doc[0].insert_text((50, 100), PROSE, fontname=FONT, fontsize=12, render_mode=3)
    with pytest.raises(NeedsOCR, match="invisible"):
        read_pdf(save(doc, tmp_path / "ocr-layer.pdf"))


def test_image_page_holding_the_tables_needs_ocr_and_names_it(tmp_path: Path) -> None:
    doc = pymupdf.open()
    put(doc.new_page(), 50, 100, PROSE, 12)
    image_page(doc)
    with pytest.raises(NeedsOCR, match="pages 2 "):
        read_pdf(save(doc, tmp_path / "mixed.pdf"))


def test_image_page_beside_text_tables_is_skipped(tmp_path: Path) -> None:
    doc = pymupdf.open()
    image_page(doc)  # a scanned cover
    page = doc.new_page()
    ruled_table(page)
    put(page, 50, 300, "行政复议 结果维持 尚未审结；第二十条 信息内容；本年新收、上年结转。", 10)
    reading = read_pdf(save(doc, tmp_path / "cover.pdf"))
    assert reading.notes and "pages 1 skipped" in reading.notes[0]
    assert ["（七）总计", "4", "2", "6"] in texts(reading)


def test_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_text("政府信息公开工作年度报告\n", encoding="utf-8")
    with pytest.raises(BadPDF, match="not a PDF"):
        read_pdf(path)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(BadPDF, match="empty"):
        read_pdf(tmp_path / "empty.pdf")
    with pytest.raises(BadPDF, match="cannot read"):
        read_pdf(tmp_path / "missing.pdf")


def test_truncated_pdf(tmp_path: Path) -> None:
    doc = pymupdf.open()
    ruled_table(doc.new_page())
    data = save(doc, tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) * 4 // 10])
    with pytest.raises(BadPDF, match="truncated"):
        read_pdf(path)
    for tenth in range(1, 10):  # never rows from a broken file without saying it was repaired
        path.write_bytes(data[: len(data) * tenth // 10])
        try:
            reading = read_pdf(path)
        except BadPDF:
            continue
        assert "repaired" in " ".join(reading.notes)


def test_encrypted_pdf(tmp_path: Path) -> None:
    doc = pymupdf.open()
    put(doc.new_page(), 50, 100, PROSE, 12)
    path = tmp_path / "locked.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")
    with pytest.raises(Encrypted):
        read_pdf(path)


@pytest.mark.skipif(not DEVSET_PDF.is_dir(), reason="devset not present")
def test_devset_scan_needs_ocr() -> None:
    with pytest.raises(NeedsOCR):
        read_pdf(DEVSET_PDF / "dev_000.scan.pdf")
