"""The pipeline's stages, in the order data flows through them.

read (text extraction | PDF text layer | OCR of a scan: render → prepare → grid → ocr)
→ identify → match → reconcile → export/store.
Each file's failure is recorded with the stage it happened in; the batch goes on.
"""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.hashing import sha256_of
from pipeline.model.config import Settings
from pipeline.model.records import DocResult, DocStatus, ErrorItem, ReaderKind, Stage, Status
from pipeline.read.route import SUFFIXES, read
from pipeline.recover.identify import identify, split_sections
from pipeline.recover.match import match_tables
from pipeline.recover.reconcile import reconcile

STAGES = tuple(str(s) for s in Stage)
# the scan reader's own stages, timed inside "read"
SCAN_STAGES = ("render", "prepare", "grid", "ocr")


def process(path: Path, source: str | None = None, settings: Settings | None = None) -> DocResult:
    """Run one file through the stages; never raises for a bad file."""
    src = source or str(path)
    try:
        digest = sha256_of(path)
    except OSError as e:
        return DocResult(
            src, "", DocStatus.FAILED, error=ErrorItem(Stage.READ, f"cannot read file: {e}")
        )
    stage = Stage.READ
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
        stage = Stage.IDENTIFY
        sections = split_sections(reading.rows)
        ident = identify(sections, reading.rows)
        lap("identify")
        stage = Stage.MATCH
        matched = match_tables(sections, ident, settings, exact_text=reading.kind != ReaderKind.OCR)
        lap("match")
        stage = Stage.RECONCILE
        cells, checks = reconcile(ident, matched.cells, matched.alternatives, settings)
        lap("reconcile")
    except Exception as e:  # noqa: BLE001 - recorded per file, the batch goes on
        error = ErrorItem(stage, f"{type(e).__name__}: {e}")
        return DocResult(src, digest, DocStatus.FAILED, error=error)
    review = sum(c.status == Status.REVIEW for c in cells)
    # warnings: parts not found
    status = DocStatus.PARTIAL if matched.warnings or review else DocStatus.OK
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
