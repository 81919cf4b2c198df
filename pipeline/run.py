"""The pipeline's stages, in the order data flows through them.

read (text extraction | PDF text layer | OCR of a scan: render → prepare → grid → ocr)
→ identify → match → reconcile → export/store.
Each file's failure is recorded with the stage it happened in; the batch goes on.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.hashing import sha256_of
from pipeline.model.config import Settings
from pipeline.model.records import (
    Cell,
    DocResult,
    DocStatus,
    ErrorItem,
    Layout,
    ReaderKind,
    Stage,
    Status,
    Template,
)
from pipeline.read.pdf.camelot_lattice import MissingExtra, lattice_cells
from pipeline.read.route import SUFFIXES, page_count, read
from pipeline.recover.identify import identify, split_sections
from pipeline.recover.match import match_tables
from pipeline.recover.reconcile import reconcile, settle_alternatives
from pipeline.recover.second_opinion import second_opinion

STAGES = tuple(str(s) for s in Stage)
# the scan reader's own stages, timed inside "read"
SCAN_STAGES = ("render", "orient", "prepare", "grid", "ocr")


def process(
    path: Path,
    source: str | None = None,
    settings: Settings | None = None,
    template: Template | None = None,
    layout: Layout | None = None,
) -> DocResult:
    """Run one file through the stages; never raises for a bad file. ``template`` and
    ``layout``: a reviewer's choice, taken instead of what the filing tells (``identify``)."""
    src = source or str(path)
    try:
        digest = sha256_of(path)
    except OSError as e:
        return DocResult(
            src, "", DocStatus.FAILED, error=ErrorItem(Stage.READ, f"cannot read file: {e}")
        )
    limit = (settings or Settings()).max_pages
    count = page_count(path)
    if count is not None and count > limit:  # told from the headers, before a page is decoded
        why = f"{count} pages, over the limit of {limit} (setting max_pages)"
        return DocResult(src, digest, DocStatus.FAILED, error=ErrorItem(Stage.READ, why))
    stage = Stage.READ
    timings: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings.append((name, now - t0))
        t0 = now

    warnings: tuple[str, ...] = ()
    try:
        reading = read(path)
        lap("read")
        timings += reading.timings
        stage = Stage.IDENTIFY
        sections = split_sections(reading.rows)
        ident = identify(sections, reading.rows, template, layout)
        lap("identify")
        stage = Stage.MATCH
        matched = match_tables(sections, ident, reading.kind, settings)
        lap("match")
        stage = Stage.RECONCILE
        observed = settle_alternatives(ident, matched.cells, matched.alternatives, settings)
        cells, checks = reconcile(ident, observed, None, settings)
        lap("reconcile")
        if settings is not None and settings.second_opinion and reading.kind == ReaderKind.PDF:
            cells, note = _second_opinion(path, cells)
            lap("second_opinion")
            warnings += note
    except MissingExtra:
        raise  # not a bad file: the setting asks for what is not installed
    except Exception as e:  # noqa: BLE001 - recorded per file, the batch goes on
        error = ErrorItem(stage, f"{type(e).__name__}: {e}")
        return DocResult(src, digest, DocStatus.FAILED, error=error)
    review = sum(c.status == Status.REVIEW for c in cells)
    # warnings: parts not found
    warnings = matched.warnings + warnings
    status = DocStatus.PARTIAL if warnings or review else DocStatus.OK
    return DocResult(
        src,
        digest,
        status,
        identification=ident,
        cells=tuple(cells),
        checks=tuple(checks),
        warnings=warnings,
        reader=reading.kind,
        pages=reading.pages,
        timings=tuple(timings),
        observed=tuple(observed.values()),
    )


def _second_opinion(path: Path, cells: list[Cell]) -> tuple[list[Cell], tuple[str, ...]]:
    """Cells camelot reads otherwise sent to review, on the pages gongkai read them from.

    camelot failing on a file leaves the cells as they are, with a warning that they were not
    checked; the extra missing raises :class:`MissingExtra` (imported lazily, only here).
    """
    pages = {c.origin.page for c in cells if c.origin.page is not None}
    try:
        others = lattice_cells(path, pages)
    except MissingExtra:
        raise
    except Exception as e:  # noqa: BLE001 - the second opinion is extra; its failure is told
        return cells, (f"second opinion failed, cells not checked: {type(e).__name__}: {e}",)
    return list(second_opinion(cells, others)), ()


@dataclass(frozen=True)
class Input:
    """One input file as named or found, or a path that cannot be read (``problem`` says why)."""

    path: Path
    problem: str | None = None

    @property
    def key(self) -> str:
        """Its identity: the absolute path with the directories' symlinks resolved, the name kept.

        ``./x.pdf`` and ``/abs/x.pdf`` are one input; a link ``y.pdf -> x.pdf`` is another name.
        """
        return os.path.join(os.path.realpath(self.path.parent), self.path.name)

    @property
    def readable_name(self) -> bool:
        """Whether its name is that of a file gongkai reads (so it gets a JSON even if broken)."""
        return self.path.suffix.lower() in SUFFIXES


def missing(path: Path) -> str | None:
    """Why a named path does not exist (a plain phrase), or None when it does."""
    if os.path.exists(path):
        return None
    return _broken_link(path) or "no such file or directory"


def _broken_link(path: Path) -> str | None:
    """What is wrong with a symlink that cannot be followed, or None if it is not one."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symlink loop"
        return f"a dangling symlink to {os.readlink(path)!r}"
    return None


def gather(paths: list[Path]) -> list[Input]:
    """Files named, and the readable files under directories named, in a stable order.

    Directories are walked here (not ``rglob``) so that nothing is skipped silently: an
    unreadable directory, a dangling or looping symlink is an ``Input`` with a ``problem``.
    Symlinks to files and directories are followed; a directory link back to one of its own
    ancestors is reported, not followed. A file reached twice is listed once.
    """
    out: dict[str, Input] = {}
    for p in paths:
        if p.is_dir():
            _walk(p, frozenset({_inode(p.stat())}), out)
        else:
            inp = Input(p, _broken_link(p))
            out.setdefault(inp.key, inp)
    return list(out.values())


def _inode(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _walk(d: Path, ancestors: frozenset[tuple[int, int]], out: dict[str, Input]) -> None:
    try:
        with os.scandir(d) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as err:
        inp = Input(d, f"cannot list the directory: {err.strerror or err}")
        out.setdefault(inp.key, inp)
        return
    for entry in entries:
        p = Path(entry.path)
        try:
            st = p.stat()  # follows symlinks
        except OSError as err:
            inp = Input(p, _broken_link(p) or f"cannot read: {err.strerror or err}")
            out.setdefault(inp.key, inp)
            continue
        if stat.S_ISDIR(st.st_mode):
            if _inode(st) in ancestors:
                inp = Input(p, "a symlink loop: it leads back to a directory that contains it")
                out.setdefault(inp.key, inp)
            else:
                _walk(p, ancestors | {_inode(st)}, out)
        elif stat.S_ISREG(st.st_mode) and p.suffix.lower() in SUFFIXES:
            inp = Input(p)
            out.setdefault(inp.key, inp)


def collect(paths: list[Path]) -> list[Path]:
    """The readable files of :func:`gather` (problems left out), for the benchmark and notebooks."""
    return [i.path for i in gather(paths) if i.problem is None]


def failed_input(inp: Input) -> DocResult:
    """The record of an input that cannot be read at all (its problem, at the read stage)."""
    return DocResult(
        str(inp.path), "", DocStatus.FAILED, error=ErrorItem(Stage.READ, inp.problem or "")
    )
