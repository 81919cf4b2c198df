"""OCR engines behind one small protocol, so the scan reader does not care which runs.

``base`` (the :class:`OcrEngine` protocol and its typed results), ``models`` (where the
model files are; never downloaded), ``rapid`` and ``paddle`` (backends, importing their
heavy dependencies only when an engine is made: ``import pipeline.read.ocr`` works
without rapidocr installed) and ``replay`` (recorded outputs for tests).

Backends: :class:`RapidOcrEngine` (default) and :class:`PaddleOcrEngine` (paddleocr 3.x on
onnxruntime, no paddlepaddle, same model files); ``GONGKAI_OCR_ENGINE`` picks one for
:func:`default_engine`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pipeline.read.ocr.base import (
    ENGINE_ENV,
    THREADS_ENV,
    Box,
    DetectedLine,
    OcrEngine,
    OcrUnavailable,
    Recognized,
)
from pipeline.read.ocr.models import MODEL_DIR_ENV, ModelFiles, find_models, sha256
from pipeline.read.ocr.paddle import PaddleOcrEngine
from pipeline.read.ocr.rapid import RapidOcrEngine
from pipeline.read.ocr.replay import RecordingEngine, ReplayEngine, crop_key

__all__ = [
    "ENGINES",
    "ENGINE_ENV",
    "THREADS_ENV",
    "MODEL_DIR_ENV",
    "Box",
    "DetectedLine",
    "ModelFiles",
    "OcrEngine",
    "OcrUnavailable",
    "PaddleOcrEngine",
    "RapidOcrEngine",
    "Recognized",
    "RecordingEngine",
    "ReplayEngine",
    "crop_key",
    "default_engine",
    "engine_class",
    "find_models",
    "sha256",
]

ENGINES: dict[str, Callable[[], OcrEngine]] = {
    "rapidocr": RapidOcrEngine,
    "paddleocr": PaddleOcrEngine,
}

_DEFAULT: OcrEngine | None = None


def engine_class(name: str | None = None) -> Callable[..., OcrEngine]:
    """The backend named by ``name`` or $GONGKAI_OCR_ENGINE (default ``rapidocr``)."""
    chosen = (name if name is not None else os.environ.get(ENGINE_ENV, "")).strip().lower()
    cls = ENGINES.get(chosen or "rapidocr")
    if cls is None:
        raise OcrUnavailable(
            f"{ENGINE_ENV}={chosen!r} is not an OCR engine: use one of {', '.join(ENGINES)}"
        )
    return cls


def default_engine() -> OcrEngine:
    """One engine per process: loading the models costs more than a page.

    ``GONGKAI_OCR_ENGINE=rapidocr|paddleocr`` picks the backend (default rapidocr);
    ``GONGKAI_OCR_THREADS`` its intra-op threads (a batch's workers share the cores)."""
    global _DEFAULT
    if _DEFAULT is None:
        threads = os.environ.get(THREADS_ENV, "").strip()
        _DEFAULT = engine_class()(**({"threads": int(threads)} if threads.isdigit() else {}))
    return _DEFAULT
