"""What the scan reader needs from an OCR engine: one small protocol, typed results.

The scan reader finds cells itself (ruling lines), so it mostly needs *recognition only*
on batches of tight crops; detection is only for the few places nothing else gives boxes.
Results are frozen records, not positional tuples, so a backend cannot swap text and score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the image's pixels
ENGINE_ENV = "GONGKAI_OCR_ENGINE"
THREADS_ENV = "GONGKAI_OCR_THREADS"  # the recogniser's intra-op threads


class OcrUnavailable(RuntimeError):
    """No OCR backend or no model files: say what to install or where to point."""


@dataclass(frozen=True)
class Recognized:
    """The text of one single-line crop and the recogniser's confidence (0..1).

    ``margin``: the character alternatives, where the backend exposes its per-step
    probabilities (CTC softmax): min over the decoded characters of p(top1) − p(best
    other character), so a 3 read at 0.55 against an 8 at 0.40 shows as 0.15 even when
    the line's mean score is high. None where the backend does not give it.
    """

    text: str
    confidence: float
    margin: float | None = None


@dataclass(frozen=True)
class DetectedLine:
    """A text line found in a whole image: its text, confidence and box."""

    text: str
    confidence: float
    box: Box


class OcrEngine(Protocol):
    """What the scan reader needs from an OCR engine."""

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        """Text and confidence of each single-line crop, in order, in one batch."""
        ...

    def detect_and_recognize(self, image: np.ndarray) -> list[DetectedLine]:
        """Text lines found in a whole image, each with its confidence and box."""
        ...


def to_bgr(img: np.ndarray) -> np.ndarray:
    """The recognisers want 3-channel uint8 images; crops are grey."""
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    return img
