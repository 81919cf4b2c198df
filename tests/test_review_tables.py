"""Whole-table decisions over HTTP: absent in this filing, printed blank, undo, refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.model.records import Layout, Template
from pipeline.model.taxonomy import table_layout
from pipeline.store import review as rs
from pipeline.store.db import Store

from .conftest import validate_output
from .review_fixtures import TEXT, build, serving
from .test_review_api import Client

LOST = "review_litigation"


@pytest.fixture
def lost_db(tmp_path: Path) -> Path:
    return build(tmp_path, lose=LOST)


@pytest.fixture
def client(lost_db: Path) -> Iterator[Client]:
    with serving(lost_db) as server:
        yield Client(server)


def _text_doc(client: Client) -> str:
    q = client.queue(f"?table={LOST}")
    (sha,) = {i["sha256"] for i in q["items"]}
    return sha  # type: ignore[no-any-return]


def _table(client: Client, sha: str, action: str, table: str = LOST) -> tuple[int, Any]:
    return client.call("POST", f"/api/documents/{sha}/tables/{table}/decide", {"action": action})


def _out(db: Path) -> dict[str, Any]:
    data = json.loads((db.parent / f"{TEXT.stem}.json").read_text(encoding="utf-8"))
    validate_output(data)
    return data  # type: ignore[no-any-return]


def test_absent_leaves_queue_null_and_said(client: Client, lost_db: Path) -> None:
    sha = _text_doc(client)
    assert client.queue(f"?table={LOST}")["shown"] == 15
    status, data = _table(client, sha, "absent")
    assert status == 200 and data["cells"] == 15 and data["written"]
    assert client.queue(f"?table={LOST}")["shown"] == 0
    out = _out(lost_db)
    cells = [c for c in out["cells"] if c["table"] == LOST]
    assert {(c["value"], c["status"], c["reason"]) for c in cells} == {(None, "corrected", None)}
    assert f"{LOST} absent in this filing (a reviewer's decision)" in out["warnings"]
    with Store(lost_db) as st, st.read() as c:
        audit = [r for r in rs.reviews(c) if r.action == "absent"]
    assert len(audit) == 15 and {r.reviewer for r in audit} == {"ana"}


def test_blank_sets_zeros_and_undo_takes_the_table_back(client: Client, lost_db: Path) -> None:
    sha = _text_doc(client)
    assert _table(client, sha, "blank")[0] == 200
    cells = [c for c in _out(lost_db)["cells"] if c["table"] == LOST]
    assert {(c["value"], c["status"]) for c in cells} == {(0, "corrected")}
    status, data = _table(client, sha, "absent")  # never over decisions: undo them first
    assert status == 409 and "decided already" in data["error"]
    status, _ = client.call("POST", "/api/undo", {})
    assert status == 200
    assert client.queue(f"?table={LOST}")["shown"] == 15
    out = _out(lost_db)
    assert {c["status"] for c in out["cells"] if c["table"] == LOST} == {"review"}
    assert not any("absent" in w for w in out.get("warnings", []))
    assert client.call("POST", "/api/undo", {})[0] == 409


def test_table_actions_refused(client: Client) -> None:
    sha = _text_doc(client)
    # a table read from the filing is neither absent nor blank
    status, data = _table(client, sha, "absent", "active_disclosure")
    assert status == 409 and "read from the filing" in data["error"]
    assert _table(client, sha, "zeros")[0] == 400
    assert _table(client, sha, "blank", "nothing")[0] == 404
    assert _table(client, "0" * 64, "blank")[0] == 404
    path = f"/api/documents/{sha}/tables/{LOST}/decide"
    assert client.call("POST", path, {"action": "blank"}, csrf=False)[0] == 403
    assert client.queue(f"?table={LOST}")["shown"] == 15


def test_switch_layout_rematches_and_keeps_decisions(client: Client, lost_db: Path) -> None:
    sha = _text_doc(client)
    assert _table(client, sha, "blank")[0] == 200
    assert _out(lost_db)["applications_layout"] == "2021"
    path = f"/api/documents/{sha}/identify"
    status, data = client.call("POST", path, {"template": "2021", "layout": "2019"})
    assert status == 200 and data["written"], data
    out = _out(lost_db)
    assert (out["template"], out["applications_layout"]) == ("2021", "2019")
    rows = {c["row"] for c in out["cells"] if c["table"] == "applications"}
    one_row = {k for k, _ in table_layout("applications", Template.T2021, Layout.ONE_ROW)[0]}
    assert rows == one_row != {k for k, _ in table_layout("applications", Template.T2021,
                                                          Layout.THREE_ROWS)[0]}  # fmt: skip
    blank = [c for c in out["cells"] if c["table"] == LOST]
    assert {(c["value"], c["status"]) for c in blank} == {(0, "corrected")}  # decisions kept
    view = client.call("GET", f"/api/documents/{sha}")[1]
    assert view["layout"] == "2019"
    # a later extraction forces the reviewer's choice too
    from click.testing import CliRunner

    from pipeline.cli import main

    src = lost_db.parent.parent / "src" / TEXT.name
    res = CliRunner().invoke(main, ["extract", str(src), "--out", str(lost_db.parent)])
    assert res.exit_code == 0, res.output
    assert _out(lost_db)["applications_layout"] == "2019"
    with Store(lost_db) as st, st.read() as c:
        audit = [(r.key.row, r.key.col) for r in rs.reviews(c) if r.action == "identify"]
    assert audit == [("template", "2021→2021"), ("layout", "2021→2019")]
    assert client.call("POST", path, {"template": "2020", "layout": "2019"})[0] == 400
    assert client.call("POST", path, {"template": "2021", "layout": "2019"}, csrf=False)[0] == 403


def test_forced_identification_is_the_reviewers(tmp_path: Path) -> None:
    """``process`` with a template and layout forced: taken as given, decided by the reviewer
    (firm: no "not told" warning), and the layout's rows are the ones matched."""
    from pipeline.model.records import Decision
    from pipeline.run import process

    r = process(TEXT, template=Template.T2019, layout=Layout.ONE_ROW)
    assert r.identification is not None
    ident = r.identification
    assert (ident.template, ident.applications_layout) == (Template.T2019, Layout.ONE_ROW)
    assert ident.template_by == ident.layout_by == Decision.REVIEWER
    assert not any("not told" in w for w in r.warnings)
    assert process(TEXT).identification.template_by != Decision.REVIEWER  # type: ignore[union-attr]
