"""Running the files on an existing Dask cluster (``--dask tcp://host:8786``).

Dask is an optional extra (``pip install 'gongkai[dask]'``), imported only here and only when
asked for. Results come back to the same parent, the single writer. The time limit is the
parent's, counted from when a file is handed to the cluster (no more files are in flight than
the cluster has threads, so that is about when it starts); a file over it fails and its
task is cancelled (Dask cannot stop a running task: its thread finishes it in vain). Memory
is the cluster's to limit (its nannies' ``memory_limit``): a file whose worker was killed
fails with Dask's reason.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import Any

from pipeline.batch.pool import Outcome
from pipeline.batch.settings import BatchSettings
from pipeline.batch.work import Job, failed, work

INSTALL_HINT = "pip install 'gongkai[dask]'"


class ClusterError(Exception):
    """Dask is not installed, or the scheduler cannot be reached."""


def connect(address: str, timeout: float = 5.0) -> Any:
    """A ``dask.distributed.Client`` on the scheduler at ``address``, or a one-line error."""
    try:
        from dask.distributed import Client
    except ImportError as e:
        raise ClusterError(f"--dask needs the extra: {INSTALL_HINT} ({e})") from e
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {e}") from e


class DaskRunner:
    """Jobs as Dask tasks; see the module docstring."""

    def __init__(self, client: Any, settings: BatchSettings) -> None:
        self.client, self.settings = client, settings
        self.peak_total_mib = 0.0  # not measured on a cluster

    def results(self, jobs: Iterator[Job], n_jobs: int) -> Generator[Outcome, None, None]:
        window = max(sum(self.client.nthreads().values()), 1)
        inflight: dict[Any, tuple[Job, float]] = {}
        pending = True
        try:
            while True:
                while pending and len(inflight) < window:
                    job = next(jobs, None)
                    if job is None:
                        pending = False
                        break
                    fut = self.client.submit(work, job, pure=False)
                    inflight[fut] = (job, time.monotonic())
                if not inflight:
                    return
                if not any(f.done() for f in inflight):
                    time.sleep(self.settings.poll_seconds)
                for fut in [f for f in inflight if f.done()]:
                    job, t0 = inflight.pop(fut)
                    yield self._outcome(fut, job, time.monotonic() - t0)
                now = time.monotonic()
                for fut, (job, t0) in list(inflight.items()):
                    if now - t0 > self.settings.time_limit:
                        del inflight[fut]
                        fut.cancel()
                        why = f"time limit: {self.settings.time_limit:g} s exceeded"
                        yield Outcome(job, failed(job, why), now - t0)
        finally:
            for fut in inflight:
                fut.cancel()

    @staticmethod
    def _outcome(fut: Any, job: Job, seconds: float) -> Outcome:
        try:
            return Outcome(job, fut.result(), seconds)
        except Exception as e:  # noqa: BLE001 - a killed worker (KilledWorker), a lost task
            return Outcome(
                job, failed(job, f"on the Dask cluster: {type(e).__name__}: {e}"), seconds
            )
