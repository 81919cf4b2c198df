"""``gongkai bench --calibrate``: does a cell's confidence say how often it is right?

Every cell of every graded file is joined with its truth (:func:`points`), binned by its
confidence (:func:`table`: cells, the fraction right, how many went out ok / inferred /
review, and the wrong ones not sent to review), and the ``ok`` threshold is read off it
(:func:`threshold`: the lowest confidence from which every bin up has the target share
of its cells right). The files are the devset's scans and, optionally, seeded hard copies
(:mod:`pipeline.hardcopy.variants`), or results already written by ``gongkai extract``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.hardcopy.bench import BASELINE, names, sources
from pipeline.hardcopy.score import Key, doc_name, flat_cells, same_value, truth_for
from pipeline.hardcopy.variants import make
from pipeline.model.config import Settings
from pipeline.model.records import DocResult, Status
from pipeline.run import process

# bin edges: coarse where few cells fall, fine near 1 where ok cells are told apart
EDGES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0)
TARGET = 0.999  # the share of cells right in every bin at and above the ok threshold


@dataclass(frozen=True)
class Point:
    """One graded cell: its confidence and status as output, and whether its value is the
    truth (a cell missing from the output is status ``missing``, confidence 0)."""

    confidence: float
    status: str
    right: bool


@dataclass(frozen=True)
class Bin:
    """The cells whose confidence falls in [lo, hi) (the last bin includes 1)."""

    lo: float
    hi: float
    cells: int
    right: int
    ok: int
    inferred: int
    review: int
    silent: int  # wrong and not sent to review

    @property
    def share_right(self) -> float | None:
        return self.right / self.cells if self.cells else None


def points(cells: Iterable[tuple[Key, Any, str, float]], truth: dict[str, Any]) -> list[Point]:
    """Join a result's cells ((table, row, col), value, status, confidence) with its truth:
    one point per cell of the truth."""
    got = {key: (value, status, conf) for key, value, status, conf in cells}
    out = []
    for key, want in flat_cells(truth).items():
        if key not in got:
            out.append(Point(0.0, "missing", False))
            continue
        value, status, conf = got[key]
        out.append(Point(float(conf), str(status), same_value(value, want)))
    return out


def result_points(result: DocResult, truth: dict[str, Any]) -> list[Point]:
    cells = [
        ((c.key.table, c.key.row, c.key.col), c.value, str(c.status), c.confidence)
        for c in result.cells
    ]
    return points(cells, truth)


def json_points(path: Path, truth_dir: Path) -> list[Point]:
    """Points of a result written by ``gongkai extract`` (``<doc>.<kind>.json``)."""
    truth = truth_for(path, truth_dir)
    if truth is None:
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        ((c["table"], c["row"], c["col"]), c["value"], c["status"], c["confidence"])
        for c in doc.get("cells", [])
    ]
    return points(cells, truth)


def table(pts: Sequence[Point], edges: Sequence[float] = EDGES) -> list[Bin]:
    """The points binned by confidence: [edges[i], edges[i+1]), the last bin closed."""
    out = []
    for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False)):
        last = i == len(edges) - 2
        inside = [p for p in pts if lo <= p.confidence < hi or (last and p.confidence == hi)]
        out.append(
            Bin(
                lo,
                hi,
                cells=len(inside),
                right=sum(p.right for p in inside),
                ok=sum(p.status == Status.OK for p in inside),
                inferred=sum(p.status == Status.INFERRED for p in inside),
                review=sum(p.status == Status.REVIEW for p in inside),
                silent=sum(not p.right and p.status != Status.REVIEW for p in inside),
            )
        )
    return out


def threshold(
    pts: Sequence[Point], target: float = TARGET, edges: Sequence[float] = EDGES
) -> float | None:
    """The lowest confidence from which every bin up (with cells in it) has at least
    ``target`` of its cells right: the lower edge of the lowest such bin; None when the
    top bin already falls short.

    Bin by bin, not over everything above: the many cells read at 1.0 would otherwise
    carry a bin below that is often wrong (13 cells at [0.8, 0.9), one wrong, pass a
    cumulative 99.9 % among 5 000 right ones)."""
    found = None
    for b in reversed(table(pts, edges)):
        if not b.cells:
            continue
        if b.right < target * b.cells:
            break
        found = b.lo
    return found


def report(pts: Sequence[Point], target: float = TARGET, ok_now: float | None = None) -> list[str]:
    """The table as text lines, then the threshold it gives."""
    lines = [
        f"{'confidence':>13s} {'cells':>6s} {'right %':>8s} {'ok':>6s} {'inferred':>8s} "
        f"{'review':>6s} {'silent':>6s}"
    ]
    for b in table(pts):
        share = "-" if b.share_right is None else f"{100 * b.share_right:.2f}"
        close = "]" if b.hi == 1.0 else ")"
        lines.append(
            f"[{b.lo:.3f},{b.hi:.3f}{close} {b.cells:6d} {share:>8s} {b.ok:6d} {b.inferred:8d} "
            f"{b.review:6d} {b.silent:6d}"
        )
    right = sum(p.right for p in pts)
    lines.append(f"{'all':>13s} {len(pts):6d} {100 * right / max(len(pts), 1):8.2f}")
    t = threshold(pts, target)
    lines.append(
        f"ok threshold (lowest confidence from which every bin has ≥ {100 * target:g} % right): "
        + ("none reaches it" if t is None else f"{t:g}")
        + ("" if ok_now is None else f" (Settings.ok_confidence now {ok_now:g})")
    )
    return lines


def run(
    variants: Iterable[str],
    devset: Path,
    docs: int = 0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[Point]:
    """Points of each variant's files (``scan``: the devset's own scans; others are made
    from the devset's filings with ``seed``), each file extracted once."""
    out: list[Point] = []
    with tempfile.TemporaryDirectory(prefix="gongkai-calibrate-") as tmp:
        for name in variants:
            for src in sources(devset, name, docs):
                path = src if name == BASELINE else Path(tmp) / f"{doc_name(src)}.{name}.pdf"
                if name != BASELINE:
                    make(src, name, seed, path)
                truth = truth_for(path, devset / "truth")
                if truth is None:
                    continue
                out += result_points(process(path), truth)
                if progress:
                    progress(f"{path.name}: {len(out)} cells so far")
    return out


def from_results(paths: Iterable[Path], truth_dir: Path) -> list[Point]:
    """Points of results already written (JSON files, or folders of them)."""
    out: list[Point] = []
    for p in paths:
        files = sorted(p.glob("*.json")) if p.is_dir() else [p]
        for f in files:
            out += json_points(f, truth_dir)
    return out


def main(
    devset: Path,
    paths: Sequence[Path],
    spec: str | None,
    docs: int,
    seed: int,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """``gongkai bench --calibrate``: the report over written results (``paths``), else over
    the variants named by ``spec`` (``docs`` filings each), else over all the devset's
    scans. ValueError for an unknown variant or a devset without its truth."""
    if not (devset / "truth").is_dir():
        raise ValueError(f"needs the devset's truth at {devset / 'truth'}")
    if paths:
        pts = from_results(paths, devset / "truth")
    else:
        pts = run(names(spec or BASELINE), devset, docs if spec else 0, seed, progress)
    return report(pts, ok_now=settings.ok_confidence)
