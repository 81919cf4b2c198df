"""Local worker processes with per-file limits, watched by the parent.

Each worker is long-lived (its OCR models load once) and reads one file at a time; the
parent sends it a :class:`Job` over a pipe and waits for the result. Between results the
parent polls each busy worker's clock and resident memory (RLIMIT_AS is not used: onnxruntime
and numpy reserve far more address space than they touch); a worker over a limit is killed
and replaced, and its file comes back failed with the reason. A worker that dies on its own
(a segfault, the OOM killer) fails its file the same way. Workers ignore Ctrl-C (the parent
decides) and die with the parent, even when it is SIGKILLed.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import psutil

from pipeline.batch.settings import BatchSettings
from pipeline.batch.work import Job, failed, work
from pipeline.model.records import DocResult
from pipeline.read.ocr import THREADS_ENV

MIB = 1 << 20
READY = "ready"
# workers that die before they are ready, in a row, before the batch gives up
MAX_FAILED_STARTS = 3


class WorkerStartError(RuntimeError):
    """Workers die as they start (a broken installation): no file could be run."""


@dataclass
class Outcome:
    """A file's result as it came back, with the wall time and peak memory it took."""

    job: Job
    result: DocResult
    seconds: float
    peak_mib: float | None = None


def _serve(conn: Connection, threads: int) -> None:
    """A worker's loop: a job in, a result out, until the parent closes the pipe. The
    recogniser's threads are the worker's share of the cores: two workers on two cores
    each with two threads ran no faster than one (bench --batch)."""
    os.environ.setdefault(THREADS_ENV, str(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    conn.send(READY)  # imported: a file's clock starts when it is sent, not before
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(work(job))


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the parent dies (a SIGKILLed batch leaves no orphans)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class _Worker:
    proc: Any  # a SpawnProcess
    conn: Connection
    ps: psutil.Process
    job: Job | None = None
    ready: bool = False
    started: float = 0.0
    peak: float = 0.0

    def rss_mib(self) -> float:
        try:
            return float(self.ps.memory_info().rss) / MIB
        except psutil.Error:
            return 0.0

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.join(5)
        self.conn.close()


@dataclass
class Pool:
    """``settings.workers`` processes (no more than there are jobs); see the module docstring."""

    settings: BatchSettings
    peak_total_mib: float = 0.0  # parent + workers, the largest sum sampled
    peak_parent_mib: float = 0.0  # the parent alone (the writer: flat in the number of files)
    _ctx: Any = field(default_factory=lambda: mp.get_context("spawn"))
    _workers: list[_Worker] = field(default_factory=list)

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        share = max(1, (os.cpu_count() or 1) // self.settings.workers)
        proc = self._ctx.Process(
            target=_serve, args=(child, share), daemon=True, name="gongkai-worker"
        )
        proc.start()
        child.close()
        w = _Worker(proc, parent, psutil.Process(proc.pid))
        self._workers.append(w)
        return w

    def _retire(self, w: _Worker) -> None:
        w.kill()
        self._workers.remove(w)

    def results(self, jobs: Iterator[Job], n_jobs: int) -> Generator[Outcome, None, None]:
        """Run the jobs, yielding each outcome as it finishes; workers stop when this ends
        (exhausted, closed, or interrupted)."""
        if n_jobs == 0:  # everything skipped: no worker to start
            return
        me = psutil.Process()
        failed_starts = 0
        try:
            for _ in range(min(self.settings.workers, n_jobs)):
                self._start()
            pending = True
            while True:
                if pending:
                    for w in [w for w in self._workers if w.ready and w.job is None]:
                        job = next(jobs, None)
                        if job is None:
                            pending = False
                            break
                        w.job, w.started, w.peak = job, time.monotonic(), w.rss_mib()
                        w.conn.send(job)
                busy = [w for w in self._workers if w.job is not None]
                if not busy and not pending:
                    return
                watched = busy + [w for w in self._workers if not w.ready]
                ready = wait(
                    [w.conn for w in watched] + [w.proc.sentinel for w in watched],
                    timeout=self.settings.poll_seconds,
                )
                for w in watched:
                    if w.conn not in ready and w.proc.sentinel not in ready:
                        continue
                    if w.ready:
                        yield self._collect(w)
                    elif self._started(w):
                        failed_starts = 0
                    else:
                        failed_starts += 1
                        if failed_starts >= MAX_FAILED_STARTS:
                            raise WorkerStartError(
                                f"{failed_starts} worker processes died as they started "
                                f"(exit code {w.proc.exitcode})"
                            )
                        self._start()
                yield from self._police([w for w in busy if w.job is not None], me)
        finally:
            for w in list(self._workers):
                self._retire(w)

    def _started(self, w: _Worker) -> bool:
        """A new worker's first message: ready, or (False) it died on the way."""
        try:
            w.ready = w.conn.recv() == READY
        except (EOFError, OSError):
            w.ready = False
        if not w.ready:
            self._retire(w)
        return w.ready

    def _collect(self, w: _Worker) -> Outcome:
        job = w.job
        assert job is not None
        seconds = time.monotonic() - w.started
        try:
            result: DocResult = w.conn.recv()
        except (EOFError, OSError):
            w.proc.join(1)
            code = w.proc.exitcode
            self._retire(w)
            self._start()
            why = f"the worker died (exit code {code})" + (
                f", killed by signal {-code}" if code is not None and code < 0 else ""
            )
            return Outcome(job, failed(job, why), seconds, w.peak)
        w.job = None
        return Outcome(job, result, seconds, max(w.peak, w.rss_mib()))

    def _police(self, busy: list[_Worker], me: psutil.Process) -> Iterator[Outcome]:
        """Kill and replace workers over a limit; sample memory for the peaks."""
        now = time.monotonic()
        total = float(me.memory_info().rss) / MIB
        self.peak_parent_mib = max(self.peak_parent_mib, total)
        for w in list(busy):
            job = w.job
            assert job is not None
            rss = w.rss_mib()
            total += rss
            w.peak = max(w.peak, rss)
            why = None
            if now - w.started > self.settings.time_limit:
                why = f"time limit: {self.settings.time_limit:g} s exceeded"
            elif rss > self.settings.memory_limit_mib:
                why = f"memory limit: {self.settings.memory_limit_mib} MiB exceeded"
            if why:
                self._retire(w)
                self._start()
                yield Outcome(job, failed(job, why), now - w.started, w.peak)
        for w in self._workers:
            if w.job is None:
                total += w.rss_mib()
        self.peak_total_mib = max(self.peak_total_mib, total)
