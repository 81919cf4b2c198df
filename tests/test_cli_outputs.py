"""No output overwrites another: output names, input files in the store, failures per file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main
from pipeline.store.legacy import LEGACY_GUARD

from .conftest import SAMPLES

SEED = SAMPLES / "003_47c37cecacaa7283.txt"
NO_TABLES = "今天召开了工作会议，研究部署了下一阶段的重点任务。\n"


def extract(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["extract", *map(str, args)])


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def outputs(out: Path) -> dict[str, str]:
    """JSON file name → the source it records."""
    return {p.name: load(p)["source"] for p in sorted(out.glob("*.json"))}


def files_table(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT path, sha256, status, error_stage, error_message FROM files ORDER BY id"
        ).fetchall()


def test_same_stem_in_two_directories(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(SEED, tmp_path / "a" / "x.txt")
    (tmp_path / "b" / "x.txt").write_text(NO_TABLES, encoding="utf-8")
    out = tmp_path / "out"
    r = extract(tmp_path / "a", tmp_path / "b", "--out", out)
    assert r.exit_code == 1, r.output  # b/x.txt has no tables
    assert outputs(out) == {
        "x.json": str(tmp_path / "a" / "x.txt"),
        "x.txt.json": str(tmp_path / "b" / "x.txt"),
    }
    assert load(out / "x.json")["template"] == "2019"


def test_same_stem_other_suffix(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / "x.txt")
    (tmp_path / "x.pdf").write_text("hello, not a PDF")
    out = tmp_path / "out"
    r = extract(tmp_path, "--out", out)
    assert r.exit_code == 1 and "files: 2" in r.output
    assert outputs(out) == {  # the stable order: x.pdf before x.txt
        "x.json": str(tmp_path / "x.pdf"),
        "x.txt.json": str(tmp_path / "x.txt"),
    }
    assert "not a PDF" in load(out / "x.json")["error"]["message"]
    assert load(out / "x.txt.json")["template"] == "2019"


def test_third_claim_gets_a_hash_of_its_path(tmp_path: Path) -> None:
    for d in "abc":
        (tmp_path / d).mkdir()
        shutil.copy(SEED, tmp_path / d / "x.txt")
    out = tmp_path / "out"
    r = extract(tmp_path, "--out", out)
    assert r.exit_code == 0, r.output
    h = hashlib.sha256(str((tmp_path / "c" / "x.txt").resolve()).encode()).hexdigest()[:8]
    assert outputs(out) == {
        "x.json": str(tmp_path / "a" / "x.txt"),
        "x.txt.json": str(tmp_path / "b" / "x.txt"),
        f"x.txt.{h}.json": str(tmp_path / "c" / "x.txt"),
    }


@pytest.mark.parametrize("same_store", [True, False])
def test_a_later_run_does_not_overwrite_another_inputs_json(
    tmp_path: Path, same_store: bool
) -> None:
    """Known from the store, or (another --db) from the JSON's own record of its input."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(SEED, tmp_path / "a" / "x.txt")
    (tmp_path / "b" / "x.txt").write_text(NO_TABLES, encoding="utf-8")
    out = tmp_path / "out"
    db = ["--db", tmp_path / "one.sqlite"]
    assert extract(tmp_path / "a" / "x.txt", "--out", out, *db).exit_code == 0
    first = (out / "x.json").read_text(encoding="utf-8")
    other = db if same_store else ["--db", tmp_path / "two.sqlite"]
    assert extract(tmp_path / "b" / "x.txt", "--out", out, *other).exit_code == 1
    assert (out / "x.json").read_text(encoding="utf-8") == first
    assert outputs(out)["x.txt.json"] == str(tmp_path / "b" / "x.txt")
    # the same inputs again (forced: else skipped as done): each overwrites its own file,
    # nothing new appears
    os.utime(out / "x.json", (0, 0))
    assert extract(tmp_path / "a" / "x.txt", "--out", out, *db, "--force").exit_code == 0
    assert extract(tmp_path / "b" / "x.txt", "--out", out, *other, "--force").exit_code == 1
    assert (out / "x.json").stat().st_mtime > 0
    assert sorted(outputs(out)) == ["x.json", "x.txt.json"]


def test_identical_bytes_under_two_names_are_both_recorded(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SEED, inp / "first.txt")
    shutil.copy(SEED, inp / "second.txt")
    out = tmp_path / "out"
    r = extract(inp, "--out", out)
    assert r.exit_code == 0, r.output
    assert sorted(outputs(out)) == ["first.json", "second.json"]
    sha = hashlib.sha256(SEED.read_bytes()).hexdigest()
    db = out / "gongkai.sqlite"
    assert [row[:2] for row in files_table(db)] == [
        (str(inp / "first.txt"), sha),
        (str(inp / "second.txt"), sha),
    ]
    with sqlite3.connect(db) as c:  # one extraction: documents are keyed by content
        assert c.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    listing = CliRunner().invoke(main, ["files", "--out", str(out)])
    assert listing.exit_code == 0, listing.output
    assert "first.txt" in listing.output and "second.txt" in listing.output
    assert "files: 2" in listing.output


def test_each_unreadable_file_is_recorded_under_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.run

    real = pipeline.run.sha256_of

    def locked(path: Path) -> str:
        if path.name.startswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(pipeline.run, "sha256_of", locked)
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("locked1.txt", "locked2.txt"):
        shutil.copy(SEED, inp / name)
    (inp / "corrupt.pdf").write_text("hello, not a PDF")
    out = tmp_path / "out"
    r = extract(inp, "--out", out)
    assert r.exit_code == 1 and "failed files: 3" in r.output
    rows = {Path(path).name: rest for path, *rest in files_table(out / "gongkai.sqlite")}
    assert set(rows) == {"corrupt.pdf", "locked1.txt", "locked2.txt"}
    for name in ("locked1.txt", "locked2.txt"):
        sha, status, stage, message = rows[name]
        assert (sha, status, stage) == (None, "failed", "read")
        assert "Permission denied" in message
    corrupt_sha = hashlib.sha256(b"hello, not a PDF").hexdigest()
    assert rows["corrupt.pdf"][:3] == [corrupt_sha, "failed", "read"]
    with sqlite3.connect(out / "gongkai.sqlite") as c:  # the known bytes: a failed document
        docs = c.execute("SELECT sha256, status, error_message FROM documents").fetchall()
    assert [(d[0], d[1]) for d in docs] == [(corrupt_sha, "failed")]
    assert "not a PDF" in docs[0][2]


V1_DOCUMENTS = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    status TEXT NOT NULL, template TEXT, applications_layout TEXT, organ TEXT, year INTEGER,
    reader TEXT, pages INTEGER, error_stage TEXT, error_message TEXT,
    warnings TEXT NOT NULL DEFAULT '[]', processed_at TEXT NOT NULL
);
INSERT INTO documents (sha256, source, status, error_stage, error_message, processed_at)
VALUES ('ab', '/data/bad.pdf', 'failed', 'read', 'BadPDF: not a PDF', '2024-01-01T00:00:00'),
       ('', '/data/gone.pdf', 'failed', 'read', 'cannot read file', '2024-01-01T00:00:00');
"""


def test_a_version_1_store_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as c:
        c.executescript(V1_DOCUMENTS)
    r = extract(SEED, "--out", tmp_path / "out", "--db", db)
    assert r.exit_code == 0, r.output
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT version FROM schema_version").fetchall() == [(LEGACY_GUARD,)]
        docs = c.execute("SELECT sha256 FROM documents ORDER BY id").fetchall()
    assert [d[0] for d in docs][:1] == ["ab"] and ("",) not in docs and len(docs) == 2
    assert [(p, s) for p, s, *_ in files_table(db)] == [
        ("/data/bad.pdf", "ab"),
        ("/data/gone.pdf", None),
        (str(SEED), hashlib.sha256(SEED.read_bytes()).hexdigest()),
    ]


def test_a_newer_store_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    with sqlite3.connect(db) as c:
        c.executescript(
            "CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (99);"
        )
    r = extract(SEED, "--out", tmp_path / "out", "--db", db)
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert "schema version 99" in line and "upgrade gongkai" in line
    assert not list((tmp_path / "out").glob("*.json"))
