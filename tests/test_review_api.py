"""The reviewer's desk over HTTP: queue, decisions, audit, re-reconciliation, security."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from pipeline.cli import main
from pipeline.review.desk import DeskError, etag, parse_value
from pipeline.review.server import ReviewServer, serve
from pipeline.store import review as rs
from pipeline.store.db import Store

from .conftest import validate_output
from .review_fixtures import MISREAD, TEXT, build, serving


class Client:
    def __init__(self, server: ReviewServer, token: str | None = None) -> None:
        host, port = server.server_address[:2]
        self.base = f"http://{host}:{port}"
        self.csrf = server.csrf
        self.token = token

    def call(self, method: str, path: str, body: Any = None, csrf: bool = True) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        if self.token:
            headers["X-Gongkai-Token"] = self.token
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(req) as r:
                raw, ctype, status = r.read(), r.headers["Content-Type"], r.status
        except urllib.error.HTTPError as e:
            raw, ctype, status = e.read(), e.headers["Content-Type"], e.code
        return status, json.loads(raw) if "json" in ctype else raw

    def queue(self, query: str = "") -> dict[str, Any]:
        status, data = self.call("GET", "/api/queue" + query)
        assert status == 200
        return data  # type: ignore[no-any-return]

    def decide(self, item: dict[str, Any], action: str, value: Any = None) -> tuple[int, Any]:
        body = {"action": action, "version": item["version"], "value": value}
        return self.call("POST", f"/api/cells/{item['id']}/decide", body)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build(tmp_path)


@pytest.fixture
def client(db: Path) -> Iterator[Client]:
    with serving(db) as server:
        yield Client(server)


def _find(q: dict[str, Any], row: str, col: str) -> dict[str, Any]:
    return next(i for i in q["items"] if (i["row"], i["col"]) == (row, col))


def test_queue_order_counts_and_filters(client: Client) -> None:
    q = client.queue()
    # the PDF has one doubtful cell: it finishes a document, so it comes first
    first = q["items"][0]
    assert (first["table"], first["row"], first["col"]) == tuple(vars(MISREAD).values())
    assert first["suggestion"] == first["value"] - 1
    assert first["row_label"].endswith("予以公开") and first["col_label"] == "自然人"
    assert first["identities"] and first["identities"][0]["lhs_sum"] is not None
    counts = sorted(d["count"] for d in q["documents"])
    assert counts == [1, 5] and q["total"] == 6 == len(q["items"])
    text_doc = next(d["sha256"] for d in q["documents"] if d["count"] == 5)
    assert {i["sha256"] for i in client.queue(f"?document={text_doc}")["items"]} == {text_doc}
    assert len(client.queue("?table=applications")["items"]) == 1
    assert client.queue("?reason=undetermined")["shown"] == 5
    head = client.queue("?limit=2")
    assert (head["shown"], head["matching"], head["total"]) == (2, 6, 6)
    assert [i["id"] for i in head["items"]] == [i["id"] for i in q["items"][:2]]
    assert client.call("GET", "/api/queue?limit=x")[0] == 400


def test_accept_corrects_audits_and_rewrites_json(client: Client, db: Path) -> None:
    item = client.queue()["items"][0]
    status, data = client.decide(item, "accept")
    assert status == 200 and data["written"]
    q = client.queue()
    assert q["total"] == 5 and all(i["id"] != item["id"] for i in q["items"])
    out = json.loads(Path(data["written"][0]).read_text(encoding="utf-8"))
    validate_output(out)  # the rewritten JSON keeps the contract
    key = tuple(vars(MISREAD).values())
    cell = next(c for c in out["cells"] if (c["table"], c["row"], c["col"]) == key)
    assert (cell["value"], cell["status"], cell["reason"]) == (
        item["suggestion"],
        "corrected",
        None,
    )
    assert out["status"] == "ok" and all(ch["holds"] for ch in out["checks"])
    with Store(db) as st, st.read() as c:
        (audit,) = rs.reviews(c)
    assert (audit.reviewer, audit.old_value, audit.new_value) == (
        "ana",
        item["value"],
        item["suggestion"],
    )
    assert audit.old_status == "review" and audit.at


def test_one_fix_settles_other_cells(client: Client) -> None:
    q = client.queue("?reason=undetermined")
    total = _find(q, "counts", "review_total")
    status, _ = client.decide(total, "set", "0")
    assert status == 200
    left = client.queue("?reason=undetermined")["items"]
    # review_total = upheld + corrected + other + pending: a total of 0 makes them all 0
    assert not [i for i in left if i["col"].startswith("review_")]


def test_undo_restores(client: Client) -> None:
    item = client.queue()["items"][0]
    client.decide(item, "accept")
    status, _ = client.call("POST", "/api/undo", {})
    assert status == 200
    back = client.queue()["items"][0]
    assert (back["id"], back["value"], back["suggestion"]) == (
        item["id"],
        item["value"],
        item["suggestion"],
    )
    assert client.call("POST", "/api/undo", {})[0] == 409


def test_stale_edit_refused(client: Client) -> None:
    item = client.queue()["items"][0]
    assert client.decide(item, "set", "7")[0] == 200
    status, data = client.decide(item, "set", "8")  # the page still holds the old version
    assert status == 409 and "changed since" in data["error"]


def test_values_validated(client: Client) -> None:
    item = client.queue()["items"][0]
    for bad in ("-1", "1.5", "abc", "nan"):
        status, data = client.decide(item, "set", bad)
        assert status == 400, bad
    assert parse_value("-3", "change") == -3
    assert parse_value("12.5", "amount") == 12.5
    with pytest.raises(DeskError):
        parse_value("-3", "issued")


def test_illegible_leaves_queue_and_printed_keeps_value(client: Client) -> None:
    q = client.queue("?reason=undetermined")
    a, b = q["items"][0], q["items"][1]
    assert client.decide(a, "illegible")[0] == 200
    b = next(i for i in client.queue()["items"] if i["id"] == b["id"])
    assert client.decide(b, "printed")[0] == 200
    ids = {i["id"] for i in client.queue()["items"]}
    assert a["id"] not in ids and b["id"] not in ids


def test_crop_png_and_text_lines(client: Client) -> None:
    q = client.queue()
    pdf_item = next(i for i in q["items"] if i["page"] is not None)
    status, png = client.call("GET", f"/api/cells/{pdf_item['id']}/crop.png")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    text_item = next(i for i in q["items"] if i["line"] is not None)
    status, data = client.call("GET", f"/api/cells/{text_item['id']}/lines")
    assert status == 200 and [text_item["line"], data["lines"][4][1]] == data["lines"][4]
    assert client.call("GET", "/api/cells/999999/crop.png")[0] == 404


def test_missing_source_is_a_message(client: Client, db: Path) -> None:
    item = next(i for i in client.queue()["items"] if i["page"] is not None)
    (db.parent.parent / "src" / "gen_2021_split.pdf").unlink()
    status, data = client.call("GET", f"/api/cells/{item['id']}/crop.png")
    assert status == 404 and "missing or was moved" in data["error"]


def test_csrf_required(client: Client) -> None:
    item = client.queue()["items"][0]
    body = {"action": "accept", "version": item["version"]}
    status, data = client.call("POST", f"/api/cells/{item['id']}/decide", body, csrf=False)
    assert status == 403 and "CSRF" in data["error"]
    assert client.queue()["total"] == 6
    status, page = client.call("GET", "/")
    assert status == 200 and client.csrf.encode() in page


def test_token_required_off_loopback(db: Path) -> None:
    with pytest.raises(ValueError, match="token"):
        serve(db, "0.0.0.0", 0, "ana", None)
    with serving(db, token="s3cret") as server:
        assert Client(server).call("GET", "/api/queue")[0] == 401
        assert Client(server, "wrong").call("GET", "/")[0] == 401
        assert Client(server, "s3cret").call("GET", "/api/queue")[0] == 200


def test_store_without_observations_still_settles(client: Client, db: Path) -> None:
    """A store extracted before the observations were kept: they are rebuilt from the cells."""
    with Store(db) as st, st.write() as c:
        c.execute(text("DELETE FROM observed"))
    q = client.queue("?reason=undetermined")
    assert client.decide(_find(q, "counts", "review_total"), "set", "0")[0] == 200
    left = client.queue("?reason=undetermined")["items"]
    assert not [i for i in left if i["col"].startswith("review_")]


def test_reextraction_keeps_decisions(client: Client, db: Path) -> None:
    """A re-run of extract lays the decisions over the new reading and rewrites the JSON."""
    q = client.queue("?reason=undetermined")
    assert client.decide(_find(q, "counts", "review_total"), "set", "0")[0] == 200
    src, out = db.parent.parent / "src", db.parent
    res = CliRunner().invoke(main, ["extract", str(src / TEXT.name), "--out", str(out)])
    assert res.exit_code == 0, res.output
    left = client.queue("?reason=undetermined")["items"]
    assert not [i for i in left if i["col"].startswith("review_")]
    doc = json.loads((out / f"{TEXT.stem}.json").read_text(encoding="utf-8"))
    total = next(c for c in doc["cells"] if c["col"] == "review_total")
    assert (total["value"], total["status"]) == (0, "corrected")


def test_review_command_refuses_bad_arguments(tmp_path: Path, db: Path) -> None:
    res = CliRunner().invoke(main, ["review", "--db", str(tmp_path / "none.sqlite")])
    assert res.exit_code == 2 and "no store there" in res.output
    res = CliRunner().invoke(main, ["review", "--db", str(db), "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "--token" in res.output


def test_other_host_names_refused(client: Client) -> None:
    """Without a token, only 127.0.0.1/localhost may ask (a rebound DNS name may not)."""
    host, port = client.base.removeprefix("http://").split(":")
    for name, expected in ((f"evil.example:{port}", 403), (f"localhost:{port}", 200)):
        req = urllib.request.Request(client.base + "/api/queue", headers={"Host": name})
        try:
            with urllib.request.urlopen(req) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        assert status == expected, name


def test_suggested_cells_first_within_a_document(db: Path) -> None:
    with Store(db) as st:
        with st.read() as c:
            last = rs.queue(c, reason="undetermined")[-1]
        with st.write() as c:
            c.execute(text("UPDATE cells SET suggestion = 0 WHERE id = :id"), {"id": last.id})
        with st.read() as c:
            items = rs.queue(c)
    assert [i.id for i in items][1] == last.id  # after the one-cell document, before its peers
    assert items[0].sha256 != last.sha256


def test_second_opinion_doubts_survive_a_resettle(client: Client, db: Path) -> None:
    """Re-reconciling after a fix must not clear camelot's doubt about another cell."""
    item = client.queue()["items"][0]
    with Store(db) as st, st.write() as c:
        c.execute(
            text(
                "UPDATE cells SET status = 'review', reason = 'second_opinion_disagrees'"
                " WHERE row_key = 'granted' AND col_key = 'commercial' AND page IS NOT NULL"
            )
        )
    assert client.decide(item, "accept")[0] == 200
    left = client.queue("?reason=second_opinion_disagrees")["items"]
    assert [(i["row"], i["col"]) for i in left] == [("granted", "commercial")]


def test_two_reviewers_never_overwrite_each_other(client: Client, db: Path) -> None:
    with serving(db, "bo") as other:
        bo = Client(other)
        item = client.queue()["items"][0]
        assert client.decide(item, "set", "3")[0] == 200  # ana
        # bo's page was loaded before ana's decision: refused
        status, data = bo.decide(item, "set", "4")
        assert status == 409 and "changed since" in data["error"]
        # bo looks again (the corrected cell has left the queue: its version from the store)
        # and decides; ana's undo would now overwrite bo's work: refused
        with Store(db) as st, st.read() as c:
            cur = rs.cell(c, item["id"])
        assert cur is not None and cur.status == "corrected" and cur.value == 3
        assert bo.decide({"id": item["id"], "version": etag(cur)}, "set", "4")[0] == 200
        status, data = client.call("POST", "/api/undo", {})
        assert status == 409 and "bo decided" in data["error"]
        assert bo.call("POST", "/api/undo", {})[0] == 200
        with Store(db) as st, st.read() as c:
            actions = [(r.reviewer, r.action) for r in rs.reviews(c)]
        assert actions == [("ana", "value"), ("bo", "value"), ("bo", "undo")]
