"""The ``gongkai`` command: a thin layer over run.py."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from pipeline.batch import BatchSettings, expand, run_batch
from pipeline.batch.inputs import BadInput
from pipeline.batch.runlog import default_path
from pipeline.bench import bench
from pipeline.model.config import Settings
from pipeline.model.records import DocStatus, Layout, Template
from pipeline.read.pdf.camelot_lattice import INSTALL_HINT
from pipeline.read.pdf.camelot_lattice import available as camelot_available
from pipeline.read.route import IMAGE_SUFFIXES
from pipeline.run import SCAN_STAGES, Input, collect
from pipeline.store.export import output_name

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported by the commands that use it
    from pipeline.store.db import Store

log = logging.getLogger("gongkai")

_KINDS = f".txt, .md, .pdf and image ({'/'.join(IMAGE_SUFFIXES)})"


class BadArgument(click.ClickException):
    """An argument that stops the run before any file is read: one line, exit 2."""

    exit_code = 2


@click.group()
@click.version_option(package_name="gongkai")
def main() -> None:
    """Recover the standard tables of 政府信息公开工作年度报告 as clean matrices."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


@main.command(
    help=f"Extract the tables of every {_KINDS} file in PATHS (files, directories searched "
    "recursively following symlinks, or quoted glob patterns such as 'archive/**/*.pdf'): "
    "OUT/<stem>.json per file (another name when two inputs share a stem) and a store of all "
    "files and results. Each file runs in a worker process under a time and a memory limit and "
    "is stored as soon as it is done; a file already stored with the same content by the same "
    "pipeline version is skipped (--force redoes it), so a killed batch resumes where it was. "
    "The same content under two paths is read once and recorded under both. A path that "
    "cannot be read counts as a failed file; the exit code is 1 when any file failed, 130 "
    "when interrupted."
)
@click.argument("paths", nargs=-1, type=str)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory for <stem>.json (created if missing).",
)
@click.option(
    "--db", "db_url", default=None, help="Store URL (default: sqlite file OUT/gongkai.sqlite)."
)
@click.option(
    "--from-list",
    "from_list",
    default=None,
    metavar="FILE",
    help="Also the paths listed in FILE, one per line ('-': standard input; blank lines and "
    "# comments skipped; a listed path that does not exist is a failed file).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help=f"Worker processes [default: the number of CPUs, {os.cpu_count()}].",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=600,
    show_default=True,
    help="Seconds a file may take; past it the file fails and its worker is replaced.",
)
@click.option(
    "--memory-limit",
    "memory_limit",
    type=click.IntRange(min=64),
    default=4096,
    show_default=True,
    help="MiB of resident memory a worker may use on a file; past it the file fails and "
    "the worker is replaced.",
)
@click.option("--force", is_flag=True, help="Redo files already done by this pipeline version.")
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The run log, JSON lines, one per file (default: OUT/runs/<UTC time>.jsonl).",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=Settings().max_pages,
    show_default=True,
    help="A file with more pages fails, told from its page count before any page is decoded.",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="tcp://HOST:8786",
    help="Run the files on this Dask scheduler's workers (needs: pip install 'gongkai[dask]').",
)
@click.option(
    "--second-opinion",
    type=click.Choice(["camelot"]),
    default=None,
    help="Also read the ruled tables of born-digital PDFs with camelot (lattice) and send "
    "the cells it reads otherwise to review (needs: pip install 'gongkai[camelot]').",
)
def extract(
    paths: tuple[str, ...],
    out_dir: Path,
    db_url: str | None,
    from_list: str | None,
    workers: int | None,
    time_limit: float,
    memory_limit: int,
    force: bool,
    log_path: Path | None,
    max_pages: int,
    dask_address: str | None,
    second_opinion: str | None,
) -> None:
    if not paths and from_list is None:
        raise click.UsageError("name some PATHS or --from-list FILE")
    if second_opinion == "camelot" and not camelot_available():
        raise BadArgument(f"--second-opinion camelot needs the extra: {INSTALL_HINT}")
    settings = Settings(second_opinion=second_opinion, max_pages=max_pages)
    batch = BatchSettings(
        workers=workers or os.cpu_count() or 1,
        time_limit=time_limit,
        memory_limit_mib=memory_limit,
        force=force,
        dask=dask_address,
    )
    try:
        inputs = expand(paths, from_list)
    except BadInput as e:
        raise BadArgument(str(e)) from e
    if db_url is not None:
        _check_url(db_url)
    _check_out(out_dir)
    if not inputs:
        raise click.UsageError(f"no {_KINDS} files found in the given paths")
    runner = _dask_runner(dask_address, batch) if dask_address else None
    store = _open(db_url or out_dir / "gongkai.sqlite")
    names = _Names(out_dir, store)
    try:
        with store:
            summary = run_batch(
                inputs, store, out_dir, settings, batch, log_path or default_path(out_dir),
                names.claim, _after_save, runner,
            )  # fmt: skip
    finally:
        if runner is not None:
            runner.client.close()
    c = summary.counts
    click.echo(
        f"files: {summary.files}  cells: {c.cells}  review cells: {c.review}  "
        f"failed files: {c.failed}  skipped: {c.skipped}"
    )
    if summary.interrupted:
        sys.exit(130)
    if c.failed or summary.error:
        sys.exit(1)


def _after_save(store: Store, sha256: str, touched: set[str]) -> bool:
    """After a file is stored: reviewers' decisions laid over it again, and the JSON of the
    documents the cross-year check reached rewritten (the desk sits above the batch)."""
    from pipeline.review.desk import resettle, rewrite_others

    applied = resettle(store, sha256)
    rewrite_others(store, touched)
    return applied


def _dask_runner(address: str, batch: BatchSettings) -> Any:
    from pipeline.batch.cluster import ClusterError, DaskRunner, connect

    try:
        return DaskRunner(connect(address), batch)
    except ClusterError as e:
        raise BadArgument(str(e)) from e


def _check_out(out_dir: Path) -> None:
    """The output directory exists (or is made) and takes a file, before any work is done."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BadArgument(f"--out {str(out_dir)!r} is a file, not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".gongkai-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise BadArgument(f"--out {str(out_dir)!r} is not writable: {e.strerror or e}") from e


def _chosen(store: Store, sha256: str) -> tuple[Template, Layout] | None:
    from pipeline.store.review import identification

    with store.read() as db:
        return identification(db, sha256)


def _check_url(url: str) -> None:
    from pipeline.store.engine import UnsupportedStore, store_url

    try:
        store_url(url)
    except UnsupportedStore as e:
        raise BadArgument(f"--db: {e}") from e


def _open(url: str | Path) -> Store:
    from pipeline.store.db import open_store
    from pipeline.store.engine import StoreError, UnsupportedStore

    try:
        return open_store(url)
    except (UnsupportedStore, StoreError) as e:
        raise BadArgument(f"--db: {e}") from e


class _Names:
    """The output names of one run: :func:`pipeline.store.export.output_name` with what is taken."""

    def __init__(self, out_dir: Path, store: Store) -> None:
        self.out_dir, self.store = out_dir, store
        self.claimed: set[str] = set()

    def claim(self, inp: Input) -> str:
        name = output_name(inp.path, inp.key, lambda n: self._taken(n, inp.key))
        self.claimed.add(name)
        return name

    def _taken(self, name: str, key: str) -> bool:
        """Whether ``name`` belongs to another input: claimed in this run, or written for another.

        Who wrote an existing file: the store's record, else the file's own ``"input"`` (or,
        from before that field, its ``"source"``); a file that says neither is not ours.
        """
        if name in self.claimed:
            return True
        path = self.out_dir / name
        if not os.path.lexists(path):
            return False
        owner = self.store.owner_of(str(path.resolve()))
        if owner is None:
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                owner = doc.get("input") or os.path.abspath(doc["source"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                return True
        return owner != key


@main.command("files")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="An extract's OUT.")
@click.option("--db", "db_url", default=None, help="Store URL (default: OUT/gongkai.sqlite).")
@click.option("--failed", "only_failed", is_flag=True, help="Only the files that failed.")
def files_cmd(out_dir: Path | None, db_url: str | None, only_failed: bool) -> None:
    """List the input files in the store: status, sha256, path, JSON written, error."""
    if db_url is None and out_dir is None:
        raise BadArgument("name the store: --out DIR or --db URL")
    url = db_url or (out_dir or Path()) / "gongkai.sqlite"
    if db_url is None and not Path(url).exists():
        raise BadArgument(f"no store at {str(url)!r}")
    with _open(url) as store:
        rows = store.files()
    for f in rows:
        if only_failed and f.status != DocStatus.FAILED:
            continue
        error = f"  {f.error_stage}: {f.error_message}" if f.error_stage else ""
        output = Path(f.output).name if f.output else "-"
        click.echo(f"{f.status:8s} {(f.sha256 or '-')[:12]:12s} {f.path}  → {output}{error}")
    failed = sum(f.status == DocStatus.FAILED for f in rows)
    click.echo(f"files: {len(rows)}  failed: {failed}")


@main.command(
    "bench",
    help="Milliseconds per page, stage by stage, median of --repeat runs per file after a "
    "warm-up (default files: the devset's born-digital PDFs). 'read' includes the scan "
    f"reader's own stages ({', '.join(SCAN_STAGES)}), shown indented under it; 'total' is the "
    "sum of the top-level stages.",
)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--repeat", default=3, show_default=True, help="Timed runs per file (median kept).")
@click.option(
    "--review",
    "review_cells",
    type=click.IntRange(min=1),
    default=None,
    help="Instead: the review desk's latency over a synthetic store with this many cells to "
    "review (median of 15 requests of the queue's first page and of a crop).",
)
@click.option(
    "--batch",
    "as_batch",
    is_flag=True,
    help="Instead: whole batches (gongkai extract's workers), files/s and pages/s for each "
    "--workers count, and the peak memory of the parent and workers together (default "
    "files: the devset's scans).",
)
@click.option(
    "--workers",
    "workers_list",
    default="1,2",
    show_default=True,
    help="With --batch: the worker counts to compare, comma-separated.",
)
@click.option(
    "--files",
    "sizes",
    default=None,
    help="With --batch: batch sizes, comma-separated (e.g. 20,200): the files cycled as "
    "copies with distinct bytes to that many, to show memory is flat in the number of files.",
)
@click.option(
    "--variants",
    "variants",
    is_flag=False,
    flag_value="all",
    default=None,
    metavar="[NAMES]",
    help="Instead: accuracy on hard copies made from the devset's PDFs (comma-separated: "
    "rotated, skewed, photo, onebit, lowres, marked, borderless_scan, screenshot, and 'scan' "
    "for the devset's own scans; no value: all). Per variant: cells right, silent errors, "
    "review share, s/page and the stages.",
)
@click.option(
    "--calibrate",
    is_flag=True,
    help="Instead: does confidence predict correctness? Every cell of the devset's scans "
    "(and of the hard copies named by --variants) joined with its truth, binned by "
    "confidence: cells, share right, ok/inferred/review, silent; then the ok threshold it "
    "gives. PATHS, if any: results already written by `gongkai extract` (JSON files or "
    "folders), graded without extracting again.",
)
@click.option(
    "--docs",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="With --variants: devset filings per variant (0: all).",
)
@click.option("--seed", default=0, show_default=True, help="With --variants: the copies' seed.")
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --variants: write the hard copies here instead of a temp dir.",
)
@click.option(
    "--errors", default=0, show_default=True, help="With --variants: silent cells listed."
)
def bench_cmd(
    paths: tuple[Path, ...],
    repeat: int,
    review_cells: int | None,
    as_batch: bool,
    workers_list: str,
    sizes: str | None,
    variants: str | None,
    docs: int,
    seed: int,
    keep: Path | None,
    errors: int,
    calibrate: bool,
) -> None:
    if calibrate:
        _calibrate(paths, variants, docs, seed)
        return
    if as_batch:
        _bench_batch(paths, _numbers("--workers", workers_list), sizes)
        return
    if variants is not None:
        _bench_variants(variants, docs, seed, keep, errors)
        return
    if review_cells is not None:
        from pipeline.review.bench import run

        rb = run(review_cells)
        click.echo(
            f"review cells: {rb.review_cells} in {rb.documents} documents "
            f"(store built in {rb.build_seconds:.1f} s)"
        )
        click.echo(f"  queue, first page  {rb.queue_ms:8.1f} ms (median of {rb.requests})")
        click.echo(f"  crop of a cell     {rb.crop_ms:8.1f} ms (median of {rb.requests})")
        return
    files = collect(list(paths)) if paths else _default_files()
    if not files:
        raise click.UsageError("no files to benchmark: name some PDFs")
    r = bench(files, repeat)
    click.echo(f"files: {r.files}  pages: {r.pages}  peak RSS: {r.peak_mib:.0f} MiB")
    per_page = r.seconds_per_page
    for stage, sec in per_page.items():
        if stage in SCAN_STAGES:
            continue
        click.echo(f"  {stage:10s} {sec * 1000:8.1f} ms/page")
        if stage == "read":
            for sub in SCAN_STAGES:
                if sub in per_page:
                    click.echo(f"    {sub:8s} {per_page[sub] * 1000:8.1f} ms/page")
    for f in r.failed:
        click.echo(f"  failed: {f}")


def _numbers(option: str, text: str) -> list[int]:
    try:
        out = [int(t) for t in text.split(",") if t.strip()]
    except ValueError as e:
        raise BadArgument(f"{option} {text!r}: comma-separated whole numbers, e.g. 1,2") from e
    if not out or min(out) < 1:
        raise BadArgument(f"{option} {text!r}: comma-separated numbers of at least 1")
    return out


def _bench_batch(paths: tuple[Path, ...], workers: list[int], sizes: str | None) -> None:
    from pipeline.batch.bench import bench_batch

    files = collect(list(paths)) if paths else _devset("*.scan.pdf")
    if not files:
        raise click.UsageError("no files to benchmark: name some files")
    counts = _numbers("--files", sizes) if sizes else None
    for r in bench_batch(files, workers, counts):
        click.echo(
            f"files: {r.files:5d}  workers: {r.workers}  pages: {r.pages:5d}  "
            f"{r.seconds:7.1f} s  {r.files_per_second:6.2f} files/s  "
            f"{r.pages_per_second:6.2f} pages/s  peak RSS (parent + workers): "
            f"{r.peak_mib:6.0f} MiB (parent {r.parent_mib:.0f})"
            + (f"  failed: {r.failed}" if r.failed else "")
        )


def _devset(pattern: str) -> list[Path]:
    return sorted((_DEVSET / "pdf").glob(pattern))


def _default_files() -> list[Path]:
    return _devset("*.digital.pdf") + _devset("*.borderless.pdf")


_DEVSET = Path(__file__).resolve().parent.parent.parent / "shared" / "devset"


def _calibrate(paths: tuple[Path, ...], spec: str | None, docs: int, seed: int) -> None:
    from pipeline.hardcopy import calibrate

    try:
        lines = calibrate.main(_DEVSET, paths, spec, docs, seed, Settings(), log.info)
    except ValueError as e:
        raise BadArgument(f"--calibrate: {e}") from e
    for line in lines:
        click.echo(line)


def _bench_variants(spec: str, docs: int, seed: int, keep: Path | None, errors: int) -> None:
    from pipeline.hardcopy import bench as hb

    try:
        chosen = hb.names(spec)
    except ValueError as e:
        raise BadArgument(f"--variants: {e}") from e
    if not (_DEVSET / "truth").is_dir():
        raise BadArgument(f"--variants needs the devset at {_DEVSET}")
    runs = hb.run(chosen, _DEVSET, docs, seed, keep, progress=log.info)
    for line in hb.report(runs, errors):
        click.echo(line)


@main.command(
    help="Serve the reviewer's desk over the store: a local web page with the queue of cells "
    "to review, keyboard first. Any host but 127.0.0.1 needs an access token."
)
@click.option("--db", "db_url", default="out/gongkai.sqlite", show_default=True, help="Store URL.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--reviewer", default=None, help="Name in the audit trail (default: the user).")
@click.option(
    "--token",
    envvar="GONGKAI_REVIEW_TOKEN",
    default=None,
    help="Access token required on every request (env GONGKAI_REVIEW_TOKEN); needed off 127.0.0.1.",
)
def review(db_url: str, host: str, port: int, reviewer: str | None, token: str | None) -> None:
    import getpass

    from pipeline.review.server import LOOPBACK, serve
    from pipeline.store.engine import sqlite_file, store_url

    _check_url(db_url)
    path = sqlite_file(store_url(db_url))
    if path is not None and not path.is_file():
        raise BadArgument(f"--db {db_url!r}: no store there (run gongkai extract first)")
    target: str | Path = path if path is not None else db_url
    _open(target).close()  # a gongkai store, migrated to this version
    if host not in LOOPBACK and not token:
        raise BadArgument(f"--host {host}: serving off 127.0.0.1 needs --token")
    server = serve(target, host, port, reviewer or getpass.getuser(), token)
    h, p = server.server_address[:2]
    shown = h.decode() if isinstance(h, bytes) else h
    click.echo(f"reviewing {target} at http://{shown}:{p}/" + (f"?token={token}" if token else ""))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command(
    "export",
    help="Write the store's documents as one table for analysts: --shape long (a row per cell: "
    "document, keys, Chinese labels, value, status, confidence, reason, suggestion, page, bbox, "
    "line) or wide (a row per document, a column per cell key table.row.col in contract order); "
    "parquet and CSV hold that table, xlsx also a sheet per table as the filings print it with "
    "doubtful cells coloured. Counts are integers, amounts exact decimals; reviewers' "
    "corrections are included (status corrected). Needs the extra: pip install 'gongkai[export]'.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="An extract's OUT.")
@click.option("--db", "db_url", default=None, help="Store URL (default: OUT/gongkai.sqlite).")
@click.option(
    "--to",
    "to_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The file to write (replaced if it exists).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv", "xlsx"]),
    default=None,
    help="Default: --to's suffix.",
)
@click.option("--shape", type=click.Choice(["long", "wide"]), default="long", show_default=True)
@click.option(
    "--all-versions", is_flag=True, help="Every stored version, not only the current ones."
)
def export_cmd(
    out_dir: Path | None,
    db_url: str | None,
    to_path: Path,
    fmt: str | None,
    shape: str,
    all_versions: bool,
) -> None:
    from pipeline import exports

    if db_url is None and out_dir is None:
        raise BadArgument("name the store: --out DIR or --db URL")
    chosen = fmt or exports.format_of(to_path)
    if chosen is None:
        raise BadArgument(f"--to {str(to_path)!r}: say --format ({', '.join(exports.FORMATS)})")
    if lacking := exports.missing(chosen):
        raise BadArgument(f"--format {chosen} needs {', '.join(lacking)}: {exports.INSTALL_HINT}")
    if to_path.is_dir() or not to_path.parent.is_dir():
        why = "is a directory" if to_path.is_dir() else "is in no existing directory"
        raise BadArgument(f"--to {str(to_path)!r} {why}")
    if db_url is not None:
        _check_url(db_url)
    url = db_url or str((out_dir or Path()) / "gongkai.sqlite")
    local = url.removeprefix("sqlite:///")
    if "://" not in local and not Path(local).exists():  # exporting never creates a store
        raise BadArgument(f"no store at {local!r}")
    with _open(url) as store:
        try:
            s = exports.export(
                store,
                to_path,
                cast(exports.Format, chosen),
                cast(exports.Shape, shape),
                all_versions,
            )
        except exports.ExportError as e:
            raise click.ClickException(str(e)) from e
    click.echo(
        f"documents: {s.documents}  cells: {s.cells}  rows: {s.rows}  columns: {s.columns}"
        f"  → {to_path}"
    )
