"""Benchmark of whole batches: files and pages per second for each number of workers, and
the peak memory of the parent and its workers together, for batches of growing size (the
inputs cycled as copies with distinct bytes, so that deduplication does not shortcut them):
memory should stay flat in the number of files, since results are written and dropped as
they come back."""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.batch.core import run_batch
from pipeline.batch.pool import Pool
from pipeline.batch.settings import BatchSettings
from pipeline.model.config import Settings
from pipeline.run import Input, gather
from pipeline.store.db import Store


@dataclass(frozen=True)
class BatchBench:
    workers: int
    files: int
    pages: int
    seconds: float
    peak_mib: float  # parent + workers: the largest sum of their RSS sampled while running
    failed: int
    parent_mib: float = 0.0  # the parent alone

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def copies(paths: list[Path], n: int, into: Path) -> list[Path]:
    """``n`` files cycling through ``paths``, each with distinct bytes (a PDF comment after
    the end, blank space after a text) so that none is a duplicate of another."""
    out = []
    for i in range(n):
        src = paths[i % len(paths)]
        dst = into / f"{i:05d}_{src.name}"
        shutil.copyfile(src, dst)
        with dst.open("ab") as f:
            f.write(f"\n%gongkai-bench {i}\n".encode() if src.suffix == ".pdf" else b" " * i)
        out.append(dst)
    return out


def bench_batch(
    paths: list[Path],
    workers: list[int],
    sizes: list[int] | None = None,
    time_limit: float = 600.0,
    memory_limit_mib: int = 4096,
) -> list[BatchBench]:
    """One batch per (size, number of workers), each into a fresh store, timed whole."""
    out = []
    quiet = logging.getLogger("gongkai")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as tmp:
            for size in sizes or [len(paths)]:
                inputs_dir = Path(tmp) / f"in-{size}"
                inputs_dir.mkdir()
                files = copies(paths, size, inputs_dir) if sizes else paths
                for w in workers:
                    out.append(_one(gather(files), Path(tmp) / f"out-{size}-{w}", w,
                                    time_limit, memory_limit_mib))  # fmt: skip
    finally:
        quiet.setLevel(level)
    return out


def _one(inputs: list[Input], out: Path, workers: int, time_limit: float, mib: int) -> BatchBench:
    out.mkdir()
    batch = BatchSettings(workers=workers, time_limit=time_limit, memory_limit_mib=mib)
    pool = Pool(batch)
    t0 = time.perf_counter()
    with Store(out / "gongkai.sqlite") as store:
        s = run_batch(
            inputs, store, out, Settings(), batch, out / "run.jsonl", _name, None, pool,
            summary=False,
        )  # fmt: skip
    seconds = time.perf_counter() - t0
    c = s.counts
    return BatchBench(
        workers, len(inputs), c.pages, seconds, pool.peak_total_mib, c.failed,
        pool.peak_parent_mib,
    )  # fmt: skip


def _name(inp: Input) -> str:
    return hashlib.sha256(inp.key.encode()).hexdigest()[:16] + ".json"
