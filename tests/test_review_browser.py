"""The desk in a real browser (Playwright driving Debian's chromium): the queue shows a crop,
Enter accepts the suggestion, the count drops, and the decision persists into the JSON.

The README's screenshots, docs/review-queue.png and review-document.png, are taken here;
they are rewritten only with ``pytest --update-golden`` (like the golden files: a reviewed
change, never a CI side effect).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .review_fixtures import MISREAD, build, serving

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "review-queue.png"
DOC_SCREENSHOT = SCREENSHOT.with_name("review-document.png")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def test_accept_with_enter_in_the_browser(tmp_path: Path, update_golden: bool) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    db = build(tmp_path)
    with serving(db) as server:
        host, port = server.server_address[:2]
        url = f"http://{host!s}:{port}/"
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(url)
            count = page.locator("#count")
            sync_api.expect(count).to_contain_text("6 to review")
            first = page.locator(".item").first
            sync_api.expect(first).to_contain_text("予以公开")
            img = first.locator("img")
            img.wait_for()
            page.wait_for_function(
                "() => { const i = document.querySelector('.item img');"
                " return i && i.complete && i.naturalWidth > 0; }"
            )
            shot = page.screenshot(path=str(tmp_path / "queue.png"))
            assert shot[:8] == b"\x89PNG\r\n\x1a\n"
            if update_golden:
                SCREENSHOT.write_bytes(shot)
            # the document's checks, in a second tab: the row identity fails before the fix
            href = first.locator("a.doc").get_attribute("href")
            checks = browser.new_page()
            checks.goto(url.rstrip("/") + str(href))
            granted = checks.locator("li", has_text="applications.row.granted")
            sync_api.expect(granted).to_have_class("st-review")
            page.bring_to_front()
            page.keyboard.press("Enter")
            sync_api.expect(count).to_contain_text("5 to review")
            checks.reload()  # and holds after it: the identity turned green
            sync_api.expect(
                checks.locator("li", has_text="applications.row.granted")
            ).to_have_class("st-ok")
            page.reload()
            sync_api.expect(count).to_contain_text("5 to review")
            sync_api.expect(page.locator(".item").first).not_to_contain_text("予以公开")
            # the text extraction's lines around the cell; j moves, digits + Enter set a value
            sync_api.expect(page.locator(".item pre .hit").first).to_contain_text("96:")
            page.keyboard.press("j")
            sync_api.expect(page.locator(".item").nth(1)).to_have_class("item current")
            page.keyboard.type("0")
            page.keyboard.press("Enter")
            sync_api.expect(count).not_to_contain_text("5 to review")
            page.keyboard.press("u")
            sync_api.expect(count).to_contain_text("5 to review")
            browser.close()
    out = json.loads((tmp_path / "out" / "gen_2021_split.json").read_text(encoding="utf-8"))
    key = (MISREAD.table, MISREAD.row, MISREAD.col)
    cell = next(c for c in out["cells"] if (c["table"], c["row"], c["col"]) == key)
    assert cell["status"] == "corrected"


def test_document_view_in_the_browser(tmp_path: Path, update_golden: bool) -> None:
    """The matrices, a whole table printed blank and undone, a page's image, and a click on a
    review cell that lands on its queue item."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    db = build(tmp_path, lose="review_litigation")
    with serving(db) as server:
        host, port = server.server_address[:2]
        base = f"http://{host!s}:{port}"
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(base + "/")
            expect(page.locator("#count")).to_contain_text("16 to review")
            # the text document's queue item links to its document view
            page.locator(".item a.doc").last.click()
            lost = page.locator('table.matrix[data-table="review_litigation"]')
            expect(lost.locator("td.st-review")).to_have_count(15)
            expect(page.locator("h2").first).to_contain_text("二、主动公开政府信息情况")
            page.locator('button[data-action="blank"]').click()
            expect(lost.locator("td.st-corrected")).to_have_count(15)
            page.keyboard.press("u")
            expect(lost.locator("td.st-review")).to_have_count(15)
            # switching the （六） layout extracts again: table 三 gets the 2019 rows
            page.select_option("#layout", "2019")
            page.locator("#identify").click()
            expect(page.locator("#message")).to_have_text("extracted again")
            expect(page.locator("#status")).to_contain_text("layout 2019")
            target = lost.locator("td.st-review").nth(3)
            cell_id = target.get_attribute("data-id")
            target.click()
            expect(page.locator(".item.current")).to_have_attribute("data-id", str(cell_id))
            # the PDF's view (its document first in the whole queue): its page with the boxes
            page.goto(base + "/")
            page.locator(".item a.doc").first.click()
            img = page.locator("#pages img").first
            img.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => { const i = document.querySelector('#pages img');"
                " return i && i.complete && i.naturalWidth > 0; }"
            )
            page.evaluate("window.scrollTo(0, 0)")
            shot = page.screenshot(path=str(tmp_path / "document.png"))
            assert shot[:8] == b"\x89PNG\r\n\x1a\n"
            if update_golden:
                DOC_SCREENSHOT.write_bytes(shot)
            browser.close()
