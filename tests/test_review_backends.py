"""The reviewer's desk on both backends (SQLite, PostgreSQL): the queue, a decision and its
undo, a table's decision, the document view, a stale edit refused, and the JSON rewritten
from the store with the values extraction wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.review.desk import Desk, DeskError, rewrite_json
from pipeline.review.docview import document_view
from pipeline.review.tables import decide_table
from pipeline.run import process
from pipeline.store import review as rs
from pipeline.store.db import Store

from .review_fixtures import MISREAD, build_at


@pytest.fixture
def desk(tmp_path: Path, store_url: str) -> Desk:
    build_at(tmp_path, store_url)
    return Desk(store_url)


def _outputs(tmp_path: Path) -> dict[str, dict]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((tmp_path / "out").glob("*.json"))
    }


def test_the_json_rewritten_from_the_store_is_what_extraction_wrote(
    tmp_path: Path, desk: Desk
) -> None:
    before = _outputs(tmp_path)
    with desk._store() as st, st.read() as db:
        docs = [rs.document(db, d.sha256) for d in st.documents()]
    for doc in docs:
        assert doc is not None
        rewrite_json(st, doc)
    after = _outputs(tmp_path)
    assert before.keys() == after.keys()
    for name, doc in before.items():
        assert json.dumps(doc["cells"]) == json.dumps(after[name]["cells"]), name
        assert doc["checks"] == after[name]["checks"]


def test_decide_undo_and_a_stale_edit(desk: Desk) -> None:
    q = desk.queue()
    first = q["items"][0]
    assert (first["table"], first["row"], first["col"]) == tuple(vars(MISREAD).values())
    assert isinstance(first["value"], int) and first["suggestion"] == first["value"] - 1
    assert desk.decide(first["id"], "accept", first["version"], "ana")["ok"]
    with pytest.raises(DeskError) as e:
        desk.decide(first["id"], "set", first["version"], "bo", "3")
    assert e.value.status == 409
    with desk._store() as st, st.read() as db:
        c = rs.cell(db, first["id"])
        assert c is not None and (c.status, c.value) == ("corrected", first["suggestion"])
        assert [(r.reviewer, r.action, r.new_value) for r in rs.reviews(db)] == [
            ("ana", "value", first["suggestion"])
        ]
    assert desk.undo("ana")["ok"]
    assert desk.queue()["total"] == q["total"]


def test_a_table_decision_and_the_document_view(tmp_path: Path, store_url: str) -> None:
    build_at(tmp_path, store_url, lose="review_litigation")
    desk = Desk(store_url)
    q = desk.queue(table="review_litigation")
    (sha,) = {i["sha256"] for i in q["items"]}
    assert document_view(desk, sha)["status"] == "partial"
    out = decide_table(desk, sha, "review_litigation", "blank", "ana")
    assert out["ok"] and out["cells"] == 15
    view = document_view(desk, sha)
    cells = next(t for t in view["tables"] if t["table"] == "review_litigation")["cells"]
    values = [v for row in cells.values() for v in row.values()]
    assert {(v["value"], v["status"]) for v in values} == {(0, "corrected")}
    assert desk.queue(table="review_litigation")["total"] == 1  # the PDF's misread is left


def test_the_review_command_takes_the_store_url(desk: Desk) -> None:
    """``gongkai review --db URL`` opens the store on either backend (then refuses the host)."""
    res = CliRunner().invoke(main, ["review", "--db", str(desk.url), "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "--token" in res.output, res.output


def test_an_old_version_leaves_the_queue(tmp_path: Path, desk: Desk) -> None:
    """The text file changes: its old content's cells are history, not the queue's."""
    before = desk.queue()
    text_doc = next(d["sha256"] for d in before["documents"] if d["count"] == 5)
    with Store(desk.url) as st:
        (f,) = [f for f in st.files() if f.sha256 == text_doc]
        edited = Path(f.resolved)
        edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        st.save(process(edited), f.resolved, f.output)
    after = desk.queue()
    assert text_doc not in {d["sha256"] for d in after["documents"]}
    assert after["total"] == before["total"]  # the new content has the same doubts
