"""One batch: plan (hash, dedupe, skip what is done), dispatch to workers, write results.

This process is the single writer: workers (local or on Dask) only read files and send
their ``DocResult`` back; here each file's JSON is written and its store record saved in one
transaction as soon as it returns, so a batch killed at any moment has lost at most the
files in flight, and a re-run skips every file stored with the same content and pipeline
version. A file the writer cannot record (the store refuses it, the disk is full, its JSON
cannot be written) fails alone; the batch goes on. Ctrl-C (or SIGTERM) stops dispatching,
lets the write in progress finish, stops the workers and reports.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from pipeline import run
from pipeline.batch.pool import Outcome, Pool, WorkerStartError
from pipeline.batch.report import Counts, Progress, show_summary
from pipeline.batch.runlog import RunLog
from pipeline.batch.settings import BatchSettings
from pipeline.batch.work import Job
from pipeline.model.config import Settings, pipeline_version
from pipeline.model.records import DocResult, DocStatus, ErrorItem, Stage, Status
from pipeline.run import Input, failed_input
from pipeline.store.db import Store
from pipeline.store.engine import StoreError
from pipeline.store.export import write_json
from pipeline.store.review import identification

log = logging.getLogger("gongkai")

# after a file is saved: re-apply reviewers' decisions to its document (the review desk's
# resettle, passed in by the CLI: the desk sits above the batch)
AfterSave = Callable[[Store, str, set[str]], bool]
# the JSON name an input gets in OUT (the CLI's claim on output names)
Namer = Callable[[Input], str]


class Runner(Protocol):
    """Where files run: local worker processes (:class:`Pool`) or a Dask cluster."""

    peak_total_mib: float

    def results(self, jobs: Iterator[Job], n_jobs: int) -> Generator[Outcome, None, None]: ...


@dataclass(frozen=True)
class BatchSummary:
    files: int
    counts: Counts
    pipeline_version: str
    interrupted: bool
    log_path: Path
    peak_total_mib: float
    error: str | None = None  # the batch could not go on (workers that die as they start)


@dataclass
class _Todo:
    """One content to process and every input path to record it under."""

    sha256: str
    inputs: list[Input]


class _Interrupt:
    """Ctrl-C and SIGTERM: raised at once, except during a write, where it waits for its end."""

    def __init__(self) -> None:
        self.hit = False
        self.writing = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.hit = True
        if not self.writing:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        self.writing = True
        try:
            yield
        finally:
            self.writing = False
        if self.hit:
            raise KeyboardInterrupt


def run_batch(
    inputs: list[Input],
    store: Store,
    out_dir: Path,
    settings: Settings,
    batch: BatchSettings,
    log_path: Path,
    namer: Namer,
    after_save: AfterSave | None = None,
    runner: Runner | None = None,
    summary: bool = True,
) -> BatchSummary:
    """Run every input (see the module docstring); ``runner`` defaults to local workers;
    ``summary``: show the counts at the end (on stderr)."""
    version = pipeline_version(settings)
    counts = Counts()
    runner = runner if runner is not None else Pool(batch)
    interrupted = False
    error = None
    with RunLog(log_path) as rl, _Interrupt() as stop:
        w = _Writer(store, out_dir, version, rl, counts, namer, after_save, stop)
        rl.write(
            "start", files=len(inputs), pipeline_version=version, settings=asdict(settings),
            batch=asdict(batch),
        )  # fmt: skip
        try:
            todo = _plan(inputs, store, version, batch.force, w)
            jobs = _jobs(todo, store, settings)
            by_id = {i: t for i, t in enumerate(todo)}
            with (
                Progress(len(todo), counts) as bar,
                contextlib.closing(runner.results(iter(jobs), len(jobs))) as outcomes,
            ):
                for outcome in outcomes:
                    w.record(by_id[outcome.job.id], outcome)
                    bar.advance()
        except KeyboardInterrupt:
            interrupted = True
            log.error("interrupted: no more files dispatched; every finished file is stored")
        except WorkerStartError as e:
            error = str(e)
            log.error("the batch stopped: %s", e)
        peak = runner.peak_total_mib
        rl.write(
            "end", files=len(inputs), ok=counts.ok, partial=counts.partial,
            failed=counts.failed, skipped=counts.skipped, cells=counts.cells,
            review=counts.review, pages=counts.pages, seconds=round(counts.wall, 3),
            peak_total_mib=round(peak, 1), pipeline_version=version, interrupted=interrupted,
            error=error,
        )  # fmt: skip
    if summary:
        show_summary(counts)
    return BatchSummary(len(inputs), counts, version, interrupted, log_path, peak, error)


def _plan(inputs: list[Input], store: Store, version: str, force: bool, w: _Writer) -> list[_Todo]:
    """Inputs that cannot be read are recorded now; the rest hashed (streaming), grouped by
    content, and those already done by this pipeline version skipped."""
    groups: dict[str, _Todo] = {}
    for inp in inputs:
        if inp.problem:
            w.unreadable(inp, failed_input(inp))
            continue
        try:
            digest = run.sha256_of(inp.path)  # streaming; the function process() uses
        except OSError as e:
            err = ErrorItem(Stage.READ, f"cannot read file: {e}")
            w.unreadable(inp, DocResult(str(inp.path), "", DocStatus.FAILED, error=err))
            continue
        if not force and store.done(inp.key, digest, version):
            w.skipped(inp, digest)
            continue
        groups.setdefault(digest, _Todo(digest, [])).inputs.append(inp)
    for t in groups.values():
        w.claim(t.inputs)
    return list(groups.values())


def _jobs(todo: list[_Todo], store: Store, settings: Settings) -> list[Job]:
    out = []
    for i, t in enumerate(todo):
        # a reviewer chose the template and layout for this content: extract with them
        with store.read() as db:
            chosen = identification(db, t.sha256)
        template, layout = chosen if chosen else (None, None)
        out.append(Job(i, str(t.inputs[0].path), t.sha256, settings, template, layout))
    return out


class _Writer:
    """The single writer: JSON, store and run log, one file at a time."""

    def __init__(
        self,
        store: Store,
        out_dir: Path,
        version: str,
        rl: RunLog,
        counts: Counts,
        namer: Namer,
        after_save: AfterSave | None,
        stop: _Interrupt,
    ) -> None:
        self.store, self.out_dir, self.version, self.rl = store, out_dir, version, rl
        self.counts, self.namer, self.after_save, self.stop = counts, namer, after_save, stop
        self.names: dict[str, str] = {}

    def claim(self, inputs: list[Input]) -> None:
        """Output names in input order, before any result returns (so they do not depend on
        which worker finishes first)."""
        for inp in inputs:
            self.names[inp.key] = self.namer(inp)

    def skipped(self, inp: Input, digest: str) -> None:
        self.counts.skipped += 1
        log.info("%s: skipped (done by this pipeline version)", inp.path)
        self.rl.write(
            "skipped", path=str(inp.path), resolved=inp.key, sha256=digest, status=None,
            pages=None, cells=None, review=None, seconds=0.0, peak_mib=None, error=None,
        )  # fmt: skip

    def unreadable(self, inp: Input, result: DocResult) -> None:
        if not inp.readable_name:  # a directory or a nameless link: no JSON, no record
            self._failed_line(inp, "", result.error.message if result.error else "")
            return
        self.names[inp.key] = self.namer(inp)
        self._write(inp, result, None, Outcome(_no_job(inp), result, 0.0))

    def record(self, todo: _Todo, outcome: Outcome) -> None:
        """The outcome under every path of its content (the first as processed, others as
        duplicates), and reviewers' decisions laid over it again."""
        first = todo.inputs[0]
        touched: set[str] = set()
        saved = False
        for n, inp in enumerate(todo.inputs):
            r = replace(outcome.result, source=str(inp.path))
            dup = str(first.path) if n else None
            got = self._write(inp, r, dup, outcome)
            saved |= got is not None and n == 0
            touched |= got or set()
        sha = outcome.result.sha256
        if saved and sha and self.after_save is not None:
            try:
                with self.stop.guard():
                    if self.after_save(self.store, sha, touched):
                        log.info("%s: reviewers' decisions applied again", first.path)
            except (StoreError, OSError) as e:
                log.error("%s: reviewers' decisions not applied again: %s", first.path, e)

    def _write(
        self, inp: Input, r: DocResult, dup: str | None, outcome: Outcome
    ) -> set[str] | None:
        """The JSON and the store row of one path; the documents the save reached (the
        cross-year check: their JSON to be rewritten), or None when it was not recorded."""
        name = self.names[inp.key]
        try:
            with self.stop.guard():
                path = write_json(r, self.out_dir, name.removesuffix(".json"), inp.key)
                touched = self.store.save(r, inp.key, str(path.resolve()), self.version)
        except (StoreError, OSError) as e:
            why = f"not recorded: {type(e).__name__}: {e}"
            self._failed_line(inp, r.sha256, why, outcome)
            return None
        review = sum(c.status == Status.REVIEW for c in r.cells)
        c = self.counts
        c.cells += len(r.cells)
        c.review += review
        if dup is None:
            c.pages += r.pages or 0
        error = f"{r.error.stage}: {r.error.message}" if r.error else None
        if r.status == DocStatus.FAILED:
            c.failed += 1
            assert r.error is not None
            log.error("%s: failed at %s: %s", inp.path, r.error.stage, r.error.message)
        else:
            c.ok += r.status == DocStatus.OK
            c.partial += r.status == DocStatus.PARTIAL
            also = f" (same content as {dup})" if dup else ""
            log.info(
                "%s: %s, %d cells, %d to review → %s%s",
                inp.path, r.status, len(r.cells), review, name, also,
            )  # fmt: skip
        self.rl.write(
            "failed" if r.status == DocStatus.FAILED else "done",
            path=str(inp.path), resolved=inp.key, sha256=r.sha256 or None, status=r.status,
            pages=r.pages, cells=len(r.cells), review=review, seconds=round(outcome.seconds, 3),
            peak_mib=_mib(outcome.peak_mib), error=error,
            **({"duplicate_of": dup} if dup else {}),
        )  # fmt: skip
        return touched

    def _failed_line(
        self, inp: Input, digest: str, why: str, outcome: Outcome | None = None
    ) -> None:
        self.counts.failed += 1
        log.error("%s: failed: %s", inp.path, why)
        self.rl.write(
            "failed", path=str(inp.path), resolved=inp.key, sha256=digest or None,
            status=str(DocStatus.FAILED), pages=None, cells=0, review=0,
            seconds=round(outcome.seconds, 3) if outcome else 0.0,
            peak_mib=_mib(outcome.peak_mib) if outcome else None, error=why,
        )  # fmt: skip


def _mib(v: float | None) -> float | None:
    return round(v, 1) if v is not None else None


def _no_job(inp: Input) -> Job:
    return Job(-1, str(inp.path), "", Settings())
