"""The ``gongkai`` command: a thin layer over run.py."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from pipeline.bench import bench
from pipeline.model.records import DocStatus, Status
from pipeline.run import collect, process
from pipeline.store.export import write_json
from pipeline.store.sqlite import open_store

log = logging.getLogger("gongkai")


def _stem(path: Path) -> str:
    return path.name.rsplit(".", 1)[0] if "." in path.name else path.name


@click.group()
@click.version_option(package_name="gongkai")
def main() -> None:
    """Recover the standard tables of 政府信息公开工作年度报告 as clean matrices."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory for <stem>.json.",
)
@click.option(
    "--db", "db_url", default=None, help="Store URL (default: sqlite file OUT/gongkai.sqlite)."
)
def extract(paths: tuple[Path, ...], out_dir: Path, db_url: str | None) -> None:
    """Extract the tables of every .txt/.pdf file in PATHS (files or directories)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = collect(list(paths))
    if not files:
        raise click.UsageError("no .txt or .pdf files found in the given paths")
    n_cells = n_review = n_failed = 0
    with open_store(db_url or out_dir / "gongkai.sqlite") as store:
        for f in files:
            result = process(f)
            write_json(result, out_dir, _stem(f))
            store.save(result)
            review = sum(c.status == Status.REVIEW for c in result.cells)
            n_cells += len(result.cells)
            n_review += review
            if result.status == DocStatus.FAILED:
                n_failed += 1
                assert result.error is not None
                log.error("%s: failed at %s: %s", f, result.error.stage, result.error.message)
            else:
                log.info(
                    "%s: %s, %d cells, %d to review", f, result.status, len(result.cells), review
                )
    click.echo(
        f"files: {len(files)}  cells: {n_cells}  review cells: {n_review}  failed files: {n_failed}"
    )
    if n_failed:
        sys.exit(1)


@main.command("bench")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--repeat", default=3, show_default=True, help="Timed runs per file (median kept).")
def bench_cmd(paths: tuple[Path, ...], repeat: int) -> None:
    """Seconds per page, stage by stage (default: the devset's born-digital PDFs)."""
    files = collect(list(paths)) if paths else _default_bench_files()
    if not files:
        raise click.UsageError("no files to benchmark: name some PDFs")
    r = bench(files, repeat)
    click.echo(f"files: {r.files}  pages: {r.pages}  peak RSS: {r.peak_mib:.0f} MiB")
    for stage, sec in r.seconds_per_page.items():
        click.echo(f"  {stage:10s} {sec * 1000:8.1f} ms/page")
    for f in r.failed:
        click.echo(f"  failed: {f}")


def _default_bench_files() -> list[Path]:
    devset = Path(__file__).resolve().parent.parent.parent / "shared" / "devset" / "pdf"
    return sorted(devset.glob("*.digital.pdf")) + sorted(devset.glob("*.borderless.pdf"))
