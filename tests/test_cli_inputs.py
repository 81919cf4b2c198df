"""Every input accounted for: bad PATHs, broken links, bad options, plain errors, help."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main

from .conftest import SAMPLES

SEED = SAMPLES / "003_47c37cecacaa7283.txt"
ROOT = Path(__file__).resolve().parent.parent


def extract(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["extract", *map(str, args)])


def error_of(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["error"]


def one_line(r: Result) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    return lines[0]


def test_missing_path_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = extract(SEED, tmp_path / "nope.pdf", "--out", out)
    assert r.exit_code == 2
    assert "nope.pdf" in one_line(r) and "no such file" in r.stderr
    assert not out.exists()  # nothing was processed, not even the good file


def test_broken_links_in_a_directory_are_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inp = tmp_path / "in"
    (inp / "sub").mkdir(parents=True)
    shutil.copy(SEED, inp / "good.txt")
    (inp / "gone.pdf").symlink_to(inp / "missing.pdf")
    (inp / "loop").symlink_to(inp / "loop")
    (inp / "sub" / "up").symlink_to(inp)  # a directory link to its ancestor
    (inp / "alias.txt").symlink_to(inp / "good.txt")  # a link to a file is followed
    out = tmp_path / "out"
    r = extract(inp, "--out", out)
    assert r.exit_code == 1, r.output
    assert "files: 5" in r.output and "failed files: 3" in r.output
    assert "dangling symlink" in error_of(out / "gone.json")["message"]
    assert sorted(p.name for p in out.glob("*.json")) == ["alias.json", "gone.json", "good.json"]
    log = caplog.text
    assert re.search(r"loop: failed: a symlink loop", log), log
    assert re.search(r"up: failed: a symlink loop", log), log


def test_an_unreadable_subdirectory_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Tests run as root, where chmod 000 does not stop reads: the listing fails instead."""
    inp = tmp_path / "in"
    (inp / "locked").mkdir(parents=True)
    shutil.copy(SEED, inp / "good.txt")
    shutil.copy(SEED, inp / "locked" / "hidden.txt")
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    r = extract(inp, "--out", tmp_path / "out")
    assert r.exit_code == 1, r.output
    assert "files: 2" in r.output and "failed files: 1" in r.output
    assert re.search(r"locked: failed: cannot list the directory: Permission denied", caplog.text)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("foo://x", "not supported"),
        ("mysql://db.example/gongkai", "not supported"),
        # PostgreSQL is a backend: a server that is not there is one line too
        ("postgres://db.invalid/gongkai", "cannot open the store postgresql+psycopg://db.invalid"),
    ],
)
def test_bad_db_url_is_one_line_without_traceback(tmp_path: Path, url: str, said: str) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from pipeline.cli import main; main()"]
    p = subprocess.run(
        [*cmd, "extract", str(SEED), "--out", str(out), "--db", url],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert p.returncode == 2, p.stderr
    (line,) = p.stderr.strip().splitlines()
    assert said in line
    if "not supported" in said:
        assert url in line
        assert not out.exists()  # checked before anything is made
    assert not out.exists() or not list(out.glob("*.json"))


def test_out_that_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("x")
    r = extract(SEED, "--out", out)
    assert r.exit_code == 2
    assert "is a file, not a directory" in one_line(r)


def test_out_that_is_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    r = extract(SEED, "--out", tmp_path / "file" / "out")  # cannot be made
    assert r.exit_code == 2 and "not writable" in one_line(r)

    import tempfile

    def refuse(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # as root, chmod would not stop writes
    out = tmp_path / "ro"
    r = extract(SEED, "--out", out)
    assert r.exit_code == 2 and "not writable: Permission denied" in one_line(r)
    assert not list(out.glob("*"))


def test_help_says_what_the_commands_do() -> None:
    text = CliRunner().invoke(main, ["extract", "--help"]).output
    assert all(s in text for s in (".txt", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"))
    text = CliRunner().invoke(main, ["bench", "--help"]).output
    assert "Milliseconds per page" in text
    assert all(s in text for s in ("render", "prepare", "grid", "ocr"))


def _huge_png(w: int, h: int) -> bytes:
    """A valid all-white PNG of w×h pixels in a small file: one compressed block, repeated."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = 1000
    block = (b"\x00" + b"\xff" * w) * rows
    z = zlib.compressobj(9)
    first = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    again = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)  # no back-references to `first`
    adler = 1
    for _ in range(h // rows):
        adler = zlib.adler32(block, adler)
    idat = first + again * (h // rows - 1) + b"\x03\x00" + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_huge_image_file_gets_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "huge.png").write_bytes(_huge_png(40_000, 40_000))
    out = tmp_path / "out"
    r = extract(tmp_path / "huge.png", "--out", out)
    assert r.exit_code == 1
    message = error_of(out / "huge.json")["message"]
    assert message.startswith("PageTooLarge: ") and "40000×40000 pixels" in message
    assert "megapixels" in message and "cv::" not in message and len(message) < 200


def _repaired_pdf() -> bytes:
    """Four pages, the last one's content stream misplaced in the xref, and a stray second
    page tree: reading page 4 repairs the file, after which it has one page."""
    doc = pymupdf.open()
    for i in range(4):
        page = doc.new_page()
        if i in (0, 3):
            page.insert_text((72, 72), "二、主动公开政府信息情况", fontname="china-s")
    data = doc.tobytes(garbage=0, deflate=False, no_new_id=True)
    stray = b"2 0 obj\n<</Type/Pages/Count 1/Kids[4 0 R]>>\nendobj\n\n"
    at = data.index(b"\nxref\n") + 1
    startxref = int(re.search(rb"startxref\n(\d+)", data).group(1))  # type: ignore[union-attr]
    data = data[:at] + stray + data[at:]
    data = data.replace(b"startxref\n%d" % startxref, b"startxref\n%d" % (startxref + len(stray)))
    contents = int(re.findall(rb"/Contents\[(\d+) 0 R\]", data)[-1])  # page 4's
    lines = data.split(b"\n")
    row = lines.index(b"xref") + 2 + contents
    lines[row] = b"%010d" % (int(lines[row][:10]) + 5) + lines[row][10:]
    return b"\n".join(lines)


def test_damaged_page_is_a_bad_pdf(tmp_path: Path) -> None:
    (tmp_path / "damaged.pdf").write_bytes(_repaired_pdf())
    out = tmp_path / "out"
    r = extract(tmp_path / "damaged.pdf", "--out", out)
    assert r.exit_code == 1
    error = error_of(out / "damaged.json")
    assert error["stage"] == "read"
    assert error["message"].startswith("BadPDF: ") and "damaged" in error["message"]
    assert "IndexError" not in error["message"]


def test_many_blank_pages_make_a_short_message(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for _ in range(400):
        doc.new_page()
    doc.save(str(tmp_path / "blank.pdf"))
    out = tmp_path / "out"
    r = extract(tmp_path / "blank.pdf", "--out", out)
    assert r.exit_code == 1
    message = error_of(out / "blank.json")["message"]
    assert "pages 1–400" in message and len(message) < 200, message
