"""``gongkai extract`` as a batch: resume after a kill, inputs, dedupe, limits, store errors."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from pipeline.batch.runlog import read as events
from pipeline.batch.work import TEST_HOOK
from pipeline.model.config import Settings, pipeline_version

from .batch_helpers import extract, gongkai, logs, outputs, stored
from .conftest import DEVSET, ROOT, SAMPLES

SEED = SAMPLES / "003_47c37cecacaa7283.txt"
TEXTS = sorted(SAMPLES.glob("*.txt"))
SCAN = DEVSET / "pdf" / "dev_001.scan.pdf"
DIGITAL = DEVSET / "pdf" / "dev_000.digital.pdf"
needs_devset = pytest.mark.skipif(not SCAN.is_file(), reason="no devset beside the project")


def test_pipeline_version_follows_the_settings() -> None:
    v = pipeline_version(Settings())
    assert v == pipeline_version(Settings()) and v.startswith("0.")
    assert v != pipeline_version(Settings(max_pages=10))


@needs_devset
def test_a_batch_killed_mid_run_resumes_losing_nothing_and_redoing_nothing(tmp_path: Path) -> None:
    """The done-when test: SIGKILL after some files are stored, run again, compare with a
    straight run. One worker, so the scan (seconds) is in flight when the texts are done."""
    files = [*TEXTS[:3], SCAN, *TEXTS[3:], DIGITAL, SAMPLES / "md_dev_007.md"]
    out = tmp_path / "out"
    args = ["extract", *files, "--out", out, "--workers", "1"]
    first = gongkai(*args, start_new_session=True)
    deadline = time.monotonic() + 120
    log = None
    while time.monotonic() < deadline:
        log = next(iter(logs(out)), None) if (out / "runs").is_dir() else None
        if log and sum(e["event"] == "done" for e in events(log)) >= 3:
            break
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    assert log is not None
    workers = psutil.Process(first.pid).children(recursive=True)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    gone, alive = psutil.wait_procs(workers, timeout=10)  # workers die with their parent
    assert not alive
    killed = events(log)
    done_before = {e["resolved"] for e in killed if e["event"] in ("done", "failed")}
    assert 3 <= len(done_before) < len(files) and killed[-1]["event"] != "end"

    second = gongkai(*args)
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    assert f"files: {len(files)}" in stdout and f"skipped: {len(done_before)}" in stdout
    resumed = events(logs(out)[-1])
    assert {e["resolved"] for e in resumed if e["event"] == "skipped"} == done_before
    # each file processed exactly once across both runs
    processed = Counter(e["resolved"] for e in killed + resumed if e["event"] in ("done", "failed"))
    assert sorted(processed.values()) == [1] * len(files)
    # every file stored exactly once, and all as a straight run stores them
    rows = stored(out / "gongkai.sqlite")
    assert len(rows) == len(files) == len({r[0] for r in rows})
    straight = tmp_path / "straight"
    r = gongkai("extract", *files, "--out", straight, "--workers", "2")
    assert r.wait(300) == 0
    assert outputs(out) == outputs(straight)
    assert _cells(out) == _cells(straight)


def _cells(out: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(out / "gongkai.sqlite") as c:
        return c.execute(
            "SELECT d.sha256, tbl, row_key, col_key, value, c.status FROM cells c"
            " JOIN documents d ON d.id = c.document_id ORDER BY 1, 2, 3, 4"
        ).fetchall()


def test_from_list_and_glob(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "deep").mkdir(parents=True)
    for i, p in enumerate(TEXTS[:3]):
        shutil.copy(p, tmp_path / "a" / ("deep" if i else ".") / p.name)
    listing = tmp_path / "list.txt"
    listing.write_text(
        f"# the archive's list\n\n{TEXTS[3]}\n  {tmp_path / 'gone.txt'}  \n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    r = extract("a/**/*.txt", "--from-list", listing, "--out", "out", "--workers", "1")
    assert r.exit_code == 1, r.output  # the stale entry of the list
    assert "files: 5" in r.output and "failed files: 1" in r.output
    assert sorted(outputs(tmp_path / "out")) == sorted(
        [*(p.stem + ".json" for p in TEXTS[:4]), "gone.json"]
    )
    assert "no such file" in outputs(tmp_path / "out")["gone.json"]["error"]["message"]
    r = extract("nothing/**/*.pdf", "--out", "out")
    assert r.exit_code == 2 and "no file matches" in r.output


def test_from_list_on_stdin(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    r = CliRunner().invoke(
        main, ["extract", "--from-list", "-", "--out", str(tmp_path)], input=f"{SEED}\n"
    )
    assert r.exit_code == 0 and "files: 1" in r.output, r.output


def test_same_content_is_processed_once_and_recorded_under_each_path(tmp_path: Path) -> None:
    for name in ("one.txt", "two.txt", "three.txt"):
        shutil.copy(SEED, tmp_path / name)
    out = tmp_path / "out"
    r = extract(tmp_path / "one.txt", tmp_path / "two.txt", tmp_path / "three.txt",
                "--out", out)  # fmt: skip
    assert r.exit_code == 0, r.output
    done = [e for e in events(logs(out)[0]) if e["event"] == "done"]
    assert [e.get("duplicate_of") for e in done] == [None, str(tmp_path / "one.txt")] * 1 + [
        str(tmp_path / "one.txt")
    ]
    assert len(stored(out / "gongkai.sqlite")) == 3
    docs = outputs(out)
    assert [docs[n]["source"] for n in ("one.json", "two.json", "three.json")] == [
        str(tmp_path / n) for n in ("one.txt", "two.txt", "three.txt")
    ]
    assert docs["one.json"]["cells"] == docs["three.json"]["cells"]


def test_done_files_are_skipped_and_force_redoes_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert extract(SEED, TEXTS[0], "--out", out).exit_code == 0
    r = extract(SEED, TEXTS[0], TEXTS[1], "--out", out)
    assert r.exit_code == 0 and "skipped: 2" in r.output and "files: 3" in r.output
    assert [e["event"] for e in events(logs(out)[-1])][1:-1].count("skipped") == 2
    r = extract(SEED, TEXTS[0], TEXTS[1], "--out", out, "--force")
    assert "skipped: 0" in r.output
    assert Counter(e["event"] for e in events(logs(out)[-1]))["done"] == 3
    # another pipeline version (a setting changed): done again
    r = extract(SEED, "--out", out, "--max-pages", "7")
    assert "skipped: 0" in r.output and "cells: 198" in r.output
    assert len(stored(out / "gongkai.sqlite")) == 3


def test_a_file_over_the_time_limit_fails_and_the_batch_goes_on(tmp_path: Path) -> None:
    (tmp_path / "slow.txt").write_bytes(SEED.read_bytes() + b"\n")  # not a duplicate of SEED
    out = tmp_path / "out"
    t0 = time.monotonic()
    r = extract(tmp_path / "slow.txt", SEED, TEXTS[0], "--out", out, "--time-limit", "3",
                env={TEST_HOOK: "sleep:slow:60"})  # fmt: skip
    assert time.monotonic() - t0 < 30
    assert r.exit_code == 1 and "failed files: 1" in r.output, r.output
    why = "time limit: 3 s exceeded"
    assert outputs(out)["slow.json"]["error"]["message"] == why
    assert (str(tmp_path / "slow.txt"), "failed", why) in stored(out / "gongkai.sqlite")
    assert outputs(out)[SEED.stem + ".json"]["status"] == "ok"
    failed = [e for e in events(logs(out)[0]) if e["event"] == "failed"]
    assert [(e["path"], e["error"]) for e in failed] == [
        (str(tmp_path / "slow.txt"), f"read: {why}")
    ]


def test_a_worker_over_the_memory_limit_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(SEED.read_bytes() + b"\n")
    out = tmp_path / "out"
    r = extract(tmp_path / "big.txt", SEED, "--out", out, "--workers", "1",
                "--memory-limit", "400", env={TEST_HOOK: "alloc:big:2000"})  # fmt: skip
    assert r.exit_code == 1 and "failed files: 1" in r.output, r.output
    why = "memory limit: 400 MiB exceeded"
    assert outputs(out)["big.json"]["error"]["message"] == why
    assert outputs(out)[SEED.stem + ".json"]["status"] == "ok"  # on the replacement worker
    peak = [e["peak_mib"] for e in events(logs(out)[0]) if e["event"] == "failed"]
    assert 400 < peak[0] < 1500


def test_a_file_that_cannot_be_recorded_fails_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{SEED.stem}.json.tmp").mkdir()  # its JSON cannot be written
    r = extract(TEXTS[0], SEED, TEXTS[1], "--out", out)
    assert r.exit_code == 1 and "failed files: 1" in r.output, r.output
    assert "not recorded: IsADirectoryError" in caplog.text
    assert sorted(outputs(out)) == sorted(p.stem + ".json" for p in (TEXTS[0], TEXTS[1]))
    failed = [e for e in events(logs(out)[0]) if e["event"] == "failed"]
    assert [e["resolved"] for e in failed] == [str(SEED)]
    # not stored, so the next run does it again
    (out / f"{SEED.stem}.json.tmp").rmdir()
    r = extract(TEXTS[0], SEED, TEXTS[1], "--out", out)
    assert r.exit_code == 0 and "skipped: 2" in r.output


def test_output_off_a_terminal_has_no_progress_bar(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    p = gongkai("extract", SEED, TEXTS[0], "--out", tmp_path / "out", "--log", log)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 0, stderr
    assert "\x1b" not in stdout + stderr and "\r" not in stdout + stderr
    assert stdout.strip().splitlines()[-1] == (
        "files: 2  cells: 398  review cells: 5  failed files: 0  skipped: 0"
    )
    assert f"{SEED}: ok, 198 cells" in stderr and "wall time:" in stderr
    records = events(log)
    assert [r["event"] for r in records] == ["start", "done", "done", "end"]
    assert records[-1]["ok"] + records[-1]["partial"] == 2 and records[0]["pipeline_version"]


def test_dask_scheduler_unreachable_is_one_line(tmp_path: Path) -> None:
    r = extract(SEED, "--out", tmp_path, "--dask", "tcp://127.0.0.1:9")
    assert r.exit_code == 2, r.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.output
    assert "Traceback" not in r.output


_DASK = """
import sys
from click.testing import CliRunner
from dask.distributed import LocalCluster
from pipeline.cli import main
with LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None) as c:
    r = CliRunner().invoke(main, ["extract", *sys.argv[1:], "--dask", c.scheduler_address])
print(r.output)
sys.exit(r.exit_code)
"""


def test_dask_local_cluster(tmp_path: Path) -> None:
    """A LocalCluster started by the test, in a child process of its own: importing
    distributed changes the process for good (with OpenCV loaded after it,
    tests/test_promise.py's numbers shift), and its nanny sets OMP_NUM_THREADS=1 in
    os.environ."""
    if importlib.util.find_spec("distributed") is None:  # not imported here: see above
        pytest.skip("no dask[distributed]: pip install 'gongkai[dask]'")
    out = tmp_path / "out"
    files = (SEED, TEXTS[0], TEXTS[1])
    r = subprocess.run(
        [sys.executable, "-c", _DASK, *map(str, files), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "files: 3" in r.stdout and "failed files: 0" in r.stdout
    assert len(stored(out / "gongkai.sqlite")) == 3
    assert json.loads((out / f"{SEED.stem}.json").read_text("utf-8"))["status"] == "ok"
    done = [e for e in events(logs(out)[0]) if e["event"] == "done"]
    assert len(done) == 3


def test_ctrl_c_stops_dispatching_and_reports(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it): the finished files
    stay stored, the one in flight is left for the next run, the summary is printed, exit 130."""
    (tmp_path / "slow.txt").write_bytes(SEED.read_bytes() + b"\n")
    out = tmp_path / "out"
    p = gongkai("extract", SEED, tmp_path / "slow.txt", TEXTS[0], "--out", out, "--workers", "1",
                env={TEST_HOOK: "sleep:slow:60"}, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log = next(iter(logs(out)), None) if (out / "runs").is_dir() else None
        if log and any(e["event"] == "done" for e in events(log)):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(p.pid, signal.SIGINT)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert stdout.strip().splitlines()[-1].startswith("files: 3  cells: 198")
    assert [r[0] for r in stored(out / "gongkai.sqlite")] == [str(SEED)]
    assert events(logs(out)[0])[-1]["interrupted"] is True
    assert not list(out.glob("*.tmp"))


@pytest.mark.parametrize(
    "bad",
    [{"workers": 0}, {"time_limit": 0}, {"memory_limit_mib": 10}, {"poll_seconds": 0}],
)
def test_batch_settings_are_validated(bad: dict[str, float]) -> None:
    from pipeline.batch import BatchSettings, InvalidBatchSettings

    with pytest.raises(InvalidBatchSettings):
        BatchSettings(**bad)  # type: ignore[arg-type]


def test_bench_batch_reports_rates_and_memory_per_size(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    r = CliRunner().invoke(
        main, ["bench", "--batch", "--workers", "1", "--files", "2,4", str(SEED)]
    )
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert [ln.split()[1] for ln in lines] == ["2", "4"]
    assert all("files/s" in ln and "pages/s" in ln and "MiB" in ln for ln in lines)


def test_the_progress_bar_and_table_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.batch.report import Counts, Progress, show_summary

    counts = Counts(ok=1, pages=3)
    with Progress(2, counts, tty=True) as bar:
        bar.advance()
    show_summary(counts, tty=True)
    assert "pages" in capsys.readouterr().err
