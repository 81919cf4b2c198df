"""Archive-scale batches: inputs expanded and deduplicated by content, files run in worker
processes (or on a Dask cluster) under per-file time and memory limits, every result written
by this one parent process as soon as it comes back, so a killed batch resumes losing nothing
and redoing nothing."""

from pipeline.batch.core import BatchSummary, run_batch
from pipeline.batch.inputs import expand
from pipeline.batch.settings import BatchSettings, InvalidBatchSettings

__all__ = [
    "BatchSettings",
    "BatchSummary",
    "InvalidBatchSettings",
    "expand",
    "run_batch",
]
