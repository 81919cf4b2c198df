"""A store with cells to review, for the desk's tests: a text extraction whose review table
is in doubt, and a generated PDF with one doubtful misread the identities correct."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from pipeline.model.records import CellKey, DocResult, DocStatus, Number, Status
from pipeline.recover.reconcile import reconcile
from pipeline.review.server import ReviewServer, serve
from pipeline.run import process
from pipeline.store.db import Store
from pipeline.store.export import write_json

from .conftest import SAMPLES

TEXT = SAMPLES / "000_4ad504e2c8547839.txt"
PDF = SAMPLES / "generated" / "gen_2021_split.pdf"
MISREAD = CellKey("applications", "granted", "natural_person")


def misread(r: DocResult, key: CellKey) -> DocResult:
    """The result as if ``key`` had been read one too high, doubtfully."""
    obs = {o.key: o for o in r.observed}
    o = obs[key]
    assert isinstance(o.number.value, int)
    obs[key] = replace(o, number=Number(o.number.value + 1, 0.7), text=str(o.number.value + 1))
    assert r.identification is not None
    cells, checks = reconcile(r.identification, obs)
    status = DocStatus.PARTIAL if any(c.status == Status.REVIEW for c in cells) else r.status
    return replace(
        r, cells=tuple(cells), checks=tuple(checks), observed=tuple(obs.values()), status=status
    )


def lost(r: DocResult, table: str) -> DocResult:
    """The result as if ``table`` had not been found in the filing."""
    obs = {o.key: o for o in r.observed if o.key.table != table}
    assert r.identification is not None
    cells, checks = reconcile(r.identification, obs)
    return replace(
        r, cells=tuple(cells), checks=tuple(checks), observed=tuple(obs.values()),
        status=DocStatus.PARTIAL, warnings=(*r.warnings, f"{table} values not found"),
    )  # fmt: skip


def build(tmp: Path, lose: str | None = None) -> Path:
    """Copies of the sources under ``tmp/src``, their JSON in ``tmp/out``; the store's path.
    ``lose``: a table of the text extraction taken as not found."""
    db = tmp / "out" / "gongkai.sqlite"
    build_at(tmp, db, lose)
    return db


def build_at(tmp: Path, db: str | Path, lose: str | None = None) -> None:
    """:func:`build` into the store at ``db`` (a path or a URL)."""
    src, out = tmp / "src", tmp / "out"
    src.mkdir()
    out.mkdir(exist_ok=True)
    with Store(db) as st:
        for path, hurt in ((TEXT, False), (PDF, True)):
            copy = src / path.name
            shutil.copy(path, copy)
            r = process(copy)
            if hurt:
                r = misread(r, MISREAD)
            elif lose:
                r = lost(r, lose)
            key = str(copy.resolve())
            json_path = write_json(r, out, copy.stem, key)
            st.save(r, key, str(json_path.resolve()))


@contextmanager
def serving(
    db: str | Path, reviewer: str = "ana", token: str | None = None
) -> Iterator[ReviewServer]:
    """The desk served on a free loopback port in a thread, shut down after."""
    server = serve(db, "127.0.0.1", 0, reviewer, token)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
