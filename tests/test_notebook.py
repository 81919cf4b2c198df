"""notebooks/walkthrough.ipynb runs from top to bottom (nbclient, the venv's python3 kernel).

Executed in a temporary working directory with TMPDIR there too, so nothing lands in the
repository; the committed notebook carries no outputs (they are CI's to make, not git's).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT, SAMPLES

NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"
CELL_TIMEOUT = 120  # seconds per cell; the whole notebook takes ~15 s here


def _repo_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--ignored=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def test_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
def test_walkthrough_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _repo_status()
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's own temporary directory
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 4  # the page, the histogram, the review load, the documents
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    inputs = [p for p in SAMPLES.rglob("*") if p.suffix in (".txt", ".md", ".pdf")]
    assert f"files: {len(inputs)} " in text and "failed files: 0" in text
    assert not any(p.name.startswith("gongkai-walkthrough-") for p in tmp_path.iterdir())
    assert _repo_status() == before
