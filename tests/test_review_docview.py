"""The document view over HTTP: matrices in the filing's layout, checks, pages with boxes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from .review_fixtures import MISREAD, build, serving
from .test_review_api import Client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with serving(build(tmp_path)) as server:
        yield Client(server)


def _pdf_doc(client: Client) -> tuple[str, dict]:  # type: ignore[type-arg]
    item = next(i for i in client.queue()["items"] if i["page"] is not None)
    status, view = client.call("GET", f"/api/documents/{item['sha256']}")
    assert status == 200
    return item, view


def test_matrices_in_the_filings_layout(client: Client) -> None:
    item, view = _pdf_doc(client)
    assert [t["table"] for t in view["tables"]] == [
        "active_disclosure", "applications", "review_litigation",
    ]  # fmt: skip
    apps = view["tables"][1]
    assert apps["title"].startswith("三、") and apps["cols"][0] == ["natural_person", "自然人"]
    assert [r[0] for r in apps["rows"]][
        0
    ] == "new_requests"  # rows in order, keys with their labels
    cell = apps["cells"][MISREAD.row][MISREAD.col]
    assert (cell["id"], cell["status"], cell["version"]) == (item["id"], "review", item["version"])
    assert not apps["decidable"]  # read from the filing: no whole-table action
    checks = {c["identity"]: c["holds"] for c in view["checks"]}
    assert checks["applications.column.natural_person"] is True
    assert item["page"] in view["pages"] and view["pages"] == sorted(set(view["pages"]))


def test_page_png_has_the_boxes(client: Client, tmp_path: Path) -> None:
    item, view = _pdf_doc(client)
    sha, n = item["sha256"], item["page"]
    src = tmp_path / "src" / "gen_2021_split.pdf"
    before = src.read_bytes()
    status, png = client.call("GET", f"/api/documents/{sha}/pages/{n}.png")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert src.read_bytes() == before  # drawn on a copy in memory, never on the source
    pix = pymupdf.Pixmap(png)
    x0, y0, x1, y1 = (v * 1.5 for v in item["bbox"])
    # the review cell's box is red on its left edge
    reds = [pix.pixel(int(x0), int(y)) for y in range(int(y0) + 2, int(y1) - 2)]
    assert any(r > 150 and g < 90 and b < 90 for r, g, b, *_ in reds)
    assert client.call("GET", f"/api/documents/{sha}/pages/99.png")[0] == 404
    assert client.call("GET", f"/api/documents/{sha}/pages/0.png")[0] == 404
    assert client.call("GET", f"/api/documents/{'0' * 64}")[0] == 404
    text = next(d["sha256"] for d in client.queue()["documents"] if d["sha256"] != sha)
    assert client.call("GET", f"/api/documents/{text}/pages/1.png")[0] == 422


def test_doc_page_served_with_csrf(client: Client) -> None:
    item, _ = _pdf_doc(client)
    status, page = client.call("GET", f"/doc/{item['sha256']}")
    assert status == 200 and client.csrf.encode() in page and b"doc.js" in page
    assert client.call("GET", "/doc/../etc")[0] == 404
