"""The default OCR backend: rapidocr on onnxruntime, imported only when an engine is made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pipeline.read.ocr.base import DetectedLine, OcrUnavailable, Recognized, to_bgr
from pipeline.read.ocr.models import find_models


class _MarginTap:
    """rapidocr's CTC decoder, wrapped to keep each line's digit margin
    (:attr:`Recognized.margin`) from the softmax it is handed.

    It takes the argmax once and hands it to the decoder's own ``decode`` (what its
    ``__call__`` does, with the max read from the argmax rather than a second pass), so
    the margin costs a gather of the ten digit classes at the decoded steps.
    """

    def __init__(self, inner: Any):
        self.inner = inner
        self.digits = np.array([i for i, ch in enumerate(inner.character) if ch in DIGITS])
        self.margins: list[float | None] = []

    def __call__(self, preds: np.ndarray, return_word_box: bool = False, **kwargs: Any) -> Any:
        idx = preds.argmax(axis=2)
        prob = np.take_along_axis(preds, idx[:, :, None], axis=2)[:, :, 0]
        self.margins += digit_margins(preds, idx, self.digits)
        return self.inner.decode(
            idx,
            prob,
            return_word_box,
            kwargs.get("wh_ratio_list", (1.0,)),
            kwargs.get("max_wh_ratio", 1.0),
            remove_duplicate=True,
        )


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
    threads were fastest on two cores.
    """

    def __init__(self, model_dir: str | Path | None = None, threads: int = 2, batch: int = 6):
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

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec import TextRecInput

        rec = self._ocr._load_rec_model()
        imgs = [to_bgr(c) for c in crops]
        if not isinstance(rec.postprocess_op, _MarginTap):
            rec.postprocess_op = _MarginTap(rec.postprocess_op)
        tap: _MarginTap = rec.postprocess_op
        tap.margins = []
        out = rec(TextRecInput(img=imgs))
        # the recogniser runs the crops sorted by aspect (as it does): its order, undone
        order = np.argsort(np.array([im.shape[1] / float(im.shape[0]) for im in imgs]))
        margins: list[float | None] = [None] * len(imgs)
        if len(tap.margins) == len(imgs):
            for i, m in zip(order, tap.margins, strict=True):
                margins[int(i)] = m
        return [
            Recognized(str(t), float(s), m)
            for t, s, m in zip(out.txts or (), out.scores, margins, strict=True)
        ]

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
