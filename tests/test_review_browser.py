"""The desk in a real browser (Playwright driving Debian's chromium): the queue shows a crop,
Enter accepts the suggestion, the count drops, and the decision persists into the JSON.

The README's screenshot, docs/review-queue.png, is taken here; it is rewritten only with
``pytest --update-golden`` (like the golden files: a reviewed change, never a CI side effect).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from pipeline.review.server import serve

from .review_fixtures import MISREAD, build

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "review-queue.png"
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
    server = serve(db, "127.0.0.1", 0, "ana", None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    url = f"http://{host!s}:{port}/"
    try:
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
            page.keyboard.press("Enter")
            sync_api.expect(count).to_contain_text("5 to review")
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
    finally:
        server.shutdown()
        server.server_close()
    out = json.loads((tmp_path / "out" / "gen_2021_split.json").read_text(encoding="utf-8"))
    key = (MISREAD.table, MISREAD.row, MISREAD.col)
    cell = next(c for c in out["cells"] if (c["table"], c["row"], c["col"]) == key)
    assert cell["status"] == "corrected"
