"""The desk's speed on a big queue (``gongkai bench --review N``): a store of synthetic
documents with N cells to review, each a copy of a real sample PDF so that crops render, and
the median latency of the queue's first page and of a cell's crop over HTTP.

A benchmark, not a test: the figures go in README (target: under 300 ms each).
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.model.records import DocStatus, Reason, Status
from pipeline.review.server import serve
from pipeline.run import process
from pipeline.store.db import Store

SAMPLE = Path(__file__).resolve().parent.parent.parent / "samples" / "generated"
SAMPLE_PDF = SAMPLE / "gen_2021_split.pdf"


@dataclass(frozen=True)
class ReviewBench:
    documents: int
    review_cells: int
    build_seconds: float
    queue_ms: float  # median, first page (the default limit)
    crop_ms: float  # median, one cell's crop
    requests: int


def build_store(directory: Path, n_cells: int, pdf: Path = SAMPLE_PDF) -> tuple[Path, int]:
    """A store with at least ``n_cells`` review cells: copies of ``pdf``'s result with every
    cell made a doubtful read (each copy its own file and content hash); its path and the
    number of documents."""
    base = process(pdf)
    cells = [
        replace(c, status=Status.REVIEW, reason=Reason.LOW_CONFIDENCE, confidence=0.5)
        for c in base.cells
        if c.origin.page is not None
    ]
    if not cells:
        raise ValueError(f"{pdf} gave no cells with a place on a page")
    docs = -(-n_cells // len(cells))
    db = directory / "bench.sqlite"
    with Store(db) as st:
        for i in range(docs):
            copy = directory / f"doc{i:05d}.pdf"
            shutil.copy(pdf, copy)
            sha = hashlib.sha256(f"{base.sha256}:{i}".encode()).hexdigest()
            r = replace(
                base, sha256=sha, source=str(copy), cells=tuple(cells), status=DocStatus.PARTIAL
            )
            st.save(r, str(copy.resolve()))
    return db, docs


def _get(url: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    with urllib.request.urlopen(url) as resp:
        body = bytes(resp.read())
    return (time.perf_counter() - start) * 1000, body


def run(n_cells: int = 10_000, repeat: int = 15) -> ReviewBench:
    """Build the store in a temporary directory, serve it, time ``repeat`` requests of each."""
    import json

    with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as tmp:
        start = time.perf_counter()
        db, docs = build_store(Path(tmp), n_cells)
        built = time.perf_counter() - start
        server = serve(db, "127.0.0.1", 0, "bench", None)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host, port = server.server_address[:2]
        base = f"http://{host!s}:{port}"
        try:
            _get(base + "/api/queue")  # warm-up: the first connection, SQLite's page cache
            queue_ms, crop_ms = [], []
            total = 0
            for _ in range(repeat):
                ms, body = _get(base + "/api/queue")
                queue_ms.append(ms)
                data = json.loads(body)
                total = data["total"]
            items = data["items"]
            for n in range(repeat):
                ms, _ = _get(base + f"/api/cells/{items[n % len(items)]['id']}/crop.png")
                crop_ms.append(ms)
        finally:
            server.shutdown()
            server.server_close()
    return ReviewBench(
        docs, total, built, statistics.median(queue_ms), statistics.median(crop_ms), repeat
    )
