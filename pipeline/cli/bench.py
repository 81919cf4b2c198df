"""``gongkai bench``: speed per stage, whole batches, hard copies, and the calibration."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from pipeline.bench import bench
from pipeline.cli.common import BadArgument
from pipeline.model.config import Settings
from pipeline.run import SCAN_STAGES, collect

log = logging.getLogger("gongkai")


@click.command(
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


_DEVSET = Path(__file__).resolve().parents[3] / "shared" / "devset"  # beside the project


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
