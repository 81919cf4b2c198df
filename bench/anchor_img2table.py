"""The speed anchor of issue 10: img2table's PDF reader + RapidOCR over the same scans.

Not part of the pipeline: it runs in a venv of its own (img2table pulls its own OpenCV
and RapidOCR), and ``docs/speed.md`` compares its wall time and peak memory with
``gongkai extract`` on the same files. RapidOCR uses the PP-OCRv6 small det/rec models
shipped inside the rapidocr wheel (paths given explicitly: nothing is downloaded),
recognising Chinese (img2table's wrapper defaults to English).

    python3 -m venv /work/anchor
    /work/anchor/bin/pip install img2table rapidocr onnxruntime
    /usr/bin/time -v /work/anchor/bin/python bench/anchor_img2table.py \
        /work/shared/devset/pdf/*.scan.pdf --out /tmp/anchor_out

Writes one JSON per PDF (page → tables → rows of cell texts) and prints pages, seconds,
s/page and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path


def _engine():  # type: ignore[no-untyped-def]
    import rapidocr
    from img2table.ocr import RapidOCR
    from rapidocr import LangRec

    models = Path(rapidocr.__file__).parent / "models"
    return RapidOCR(
        params={
            "Global.log_level": "warning",
            "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
            "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
            "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
            "Rec.lang_type": LangRec.CH,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pdfs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    t0 = time.perf_counter()
    from img2table.document import PDF

    ocr = _engine()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = 0
    for pdf in args.pdfs:
        doc = PDF(str(pdf), detect_rotation=False, pdf_text_extraction=False)
        found = doc.extract_tables(ocr=ocr, implicit_rows=False, borderless_tables=False)
        pages += len(doc.images)
        tables = {
            str(p + 1): [[[c.value for c in row] for row in t.content.values()] for t in ts]
            for p, ts in found.items()
        }
        (args.out / f"{pdf.stem}.json").write_text(json.dumps(tables, ensure_ascii=False))
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"pages {pages}  seconds {secs:.1f}  s/page {secs / max(pages, 1):.2f}  peak {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
