"""Recorded OCR outputs, looked up by crop content, so tests run the scan reader without a model.

The recording is JSON: ``{"recognize": {key: [text, confidence]}, "detect": {key:
[[text, confidence, [x0, y0, x1, y1]], ...]}}`` with keys from :func:`crop_key`; a
recognition may carry a third item, its digit margin (:class:`Recognized`), and
recordings made before it existed replay with none.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.read.ocr.base import DetectedLine, OcrEngine, Recognized


def crop_key(crop: np.ndarray) -> str:
    """A stable key for a crop: recordings are looked up by image content."""
    return hashlib.sha1(np.ascontiguousarray(crop).tobytes() + str(crop.shape).encode()).hexdigest()


class RecordingEngine:
    """Wraps an engine and records its outputs by crop content, for :class:`ReplayEngine`."""

    def __init__(self, inner: OcrEngine):
        self.inner = inner
        self.rec: dict[str, list[Any]] = {}
        self.det: dict[str, list[Any]] = {}

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        out = self.inner.recognize(crops)
        for c, r in zip(crops, out, strict=True):
            self.rec[crop_key(c)] = [r.text, r.confidence] + (
                [] if r.margin is None else [r.margin]
            )
        return out

    def detect_and_recognize(self, image: np.ndarray) -> list[DetectedLine]:
        out = self.inner.detect_and_recognize(image)
        self.det[crop_key(image)] = [[d.text, d.confidence, list(d.box)] for d in out]
        return out

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"recognize": self.rec, "detect": self.det}, ensure_ascii=False))


class ReplayEngine:
    """Replays recorded outputs from JSON (see the module docstring).

    A crop not in the recording reads as ``Recognized("", 0.0)`` unless ``by_order`` lists
    answers (records or ``(text, confidence)`` pairs) to hand out in call order, handy for
    hand-written fixtures.
    """

    def __init__(
        self,
        path: Path | None = None,
        by_order: Sequence[Recognized | tuple[str, float]] = (),
    ):
        data = json.loads(path.read_text()) if path else {}
        self.rec: dict[str, list[Any]] = data.get("recognize", {})
        self.det: dict[str, list[Any]] = data.get("detect", {})
        self.queue = [a if isinstance(a, Recognized) else Recognized(*a) for a in by_order]
        self.calls = 0

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        self.calls += 1
        out = []
        for c in crops:
            hit = self.rec.get(crop_key(c))
            if hit is not None:
                margin = float(hit[2]) if len(hit) > 2 and hit[2] is not None else None
                out.append(Recognized(str(hit[0]), float(hit[1]), margin))
            elif self.queue:
                out.append(self.queue.pop(0))
            else:
                out.append(Recognized("", 0.0))
        return out

    def detect_and_recognize(self, image: np.ndarray) -> list[DetectedLine]:
        hits = self.det.get(crop_key(image), [])
        return [DetectedLine(str(t), float(s), (b[0], b[1], b[2], b[3])) for t, s, b in hits]
