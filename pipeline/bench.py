"""Benchmark: seconds per page, stage by stage, over a set of files.

Speed targets are met here, not in timed tests: timings on a shared VM vary run to run,
so each file is run ``repeat`` times after a warm-up and the median is kept.
"""

from __future__ import annotations

import resource
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.model.records import DocStatus
from pipeline.run import SCAN_STAGES, STAGES, process


@dataclass(frozen=True)
class BenchResult:
    files: int
    pages: int
    seconds_per_page: dict[str, float]  # per stage, plus "total"
    peak_mib: float  # the process's peak resident set size
    failed: tuple[str, ...]


def bench(paths: list[Path], repeat: int = 3) -> BenchResult:
    per_stage: dict[str, float] = defaultdict(float)
    pages = 0
    failed: list[str] = []
    for path in paths:
        process(path)  # warm-up
        runs = [process(path) for _ in range(repeat)]
        if runs[0].status == DocStatus.FAILED:
            failed.append(f"{path.name}: {runs[0].error}")
            continue
        pages += runs[0].pages or 1
        for stage in (*SCAN_STAGES, *STAGES):
            times = [dict(r.timings).get(stage) for r in runs]
            if all(t is not None for t in times):
                per_stage[stage] += statistics.median(t for t in times if t is not None)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    n = max(pages, 1)
    out = {k: v / n for k, v in per_stage.items()}
    out["total"] = sum(per_stage[s] for s in STAGES) / n  # "read" includes the scan stages
    return BenchResult(len(paths), pages, out, peak_kib / 1024, tuple(failed))
