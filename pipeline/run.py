"""The pipeline's stages, in the order data flows through them.

read (text extraction | PDF text layer | OCR of a scan: render → prepare → grid → ocr)
→ identify → match → reconcile → export/store.
Each file's failure is recorded with the stage it happened in; the batch goes on.
"""

from __future__ import annotations

import time
from pathlib import Path

from .config import Settings
from .hashing import sha256_of
from .identify import identify, split_sections
from .match import match_tables
from .pdftext import NeedsOCR, read_pdf
from .reconcile import reconcile
from .textread import read_text
from .types import DocResult, ErrorItem, Reading, Status

STAGES = ("read", "identify", "match", "reconcile", "store")
# the scan reader's own stages, timed inside "read"
SCAN_STAGES = ("render", "prepare", "grid", "ocr")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUFFIXES = {".txt": "text", ".pdf": "pdf", **{s: "image" for s in IMAGE_SUFFIXES}}


class UnsupportedInput(Exception):
    """The file's type is not one gongkai reads."""


def read(path: Path) -> Reading:
    """The reader for the file: text extraction, PDF text layer, or OCR where that fails."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind == "text":
        return read_text(path)
    if kind == "pdf":
        try:
            return read_pdf(path)
        except NeedsOCR as e:
            return _read_scan(path, str(e))
    if kind == "image":
        return _read_scan(path, "an image file")
    raise UnsupportedInput(
        f"unsupported file type {path.suffix or '(none)'!r}: "
        f"expected .txt, .pdf or an image ({', '.join(IMAGE_SUFFIXES)})"
    )


def _read_scan(path: Path, why: str) -> Reading:
    try:
        from .scan import read_scan
    except ImportError as e:
        raise NeedsOCR(f"{why}; the OCR reader could not be loaded: {e}") from e
    return read_scan(path)


def process(path: Path, source: str | None = None, settings: Settings | None = None) -> DocResult:
    """Run one file through the stages; never raises for a bad file."""
    src = source or str(path)
    try:
        digest = sha256_of(path)
    except OSError as e:
        return DocResult(src, "", "failed", error=ErrorItem("read", f"cannot read file: {e}"))
    stage = "read"
    timings: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings.append((name, now - t0))
        t0 = now

    try:
        reading = read(path)
        lap("read")
        timings += reading.timings
        stage = "identify"
        sections = split_sections(reading.rows)
        ident = identify(sections, reading.rows)
        lap("identify")
        stage = "match"
        matched = match_tables(sections, ident, settings, exact_text=reading.kind != "ocr")
        lap("match")
        stage = "reconcile"
        cells, checks = reconcile(ident, matched.cells, matched.alternatives, settings)
        lap("reconcile")
    except Exception as e:  # noqa: BLE001 - recorded per file, the batch goes on
        return DocResult(src, digest, "failed", error=ErrorItem(stage, f"{type(e).__name__}: {e}"))
    review = sum(c.status == Status.REVIEW for c in cells)
    status = "partial" if matched.warnings or review else "ok"  # warnings: parts not found
    return DocResult(
        src,
        digest,
        status,
        identification=ident,
        cells=tuple(cells),
        checks=tuple(checks),
        warnings=matched.warnings,
        reader=reading.kind,
        pages=reading.pages,
        timings=tuple(timings),
    )


def collect(paths: list[Path]) -> list[Path]:
    """Files named, and the readable files under directories named, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        else:
            out.append(p)
    return out
