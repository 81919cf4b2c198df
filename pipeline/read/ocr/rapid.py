"""The default OCR backend: rapidocr on onnxruntime, imported only when an engine is made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pipeline.read.ocr import batching
from pipeline.read.ocr.base import DetectedLine, OcrUnavailable, Recognized, to_bgr
from pipeline.read.ocr.models import find_models

DIGITS = frozenset("0123456789")


def digit_margins(preds: np.ndarray, idx: np.ndarray, digits: np.ndarray) -> list[float | None]:
    """Per line of a (lines, steps, classes) CTC softmax (class 0 the blank; ``idx`` its
    argmax over the classes): min over the digits it decodes to of (p1 − p2) / (p1 + p2),
    p1 the digit's and p2 the best other digit's probability; None for a line without.

    Only other digits count as alternatives, and only against each other: a 0 whose
    missing mass went to an O, a 〇 or the blank reads as the same number (the line's
    score says how clean the glyph was); a 3 against an 8 does not.
    """
    if not len(digits) or not preds.shape[0]:
        return [None] * preds.shape[0]
    is_digit = np.zeros(preds.shape[2], dtype=bool)
    is_digit[digits] = True
    keep = is_digit[idx]
    keep[:, 1:] &= idx[:, 1:] != idx[:, :-1]  # CTC: a repeated step is the same character
    two = np.partition(preds[:, :, digits], -2, axis=2)[:, :, -2:]
    p2, p1 = two[:, :, 0], two[:, :, 1]
    step = np.where(keep, (p1 - p2) / np.maximum(p1 + p2, 1e-9), np.inf)
    least = step.min(axis=1)
    return [round(float(m), 5) if np.isfinite(m) else None for m in least]


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
        self._digit_classes: np.ndarray | None = None

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
                    out[i] = Recognized(r.text, min(r.confidence, out[i].confidence), r.margin)
        return out

    def _digits(self, rec: Any) -> np.ndarray:
        """The decoder's classes that are digits (the margin's alternatives)."""
        if self._digit_classes is None:
            chars = rec.postprocess_op.character
            self._digit_classes = np.array([i for i, ch in enumerate(chars) if ch in DIGITS])
        return self._digit_classes

    def _read(self, crops: list[np.ndarray], min_width: int) -> list[Recognized]:
        rec = self._ocr._load_rec_model()  # its onnxruntime session and CTC decoder
        out = [Recognized("", 0.0)] * len(crops)
        for b in batching.plan([c.shape for c in crops], min_width):
            part = [crops[i] for i in b.indices]
            preds = rec.session(batching.tensor(part, b.width))
            ratios = [batching.scaled_width(c.shape) / batching.HEIGHT for c in part]
            # the argmax once, for the decoder (as its own __call__ does) and the margins
            idx = preds.argmax(axis=2)
            prob = np.take_along_axis(preds, idx[:, :, None], axis=2)[:, :, 0]
            lines, _ = rec.postprocess_op.decode(
                idx, prob, False, ratios, b.width / batching.HEIGHT, remove_duplicate=True
            )
            margins = digit_margins(preds, idx, self._digits(rec))
            for i, (text, score), m in zip(b.indices, lines, margins, strict=True):
                out[i] = Recognized(str(text), float(score), m)
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
