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
from pipeline.cli.bench import bench_cmd
from pipeline.cli.common import BadArgument
from pipeline.model.config import Settings
from pipeline.model.records import DocStatus, Layout, Template
from pipeline.read.pdf.camelot_lattice import INSTALL_HINT
from pipeline.read.pdf.camelot_lattice import available as camelot_available
from pipeline.read.route import IMAGE_SUFFIXES
from pipeline.run import Input
from pipeline.store.export import output_name

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported by the commands that use it
    from pipeline.store.db import Store

log = logging.getLogger("gongkai")

_KINDS = f".txt, .md, .pdf and image ({'/'.join(IMAGE_SUFFIXES)})"


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


main.add_command(bench_cmd)
