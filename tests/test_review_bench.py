"""The desk's benchmark runs end to end on a small store (its figures are not asserted)."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli import main


def test_review_bench_small() -> None:
    res = CliRunner().invoke(main, ["bench", "--review", "300"])
    assert res.exit_code == 0, res.output
    # 300 cells need two copies of the sample's ~200 placed cells, all of them in the queue
    first = res.output.splitlines()[0]
    assert first.startswith("review cells: ") and " in 2 documents" in first
    assert int(first.split()[2]) >= 300
    assert "queue, first page" in res.output and "crop of a cell" in res.output
