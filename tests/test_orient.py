"""Which way up: a page fed askew is not taken for a page turned on its side."""

from __future__ import annotations

import cv2
import numpy as np
import pymupdf
import pytest

from pipeline.read.scan.orient import quarter_turned

DPI = 100


def _page() -> np.ndarray:
    """A short last page: a table whose narrow label column wraps its text a character or
    two a line (runs down the page), and a few lines of prose (run across it)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 80.0
    for r in range(8):  # the table: narrow wrapped labels and numbers
        page.draw_rect(pymupdf.Rect(60, y, 535, y + 60))
        for x in (100, 160, 220, 280, 340, 400, 460):
            page.draw_line((x, y), (x, y + 60))
        for k, text in enumerate(("其他", "处理", "情况", "说明")):
            page.insert_text((66, y + 14 + 13 * k), text, fontname="china-s", fontsize=10)
        page.insert_text((175, y + 34), str(r), fontsize=10)
        y += 60
    for k in range(4):  # prose after it
        page.insert_text(
            (60, y + 30 + 20 * k), "进一步规范信息公开内容" * 2, fontname="china-s", fontsize=11
        )
    pix = page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY)
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w).copy()


@pytest.mark.parametrize("tilt", [0.0, 4.0, -8.0, 8.0, 12.0])
def test_a_page_fed_askew_reads_across_and_turned_down(tilt: float) -> None:
    img = _page()
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), tilt, 1.0)
    askew = cv2.warpAffine(img, m, (w, h), borderValue=255)
    assert not quarter_turned(askew, DPI)
    assert quarter_turned(np.ascontiguousarray(np.rot90(askew)), DPI)
