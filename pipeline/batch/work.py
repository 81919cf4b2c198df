"""What a worker does with one file: the job it is sent and the result it sends back.

Both cross process boundaries by pickle (``DocResult`` is frozen dataclasses, enums and
tuples: it pickles losslessly, ``observed`` included, which the store needs).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.model.config import Settings
from pipeline.model.records import DocResult, DocStatus, ErrorItem, Layout, Stage, Template
from pipeline.run import process

# TEST ONLY: "sleep:<name part>:<seconds>" or "alloc:<name part>:<MiB>" makes a worker sleep, or
# take memory, on files whose name contains <name part>, so that tests can reach the limits
TEST_HOOK = "GONGKAI_TEST_WORKER_HOOK"


@dataclass(frozen=True)
class Job:
    """One content to process: a representative path, and a reviewer's template and layout."""

    id: int
    path: str
    sha256: str
    settings: Settings
    template: Template | None = None
    layout: Layout | None = None


def work(job: Job) -> DocResult:
    """Process one file; never raises (a bug is a failed file, not a dead worker)."""
    try:
        _test_hook(job.path)
        return process(Path(job.path), job.path, job.settings, job.template, job.layout)
    except Exception as e:  # noqa: BLE001 - reported as the file's failure
        return failed(job, f"{type(e).__name__}: {e}")


def failed(job: Job, why: str) -> DocResult:
    """The record of a file the batch gave up on (a limit, a dead worker)."""
    return DocResult(job.path, job.sha256, DocStatus.FAILED, error=ErrorItem(Stage.READ, why))


def _test_hook(path: str) -> None:
    spec = os.environ.get(TEST_HOOK)
    if not spec:
        return
    kind, part, amount = spec.split(":", 2)
    if part not in Path(path).name:
        return
    if kind == "sleep":
        time.sleep(float(amount))
    elif kind == "alloc":
        hold = []
        for _ in range(int(amount) // 16):
            hold.append(b"x" * (16 << 20))  # written: resident, not just reserved
            time.sleep(0.01)
        time.sleep(2)
