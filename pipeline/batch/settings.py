"""The batch's own settings (how files are run, not how they are read: that is ``Settings``)."""

from __future__ import annotations

import os
from dataclasses import dataclass


class InvalidBatchSettings(ValueError):
    """A batch setting is out of range."""


@dataclass(frozen=True)
class BatchSettings:
    # worker processes, each reading one file at a time (models are loaded once per worker)
    workers: int = os.cpu_count() or 1
    # a file still running after this many seconds fails and its worker is replaced
    time_limit: float = 600.0
    # a worker whose resident memory passes this fails its file and is replaced
    memory_limit_mib: int = 4096
    # redo files already stored with the same content and pipeline version
    force: bool = False
    # how often the parent looks at its workers' clocks and memory
    poll_seconds: float = 0.1
    # a Dask scheduler (tcp://host:8786) to run the files on instead of local workers
    dask: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int):
            raise InvalidBatchSettings(f"workers must be an integer: {self.workers!r}")
        if self.workers < 1:
            raise InvalidBatchSettings(f"workers must be at least 1: {self.workers}")
        if not self.time_limit > 0:
            raise InvalidBatchSettings(f"time limit must be positive: {self.time_limit}")
        if self.memory_limit_mib < 64:
            raise InvalidBatchSettings(
                f"memory limit must be at least 64 MiB: {self.memory_limit_mib}"
            )
        if not 0 < self.poll_seconds <= 5:
            raise InvalidBatchSettings(f"poll_seconds must be in (0, 5]: {self.poll_seconds}")
