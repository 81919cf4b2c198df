"""The ``gongkai extract`` command end to end: JSON per file, the store, bad input, exit code."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pymupdf
from click.testing import CliRunner

from pipeline.cli import main

from .conftest import SAMPLES

SEED = SAMPLES / "003_47c37cecacaa7283.txt"


def _bad_inputs(d: Path) -> dict[str, str]:
    """Bad files and the words their error must contain."""
    (d / "not_a_pdf.pdf").write_text("hello, not a PDF")
    (d / "empty.txt").write_bytes(b"")
    (d / "no_tables.txt").write_text(
        "今天召开了工作会议，研究部署了下一阶段的重点任务。\n", encoding="utf-8"
    )
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "二、主动公开政府信息情况", fontname="china-s")
    whole = doc.tobytes()
    doc.save(
        str(d / "encrypted.pdf"), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y"
    )
    (d / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    return {
        "not_a_pdf": "not a PDF",
        "empty": "empty",
        "no_tables": "no standard table",
        "encrypted": "password",
        "truncated": "truncated",
    }


def test_extract_batch_with_bad_files(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SEED, inp / SEED.name)
    expected = _bad_inputs(inp)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["extract", str(inp), "--out", str(out)])
    assert result.exit_code == 1, result.output  # some files failed
    assert "files: 6" in result.output and "failed files: 5" in result.output

    good = json.loads((out / "003_47c37cecacaa7283.json").read_text(encoding="utf-8"))
    assert good["template"] == "2019" and len(good["cells"]) == 22 + 23 * 7 + 15
    for stem, words in expected.items():
        doc = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        assert doc["cells"] == []
        assert words in doc["error"]["message"], doc["error"]
        assert doc["error"]["stage"] in ("read", "identify")

    db = sqlite3.connect(out / "gongkai.sqlite")
    n_docs, n_cells = db.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM cells)"
    ).fetchone()
    assert n_docs == 6 and n_cells == len(good["cells"])

    # a re-run skips every file (same content, same pipeline version): nothing failed anew
    again = CliRunner().invoke(main, ["extract", str(inp), "--out", str(out)])
    assert again.exit_code == 0 and "skipped: 6" in again.output
    # a forced re-run adds nothing: idempotent by sha256
    again = CliRunner().invoke(main, ["extract", str(inp), "--out", str(out), "--force"])
    assert again.exit_code == 1
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 6
    assert db.execute("SELECT count(*) FROM cells").fetchone()[0] == n_cells


def test_extract_all_good_exits_zero(tmp_path: Path) -> None:
    out = tmp_path / "out"
    db = tmp_path / "elsewhere.sqlite"
    result = CliRunner().invoke(main, ["extract", str(SEED), "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "failed files: 0" in result.output
    assert db.exists() and not (out / "gongkai.sqlite").exists()


def test_huge_image_only_page_gets_a_clear_error(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=14400, height=14400)  # 200 × 200 inches
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 50, 50), 0)
    pix.clear_with(255)
    page.insert_image(page.rect, pixmap=pix)
    doc.save(str(tmp_path / "huge.pdf"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "huge.pdf"), "--out", str(out)])
    assert result.exit_code == 1
    doc_json = json.loads((out / "huge.json").read_text(encoding="utf-8"))
    assert "PageTooLarge" in doc_json["error"]["message"]
    assert "megapixels" in doc_json["error"]["message"]
