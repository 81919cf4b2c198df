"""The default OCR backend: rapidocr on onnxruntime, imported only when an engine is made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pipeline.read.ocr import batching
from pipeline.read.ocr.base import DetectedLine, OcrUnavailable, Recognized, to_bgr
from pipeline.read.ocr.models import find_models


class RapidOcrEngine:
    """rapidocr + onnxruntime with PP-OCRv6 tiny: the fastest accurate engine measured here.

    The angle classifier stays off (it turned 9s into 6s in tables); two intra-op
    threads were fastest on two cores. Recognition batches its crops itself
    (:mod:`pipeline.read.ocr.batching`): sorted by shape, as wide as their widest crop.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        threads: int = 2,
        batch: int = 6,
        min_width: int | None = None,
    ):
        try:
            from rapidocr import RapidOCR
            from rapidocr.utils.typings import ModelType, OCRVersion
        except ImportError as e:
            raise OcrUnavailable("rapidocr is not installed: `pip install gongkai[ocr]`") from e
        self.models = find_models(model_dir)
        params: dict[str, Any] = {
            "Global.use_cls": False,
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "Det.ocr_version": OCRVersion.PPOCRV6,
            "Det.model_type": ModelType.TINY,
            "Det.model_path": str(self.models.det),
            "Rec.ocr_version": OCRVersion.PPOCRV6,
            "Rec.model_type": ModelType.TINY,
            "Rec.model_path": str(self.models.rec),
            "Rec.rec_keys_path": str(self.models.keys),
            "Rec.rec_batch_num": batch,
        }
        self._ocr = RapidOCR(params=params)
        self.min_width = batching.MIN_WIDTH if min_width is None else min_width

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        if not crops:
            return []
        out = self._read(crops, self.min_width)
        # an unsure reading of a crop padded less than the training width gets a second
        # look at that width; where the two disagree, the training-width text is kept
        # with the lower confidence (batching.py: short numbers move with the padding)
        again = [
            i
            for i, (c, r) in enumerate(zip(crops, out, strict=True))
            if r.confidence < batching.RECHECK_BELOW
            and batching.scaled_width(c.shape) < batching.TRAINING_WIDTH
        ]
        if again and self.min_width < batching.TRAINING_WIDTH:
            second = self._read([crops[i] for i in again], batching.TRAINING_WIDTH)
            for i, r in zip(again, second, strict=True):
                if r.text != out[i].text:
                    out[i] = Recognized(r.text, min(r.confidence, out[i].confidence))
        return out

    def _read(self, crops: list[np.ndarray], min_width: int) -> list[Recognized]:
        rec = self._ocr._load_rec_model()  # its onnxruntime session and CTC decoder
        out = [Recognized("", 0.0)] * len(crops)
        for b in batching.plan([c.shape for c in crops], min_width):
            part = [crops[i] for i in b.indices]
            preds = rec.session(batching.tensor(part, b.width))
            ratios = [batching.scaled_width(c.shape) / batching.HEIGHT for c in part]
            lines, _ = rec.postprocess_op(
                preds, False, wh_ratio_list=ratios, max_wh_ratio=b.width / batching.HEIGHT
            )
            for i, (text, score) in zip(b.indices, lines, strict=True):
                out[i] = Recognized(str(text), float(score))
        return out

    def detect_and_recognize(self, image: np.ndarray) -> list[DetectedLine]:
        res: Any = self._ocr(to_bgr(image), use_cls=False)
        if getattr(res, "boxes", None) is None or getattr(res, "txts", None) is None:
            return []
        out = []
        for box, txt, score in zip(res.boxes, res.txts, res.scores, strict=True):
            pts = np.asarray(box, dtype=float)
            x0, y0 = float(pts[:, 0].min()), float(pts[:, 1].min())
            x1, y1 = float(pts[:, 0].max()), float(pts[:, 1].max())
            out.append(DetectedLine(str(txt), float(score), (x0, y0, x1, y1)))
        return out
