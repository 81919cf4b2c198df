"""The ``gongkai`` command: a thin layer over run.py."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.bench import bench
from pipeline.model.config import Settings
from pipeline.model.records import DocStatus, Layout, Status, Template
from pipeline.read.pdf.camelot_lattice import INSTALL_HINT
from pipeline.read.pdf.camelot_lattice import available as camelot_available
from pipeline.read.route import IMAGE_SUFFIXES
from pipeline.run import SCAN_STAGES, Input, collect, failed_input, gather, missing, process
from pipeline.store.export import output_name, write_json

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
    help=f"Extract the tables of every {_KINDS} file in PATHS (files, or directories searched "
    "recursively, following symlinks): OUT/<stem>.json per file (another name when two inputs "
    "share a stem) and a store of all files and results. A path that cannot be read counts as "
    "a failed file; the exit code is 1 when any file failed."
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
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
    "--second-opinion",
    type=click.Choice(["camelot"]),
    default=None,
    help="Also read the ruled tables of born-digital PDFs with camelot (lattice) and send "
    "the cells it reads otherwise to review (needs: pip install 'gongkai[camelot]').",
)
def extract(
    paths: tuple[Path, ...], out_dir: Path, db_url: str | None, second_opinion: str | None
) -> None:
    if second_opinion == "camelot" and not camelot_available():
        raise BadArgument(f"--second-opinion camelot needs the extra: {INSTALL_HINT}")
    settings = Settings(second_opinion=second_opinion)
    for p in paths:
        why = missing(p)
        if why:
            raise BadArgument(f"PATH {str(p)!r}: {why}")
    if db_url is not None:
        _check_url(db_url)
    _check_out(out_dir)
    store = _open(db_url or out_dir / "gongkai.sqlite")
    inputs = gather(list(paths))
    if not inputs:
        store.close()
        raise click.UsageError(f"no {_KINDS} files found in the given paths")
    from pipeline.review.desk import resettle, rewrite_others

    n_cells = n_review = n_failed = 0
    names = _Names(out_dir, store)
    with store:
        for inp in inputs:
            if inp.problem and not inp.readable_name:  # a directory or a nameless link
                n_failed += 1
                log.error("%s: failed: %s", inp.path, inp.problem)
                continue
            result = failed_input(inp) if inp.problem else process(inp.path, settings=settings)
            if result.sha256 and (chosen := _chosen(store, result.sha256)):
                # a reviewer chose the template and layout for this content: extract with them
                result = process(inp.path, settings=settings, template=chosen[0], layout=chosen[1])
            name = names.claim(inp)
            path = write_json(result, out_dir, name.removesuffix(".json"), inp.key)
            touched = store.save(result, inp.key, str(path.resolve()))
            if result.sha256 and resettle(store, result.sha256):
                log.info("%s: reviewers' decisions applied again", inp.path)
            if touched:  # the organ's neighbouring years checked against this one
                rewrite_others(store, touched)
            review = sum(c.status == Status.REVIEW for c in result.cells)
            n_cells += len(result.cells)
            n_review += review
            if result.status == DocStatus.FAILED:
                n_failed += 1
                assert result.error is not None
                log.error(
                    "%s: failed at %s: %s", inp.path, result.error.stage, result.error.message
                )
            else:
                log.info(
                    "%s: %s, %d cells, %d to review → %s",
                    inp.path,
                    result.status,
                    len(result.cells),
                    review,
                    name,
                )
    click.echo(
        f"files: {len(inputs)}  cells: {n_cells}  review cells: {n_review}  "
        f"failed files: {n_failed}"
    )
    if n_failed:
        sys.exit(1)


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
    variants: str | None,
    docs: int,
    seed: int,
    keep: Path | None,
    errors: int,
) -> None:
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


def _default_files() -> list[Path]:
    devset = _DEVSET / "pdf"
    return sorted(devset.glob("*.digital.pdf")) + sorted(devset.glob("*.borderless.pdf"))


_DEVSET = Path(__file__).resolve().parent.parent.parent / "shared" / "devset"


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
