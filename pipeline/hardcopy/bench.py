"""``gongkai bench --variants``: make hard copies of devset filings, extract them, grade them.

One run per file (OCR is slow; the point is accuracy and silent errors, timings are a guide).
The devset's own scans (``*.scan.pdf``) can be measured alongside as the baseline ``scan``.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.hardcopy.score import Score, Wrong, doc_name, score, truth_for
from pipeline.hardcopy.variants import Variant, make
from pipeline.model.records import DocResult, DocStatus
from pipeline.run import SCAN_STAGES, STAGES, process
from pipeline.store.export import write_json

BASELINE = "scan"  # the devset's own scans, not made here
DEFAULT_DOCS = 3


@dataclass
class VariantRun:
    """One variant's totals over its files."""

    name: str
    files: int = 0
    pages: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # summed
    score: Score = field(default_factory=Score)
    silent: list[tuple[str, Wrong]] = field(default_factory=list)  # (file, cell)
    failed: list[str] = field(default_factory=list)

    @property
    def right(self) -> float:
        return self.score.correct / max(self.score.cells, 1)

    @property
    def wrong(self) -> int:
        """Silent errors proper: wrong values out as ok/inferred (missing cells apart)."""
        return self.score.silent - self.score.missing

    @property
    def review(self) -> float:
        return self.score.review_cells / max(self.score.cells, 1)

    def per_page(self, stage: str) -> float:
        return self.stages[stage] / max(self.pages, 1)


def sources(devset: Path, name: str, docs: int) -> list[Path]:
    """The devset files a variant is made from: borderless PDFs for ``borderless_scan``,
    the scans themselves for the baseline, born-digital PDFs otherwise; ``docs`` 0 = all."""
    kind = {Variant.BORDERLESS_SCAN.value: "borderless", BASELINE: "scan"}.get(name, "digital")
    files = sorted((devset / "pdf").glob(f"*.{kind}.pdf"))
    return files[:docs] if docs else files


def names(spec: str | None) -> list[str]:
    """``--variants`` as given: comma-separated names, or every variant and the baseline."""
    every = [v.value for v in Variant] + [BASELINE]
    if spec is None or spec.strip() in ("", "all"):
        return every
    chosen = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in every]
    if unknown:
        raise ValueError(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(every)}")
    return chosen


def run(
    variants: Iterable[str],
    devset: Path,
    docs: int = DEFAULT_DOCS,
    seed: int = 0,
    keep: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[VariantRun]:
    """Make each variant of the first ``docs`` devset filings (in ``keep`` or a temp dir),
    extract and grade every file."""
    out: list[VariantRun] = []
    with tempfile.TemporaryDirectory(prefix="gongkai-hardcopy-") as tmp:
        where = keep or Path(tmp)
        (where / "json").mkdir(parents=True, exist_ok=True)
        for name in variants:
            vr = VariantRun(name)
            for src in sources(devset, name, docs):
                path = src if name == BASELINE else where / f"{doc_name(src)}.{name}.pdf"
                if name != BASELINE:
                    make(src, name, seed, path)
                result = _one(vr, path, truth_for(path, devset / "truth"))
                if keep is not None:  # score.py can grade these: <doc>.<variant>.json
                    write_json(result, keep / "json", path.name.removesuffix(".pdf"))
                if progress:
                    progress(f"{path.name}: {vr.files} files, {vr.score.silent} silent so far")
            out.append(vr)
    return out


def _one(vr: VariantRun, path: Path, truth: dict | None) -> DocResult:
    result = process(path)
    vr.files += 1
    if truth is None:
        vr.failed.append(f"{path.name}: no truth")
        return result
    if result.status == DocStatus.FAILED:
        vr.failed.append(f"{path.name}: {result.error}")
    vr.pages += result.pages or 1
    times = dict(result.timings)
    for stage in (*SCAN_STAGES, *STAGES):
        vr.stages[stage] += times.get(stage, 0.0)
    vr.seconds += sum(times.get(s, 0.0) for s in STAGES)
    s = score(result, truth)
    vr.score.add(s)
    vr.silent += [(path.name, w) for w in s.errors]
    return result


def report(runs: list[VariantRun], errors: int = 0) -> list[str]:
    """The table (one line per variant), then its stage times, then up to ``errors`` silent
    cells per variant."""
    lines = [
        f"{'variant':16s} {'files':>5s} {'failed':>6s} {'pages':>5s} {'cells':>6s} "
        f"{'right %':>8s} {'silent':>6s} {'missing':>7s} {'review %':>8s} {'s/page':>7s}"
    ]
    for r in runs:
        lines.append(
            f"{r.name:16s} {r.files:5d} {len(r.failed):6d} {r.pages:5d} {r.score.cells:6d} "
            f"{100 * r.right:8.2f} {r.wrong:6d} {r.score.missing:7d} {100 * r.review:8.2f} "
            f"{r.seconds / max(r.pages, 1):7.2f}"
        )
    lines.append(
        "silent: a wrong value not sent to review (status ok/inferred); missing: no such cell "
        "(a failed file) — score.py counts both as silent"
    )
    for r in runs:
        lines.append(f"{r.name}: ms/page by stage")
        for stage in STAGES:
            if r.stages.get(stage):
                lines.append(f"  {stage:10s} {r.per_page(stage) * 1000:8.1f}")
            if stage == "read":
                lines += [
                    f"    {sub:8s} {r.per_page(sub) * 1000:8.1f}"
                    for sub in SCAN_STAGES
                    if r.stages.get(sub)
                ]
        lines += [f"  failed: {f}" for f in r.failed]
        for file, w in [(f, w) for f, w in r.silent if w.status != "missing"][:errors]:
            lines.append(
                f"  silent: {file} {w.table}/{w.row}/{w.col} truth={w.truth:g} "
                f"value={w.value} status={w.status} page={w.page} bbox={_bbox(w.bbox)}"
            )
    return lines


def _bbox(b: tuple[float, ...] | None) -> str:
    return "-" if b is None else ",".join(f"{v:.0f}" for v in b)
