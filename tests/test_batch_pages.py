"""Pages decoded one at a time, and a page-count cap told before any page is decoded.

A multi-page TIFF of blank frames is a few hundred KB on disk and gigabytes decoded: it took
15.5 GB when its frames were decoded all at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.model.config import InvalidSettings, Settings
from pipeline.model.records import DocStatus

from .conftest import ROOT

FRAMES, WIDTH, HEIGHT = 16, 4000, 6000  # 72 MB per frame decoded (BGR): 1.1 GB all at once


def blank_tiff(path: Path, frames: int = FRAMES) -> Path:
    """Blank 1-bit frames, CCITT group 4: a few KB each on disk."""
    image = pytest.importorskip("PIL.Image")
    pages = [image.new("1", (WIDTH, HEIGHT), 1) for _ in range(frames)]
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="group4",
                  dpi=(600, 600))  # fmt: skip
    return path


# the peak as VmHWM (this process image's own), not ru_maxrss: that survives exec, so it
# would start at the pytest process's size
_PROBE = """
import json, sys
from pathlib import Path
from pipeline.model.config import Settings
from pipeline.run import process
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
r = process(Path(sys.argv[1]), settings=Settings(max_pages=int(sys.argv[2])))
print(json.dumps({"status": r.status, "error": r.error and r.error.message, "peak_mib": hwm()}))
"""


def _probe(path: Path, max_pages: int) -> dict[str, object]:
    """process() in a fresh interpreter: its peak RSS is this file's alone."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), str(max_pages)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_tiff_of_many_large_blank_frames_stays_in_bounded_memory(tmp_path: Path) -> None:
    tiff = blank_tiff(tmp_path / "blanks.tif")
    assert tiff.stat().st_size < 200_000
    got = _probe(tiff, 500)
    # failed cleanly: blank pages hold no report (and not a MemoryError)
    assert got["status"] == DocStatus.FAILED and "no standard table" in str(got["error"])
    # the models and one frame at a time; all frames at once would be over 1.1 GB more
    assert float(str(got["peak_mib"])) < 900, got


def test_a_file_over_the_page_cap_fails_before_a_page_is_decoded(tmp_path: Path) -> None:
    tiff = blank_tiff(tmp_path / "blanks.tif")
    got = _probe(tiff, FRAMES - 1)
    assert got["status"] == DocStatus.FAILED
    assert got["error"] == f"{FRAMES} pages, over the limit of {FRAMES - 1} (setting max_pages)"
    assert float(str(got["peak_mib"])) < 200  # no page decoded, no model loaded


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_max_pages_is_validated(bad: object) -> None:
    with pytest.raises(InvalidSettings, match="max_pages"):
        Settings(max_pages=bad)  # type: ignore[arg-type]
