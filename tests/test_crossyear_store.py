"""The cross-year identity in the store, on SQLite and PostgreSQL: an organ's carried-over
applications in year N against its carried-forward ones in N-1, flagged on both filings, taken
back when the years agree again; and end to end through ``gongkai extract``."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.model.records import DocResult, DocStatus, Reason, Status
from pipeline.model.taxonomy import APPLICATIONS
from pipeline.run import process
from pipeline.store.db import Store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE = SAMPLES / "001_ddb0b637c4df75e9.txt"  # 乐清市人民政府办公室 2021, all consistent


@pytest.fixture(scope="module")
def base() -> DocResult:
    r = process(SAMPLE)
    assert r.identification and r.identification.year == 2021
    assert r.status == DocStatus.OK
    return r


def _row(r: DocResult, row: str) -> dict[str, float | int | None]:
    return {c.key.col: c.value for c in r.cells if (c.key.table, c.key.row) == (APPLICATIONS, row)}


def _year(r: DocResult, year: int, sha: str, carried_over: dict[str, float | int | None],
          organ: str | None = None) -> DocResult:  # fmt: skip
    """The same organ's filing for ``year``, carrying ``carried_over`` in."""
    assert r.identification
    ident = replace(r.identification, year=year, organ=organ or r.identification.organ)
    cells = tuple(
        replace(c, value=carried_over[c.key.col])
        if (c.key.table, c.key.row) == (APPLICATIONS, "carried_over")
        else c
        for c in r.cells
    )
    return replace(r, sha256=sha * 64, identification=ident, cells=cells)


def _cells(st: Store, sha: str, row: str) -> dict[str, tuple[str, str | None]]:
    return {c.col: (c.status, c.reason) for c in st.cells(sha)
            if (c.table, c.row) == (APPLICATIONS, row)}  # fmt: skip


def _checks(st: Store, sha: str) -> dict[str, bool]:
    with st.read() as db:
        from sqlalchemy import text

        rows = db.execute(
            text(
                "SELECT c.identity, c.holds FROM checks c JOIN documents d ON d.id = c.document_id"
                " WHERE d.sha256 = :s AND c.identity LIKE 'cross_year.%'"
            ),
            {"s": sha},
        ).all()
    return {i: bool(h) for i, h in rows}


def _status(st: Store, sha: str) -> str:
    return next(d.status for d in st.documents() if d.sha256 == sha)


def test_years_that_agree_hold_on_both_sides(store_url: str, base: DocResult) -> None:
    later = _year(base, 2022, "b", _row(base, "carried_forward"))
    with Store(store_url) as st:
        st.save(base, "/a/2021.txt")
        touched = st.save(later, "/a/2022.txt")
        assert touched == {base.sha256, later.sha256}
        assert _checks(st, later.sha256) and all(_checks(st, later.sha256).values())
        assert set(_checks(st, later.sha256)) == {f"cross_year.carried_over.{c}"
                                                 for c in _row(base, "carried_over")}  # fmt: skip
        assert all(_checks(st, base.sha256).values())
        assert all(s == Status.OK for s, _ in _cells(st, later.sha256, "carried_over").values())
        assert _status(st, base.sha256) == _status(st, later.sha256) == DocStatus.OK


def test_a_mismatch_sends_both_filings_cells_to_review_and_a_new_version_takes_it_back(
    store_url: str, base: DocResult
) -> None:
    forward = _row(base, "carried_forward")
    wrong = {**forward, "natural_person": (forward["natural_person"] or 0) + 3}
    later = _year(base, 2022, "c", wrong)
    with Store(store_url) as st:
        st.save(base, "/a/2021.txt")
        st.save(later, "/a/2022.txt")
        assert _cells(st, later.sha256, "carried_over")["natural_person"] == (
            Status.REVIEW, Reason.CROSS_YEAR_MISMATCH)  # fmt: skip
        assert _cells(st, base.sha256, "carried_forward")["natural_person"] == (
            Status.REVIEW, Reason.CROSS_YEAR_MISMATCH)  # fmt: skip
        others = {k: v for k, v in _cells(st, base.sha256, "carried_forward").items()
                  if k != "natural_person"}  # fmt: skip
        assert all(v == (Status.OK, None) for v in others.values())
        assert _checks(st, later.sha256)["cross_year.carried_over.natural_person"] is False
        assert _checks(st, base.sha256)["cross_year.carried_forward.natural_person"] is False
        assert _status(st, base.sha256) == _status(st, later.sha256) == DocStatus.PARTIAL
        # the file of 2022 is replaced by a version that agrees: both filings are clean again
        fixed = _year(base, 2022, "d", forward)
        touched = st.save(fixed, "/a/2022.txt")
        assert base.sha256 in touched
        assert _cells(st, base.sha256, "carried_forward")["natural_person"] == (Status.OK, None)
        assert _status(st, base.sha256) == DocStatus.OK
        assert all(_checks(st, base.sha256).values())
        assert all(_checks(st, fixed.sha256).values())


def test_organ_names_are_normalised_and_generic_names_link_nothing(
    store_url: str, base: DocResult
) -> None:
    forward = _row(base, "carried_forward")
    wrong = {**forward, "total": (forward["total"] or 0) + 1}
    aside = _year(base, 2022, "e", wrong, organ="乐清市人民政府办公室（政务公开科）")
    with Store(store_url) as st:
        st.save(base, "/a/2021.txt")
        st.save(aside, "/a/2022.txt")
        assert _checks(st, aside.sha256)["cross_year.carried_over.total"] is False
    generic = replace(base, identification=replace(base.identification, organ="办公室"))
    g2 = _year(generic, 2022, "f", wrong)
    with Store(store_url.replace("g.sqlite", "h.sqlite")) as st:
        st.save(generic, "/b/2021.txt")
        assert st.save(g2, "/b/2022.txt") == set()
        assert _checks(st, g2.sha256) == {}


def test_extract_flags_both_years_in_their_json(tmp_path: Path) -> None:
    """Two years of one organ from the command line: the later one carries over other numbers
    than the earlier carried forward; each JSON says so, the earlier one rewritten."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SAMPLE, src / "y2021.txt")
    (src / "y2022.txt").write_text(
        SAMPLE.read_text(encoding="utf-8").replace("2021年", "2022年"), encoding="utf-8"
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["extract", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    early = json.loads((out / "y2021.json").read_text(encoding="utf-8"))
    late = json.loads((out / "y2022.json").read_text(encoding="utf-8"))
    assert (early["year"], late["year"]) == (2021, 2022)

    def flagged(doc: dict, row: str) -> set[str]:
        return {c["col"] for c in doc["cells"] if c["row"] == row
                and c["reason"] == Reason.CROSS_YEAR_MISMATCH}  # fmt: skip

    # 2021 carried forward 1, 1, 0, 0, 0, 0, 2; 2022 (a copy) carried over 5, 0, …, 5
    assert flagged(early, "carried_forward") == {"natural_person", "commercial", "total"}
    assert flagged(late, "carried_over") == {"natural_person", "commercial", "total"}
    failing = {c["identity"] for c in early["checks"] if not c["holds"]}
    assert "cross_year.carried_forward.total" in failing
    assert early["status"] == late["status"] == DocStatus.PARTIAL
