"""The desk's HTTP server: standard library only, a JSON API and the page's own files.

Bound to 127.0.0.1 by default; on any other host every request must carry the access token
(``X-Gongkai-Token`` header, or ``?token=`` for the page and its images). A state-changing
request must carry the per-server CSRF token that is embedded in the page
(``X-CSRF-Token``): another site's form or script cannot send it.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipeline.review.crop import crop_png
from pipeline.review.desk import QUEUE_LIMIT, Desk, DeskError, source_path
from pipeline.review.docview import document_view, page_png
from pipeline.review.tables import decide_table, reidentify

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_STATIC = {"app.js": "text/javascript", "app.css": "text/css", "doc.js": "text/javascript"}
_DOC_PAGE = re.compile(r"^/doc/([0-9a-f]{64})$")
_CELL = re.compile(r"^/api/cells/(\d+)/(crop\.png|lines|decide)$")
_TABLE = re.compile(r"^/api/documents/([0-9a-f]{64})/tables/(\w+)/decide$")
_IDENTIFY = re.compile(r"^/api/documents/([0-9a-f]{64})/identify$")
_DOC = re.compile(r"^/api/documents/([0-9a-f]{64})$")
_PAGE = re.compile(r"^/api/documents/([0-9a-f]{64})/pages/(\d+)\.png$")
_MAX_BODY = 10_000


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, addr: tuple[str, int], desk: Desk, reviewer: str, token: str | None = None
    ) -> None:
        if addr[0] not in LOOPBACK and not token:
            raise ValueError(f"serving on {addr[0]} needs an access token (--token)")
        super().__init__(addr, Handler)
        self.desk = desk
        self.reviewer = reviewer
        self.token = token
        self.host = addr[0]
        self.csrf = secrets.token_urlsafe(24)


class Handler(BaseHTTPRequestHandler):
    server: ReviewServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # quiet: the reviewer's terminal is not a log

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False, default=_number).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _allowed(self, query: dict[str, list[str]]) -> bool:
        port = self.server.server_address[1]
        named = {f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]", self.server.host)}
        if self.server.token is None and self.headers.get("Host", "") not in named:
            # another name for this address (DNS rebinding) must not read or change the store
            self._json(403, {"error": "this server answers to 127.0.0.1 and localhost only"})
            return False
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("X-Gongkai-Token") or (query.get("token") or [""])[0]
        if hmac.compare_digest(given.encode(), token.encode()):
            return True
        self._json(401, {"error": "an access token is required (X-Gongkai-Token or ?token=)"})
        return False

    def do_GET(self) -> None:  # noqa: N802 - the base's name
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if not self._allowed(query):
            return
        try:
            self._get(url.path, query)
        except DeskError as e:
            self._json(e.status, {"error": str(e)})
        except Exception as e:  # noqa: BLE001 - told to the page, the server goes on
            self._json(500, {"error": f"{type(e).__name__}: {e}"})

    def _get(self, path: str, query: dict[str, list[str]]) -> None:
        desk = self.server.desk
        if path == "/" or _DOC_PAGE.match(path):
            page = _static("index.html" if path == "/" else "doc.html").decode("utf-8")
            page = page.replace("{{CSRF}}", self.server.csrf)
            page = page.replace("{{REVIEWER}}", _html(self.server.reviewer))
            self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        elif path.startswith("/static/") and path[8:] in _STATIC:
            self._send(200, _static(path[8:]), _STATIC[path[8:]])
        elif path == "/api/queue":
            args = {k: (query.get(k) or [""])[0] or None for k in ("document", "table", "reason")}
            limit = (query.get("limit") or [str(QUEUE_LIMIT)])[0]
            if not limit.isdigit():
                raise DeskError("limit is a number")
            self._json(200, desk.queue(**args, limit=min(int(limit), 5 * QUEUE_LIMIT)))
        elif m := _DOC.match(path):
            self._json(200, document_view(desk, m[1]))
        elif m := _PAGE.match(path):
            self._send(200, page_png(desk, m[1], int(m[2])), "image/png")
        elif m := _CELL.match(path):
            cell_id, what = int(m[1]), m[2]
            if what == "lines":
                self._json(200, desk.source_lines(cell_id))
            elif what == "crop.png":
                self._crop(cell_id)
            else:
                self._json(405, {"error": "POST to decide"})
        else:
            self._json(404, {"error": f"no such page: {path}"})

    def _crop(self, cell_id: int) -> None:
        c, doc = self.server.desk.context(cell_id)
        if c.page is None or c.bbox is None:
            raise DeskError("this cell has no place on a page", 404)
        src = source_path(doc)
        try:
            png = crop_png(src, c.page, c.bbox)
        except Exception as e:  # noqa: BLE001 - a damaged or replaced file is told, not a 500
            raise DeskError(f"cannot render page {c.page} of {src}: {e}", 422) from e
        self._send(200, png, "image/png")

    def do_POST(self) -> None:  # noqa: N802 - the base's name
        url = urlsplit(self.path)
        if not self._allowed(parse_qs(url.query)):
            return
        given = self.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(given.encode(), self.server.csrf.encode()):
            self._json(403, {"error": "missing or wrong CSRF token: reload the page"})
            return
        try:
            self._post(url.path)
        except DeskError as e:
            self._json(e.status, {"error": str(e)})
        except Exception as e:  # noqa: BLE001 - told to the page, the server goes on
            self._json(500, {"error": f"{type(e).__name__}: {e}"})

    def _post(self, path: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise DeskError("request too large", 413)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            raise DeskError("the body is not JSON") from None
        if not isinstance(body, dict):
            raise DeskError("the body is not a JSON object")
        desk, reviewer = self.server.desk, self.server.reviewer
        if path == "/api/undo":
            self._json(200, desk.undo(reviewer))
            return
        if t := _TABLE.match(path):
            self._json(200, decide_table(desk, t[1], t[2], str(body.get("action")), reviewer))
            return
        if t := _IDENTIFY.match(path):
            args = (str(body.get("template")), str(body.get("layout")))
            self._json(200, reidentify(desk, t[1], *args, reviewer))
            return
        m = _CELL.match(path)
        if not m or m[2] != "decide":
            raise DeskError(f"no such action: {path}", 404)
        version = body.get("version")
        if not isinstance(version, str):
            raise DeskError("the cell's version is required (the page's copy of it)")
        value = body.get("value")
        if value is not None and not isinstance(value, (str, int, float)):
            raise DeskError("the value is a number")
        result = desk.decide(
            int(m[1]), str(body.get("action")), version, reviewer,
            None if value is None else str(value),
        )  # fmt: skip
        self._json(200, result)


def _static(name: str) -> bytes:
    return (resources.files("pipeline.review") / "static" / name).read_bytes()


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _number(o: object) -> int | float:
    """A stored value left typed (an amount is a Decimal) as a JSON number."""
    if isinstance(o, Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError(f"{type(o).__name__} is not JSON")


def serve(db: str | Path, host: str, port: int, reviewer: str, token: str | None) -> ReviewServer:
    """A server ready to ``serve_forever`` (port 0: any free port, see ``server_address``)."""
    return ReviewServer((host, port), Desk(db), reviewer, token)
