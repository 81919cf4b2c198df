"""Write small born-digital report PDFs with their ground truth into samples/generated/.

Run: ``python samples/make_samples.py``. Deterministic (seeded numbers, fixed metadata),
so the committed files only change when this script does. The numbers satisfy the
report's identities; the truth files use the devset's format (shared/spec/tables.md).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from pipeline.model.taxonomy import (  # noqa: E402
    ACTIVE_ROWS,
    application_rows,
)

OUT = ROOT / "generated"
FONT = "china-s"
PAGE_W, PAGE_H = 595.0, 842.0
LEFT, TOP, BOTTOM = 56.0, 60.0, 780.0


@dataclass(frozen=True)
class Spec:
    name: str
    organ: str
    year: int
    template: str
    layout: str
    seed: int
    blank_zero: bool  # print 0 as a blank cell
    break_after: int  # applications rows on the first table page
    ruled: bool = True


SPECS = (
    Spec("gen_2021_split", "某某县市场监督管理局", 2022, "2021", "2021", 7, False, 14),
    Spec("gen_2019_blanks", "某某镇人民政府", 2020, "2019", "2019", 11, True, 99),
    Spec("gen_2021_borderless", "某某区教育局", 2023, "2021", "2019", 5, True, 99, ruled=False),
)


def applications(rng: random.Random, layout: str) -> dict[str, list[int]]:
    """A consistent 新收/结转/办理结果/结转下年度 matrix."""
    keys = [r.key for r in application_rows(layout)]
    results = keys[keys.index("granted") : keys.index("total")]
    m: dict[str, list[int]] = {k: [0] * 7 for k in keys}
    for c in range(6):
        busy = c in (0, 1) or rng.random() < 0.2
        for r in results:
            if busy and rng.random() < 0.35:
                m[r][c] = rng.choice([1, 1, 2, 3, 5, 12])
        total = sum(m[r][c] for r in results)
        forward = rng.randint(0, 2) if busy else 0
        carried = rng.randint(0, min(2, total + forward))
        m["total"][c] = total
        m["carried_forward"][c] = forward
        m["carried_over"][c] = carried
        m["new_requests"][c] = total + forward - carried
    for r in keys:
        m[r][6] = sum(m[r][:6])
    return m


def active(rng: random.Random, template: str) -> dict[str, list[int | float]]:
    out: dict[str, list[int | float]] = {}
    for spec in ACTIVE_ROWS[template]:
        vals: list[int | float] = []
        for col in spec.cols:
            if col == "change":
                vals.append(rng.choice([-3, 0, 2, 5]))
            elif col == "amount":
                vals.append(rng.choice([0, 11000, 7730.28]))
            else:
                vals.append(rng.choice([0, 0, 1, 4, 17, 198]))
        out[spec.key] = vals
    return out


def review(rng: random.Random) -> list[int]:
    out: list[int] = []
    for _ in range(3):
        parts = [rng.choice([0, 0, 1, 2]) for _ in range(4)]
        out += [*parts, sum(parts)]
    return out


class Writer:
    """Lays out lines and ruled tables page by page."""

    def __init__(self, ruled: bool = True) -> None:
        self.ruled = ruled
        self.doc = pymupdf.open()
        self.page = self.doc.new_page(width=PAGE_W, height=PAGE_H)
        self.y = TOP

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=PAGE_W, height=PAGE_H)
        self.y = TOP

    def text(self, s: str, size: float = 10.5, x: float = LEFT) -> None:
        if self.y + size * 1.8 > BOTTOM:
            self.new_page()
        self.page.insert_text((x, self.y + size), s, fontname=FONT, fontsize=size)
        self.y += size * 1.8

    def table(
        self, widths: Sequence[float], rows: Sequence[Sequence[str | None]], h: float = 16
    ) -> None:
        """A ruled table; ``None`` continues the cell to the left (a column span)."""
        if self.y + h * len(rows) > BOTTOM:
            self.new_page()
        for cells in rows:
            x = LEFT
            spans: list[tuple[float, float, str]] = []
            for w, cell in zip(widths, cells, strict=True):
                if cell is None and spans:
                    x0, _, s = spans[-1]
                    spans[-1] = (x0, x + w, s)
                else:
                    spans.append((x, x + w, cell or ""))
                x += w
            for x0, x1, s in spans:
                rect = pymupdf.Rect(x0, self.y, x1, self.y + h)
                if self.ruled:
                    self.page.draw_rect(rect, color=(0, 0, 0), width=0.6)
                if s:
                    size = 5.5 if len(s) > 34 else 6.5 if len(s) > 12 else 7.5
                    tw = pymupdf.get_text_length(s, fontname=FONT, fontsize=size)
                    tx = x0 + 3 if len(s) > 6 else (x0 + x1 - tw) / 2
                    self.page.insert_text(
                        (tx, self.y + h / 2 + size / 2.6), s, fontname=FONT, fontsize=size
                    )
            self.y += h
        self.y += 10


def _fmt(v: int | float, blank_zero: bool, col: str = "") -> str:
    if v == 0:
        return "" if blank_zero else "0"
    if col == "change":
        return f"增 {v}" if v > 0 else f"减 {-v}"
    if col == "amount" and isinstance(v, int):
        return f"{v}元"
    return str(v)


def build(spec: Spec) -> tuple[bytes, dict]:
    rng = random.Random(spec.seed)
    app = applications(rng, spec.layout)
    act = active(rng, spec.template)
    rev = review(rng)
    w = Writer(spec.ruled)
    w.text(f"{spec.organ}{spec.year}年政府信息公开工作年度报告", size=15, x=LEFT + 40)
    w.text("一、总体情况")
    for _ in range(6):
        w.text("本机关认真贯彻落实《中华人民共和国政府信息公开条例》，推进政务公开工作。")
    w.text("二、主动公开政府信息情况")
    for row in ACTIVE_ROWS[spec.template]:
        heads = {
            "issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
            "decisions": "本年处理决定数量" if spec.template == "2021" else "处理决定数量",
            "amount": "本年收费金额（单位：万元）" if spec.template == "2021" else "采购总金额",
            "new_made": "本年新制作数量", "new_published": "本年新公开数量",
            "total_published": "对外公开总数量", "prior_items": "上一年项目数量",
            "change": "本年增/减", "items": "采购项目数量",
        }  # fmt: skip
        cols = list(row.cols) + [None] * (3 - len(row.cols))
        head = ["信息内容"] + [heads[c] if c else None for c in cols]
        vals = [row.label] + [
            _fmt(act[row.key][i], spec.blank_zero, c) if c else None for i, c in enumerate(cols)
        ]
        w.table([150, 110, 110, 110], [head, vals])
    w.text("三、收到和处理政府信息公开申请情况")
    widths = [250] + [31] * 7
    header = [
        ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
         "申请人情况", None, None, None, None, None, None],
        [None, "自然人", "商业企业", "科研机构", "社会公益", "法律服务", "其他", "总计"],
    ]  # fmt: skip
    header[1][0] = ""
    body = []
    for r in application_rows(spec.layout):
        body.append([r.label] + [_fmt(v, spec.blank_zero) for v in app[r.key]])
    w.table(widths, header + body[: spec.break_after])
    if spec.break_after < len(body):
        w.new_page()
        w.table(widths, header + body[spec.break_after :])
    w.text("四、政府信息公开行政复议、行政诉讼情况")
    groups = ["行政复议", None, None, None, None, "未经复议直接起诉", None, None, None, None,
              "复议后起诉", None, None, None, None]  # fmt: skip
    results = ["维持", "纠正", "其他", "未审结", "总计"] * 3
    w.table([32] * 15, [groups, results, [str(v) for v in rev]])
    w.text("五、存在的主要问题及改进情况")
    w.text("下一步将继续加强政务公开工作。")
    w.doc.set_metadata({"producer": "gongkai samples", "creationDate": "D:20250101000000"})
    data = w.doc.tobytes(garbage=4, deflate=True, no_new_id=True)
    truth = {
        "doc": spec.name,
        "organ": spec.organ,
        "year": spec.year,
        "template": spec.template,
        "applications_layout": spec.layout,
        "applications": app,
        "active_disclosure": act,
        "review_litigation": rev,
    }
    return data, truth


def scan_of(pdf: bytes, seed: int, dpi: int = 150) -> bytes:
    """An image-only copy as an archive's scanner makes it: skewed, noisy, JPEG."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    src = pymupdf.open(stream=pdf)
    out = pymupdf.open()
    for n, page in enumerate(src):
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        img = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width)
        angle = (0.8, -0.5, 0.6)[n % 3]
        rot = cv2.getRotationMatrix2D((pix.width / 2, pix.height / 2), angle, 1.0)
        img = cv2.warpAffine(img, rot, (pix.width, pix.height), borderValue=255)
        img = cv2.GaussianBlur(img, (3, 3), 0.6)
        noisy = img.astype(np.float32) + rng.normal(0, 6, img.shape)
        img = np.clip(noisy, 0, 255).astype(np.uint8)
        ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 55])
        assert ok
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, stream=jpg.tobytes())
    out.set_metadata({"producer": "gongkai samples", "creationDate": "D:20250101000000"})
    return out.tobytes(garbage=4, deflate=True, no_new_id=True)


def _write(name: str, data: bytes, truth: dict) -> None:
    (OUT / f"{name}.pdf").write_bytes(data)
    (OUT / f"{name}.truth.json").write_text(
        json.dumps({**truth, "doc": name}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{name}.pdf: {len(data)} bytes")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for spec in SPECS:
        data, truth = build(spec)
        _write(spec.name, data, truth)
        if spec.name == "gen_2021_split":
            _write("gen_2021_scan", scan_of(data, spec.seed), truth)


if __name__ == "__main__":
    main()
