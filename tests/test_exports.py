"""gongkai export: every format × shape read back with pandas equals the store, exactly.

The samples are extracted once into a temporary store (the CLI, as a user would), a
reviewer's correction is laid on one cell, then each export is read back: values (counts as
integers, amounts as exact decimals), statuses, column names, one row per document (wide),
the coloured cells of the workbook.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline import exports
from pipeline.cli import main
from pipeline.exports.documents import ExportError, all_keys, exact
from pipeline.exports.frames import DOC_COLUMNS
from pipeline.exports.xlsx import DATA_SHEET, FILLS, LEGEND_SHEET
from pipeline.model.records import CellKey, Layout, Template
from pipeline.model.taxonomy import AMOUNT_COLS, TABLE_TITLES, canonical_keys
from pipeline.store.db import open_store

from .conftest import ROOT, SAMPLES

CORRECTED = ("review_litigation", "counts", "review_upheld")  # a review cell of sample 000
CORRECTED_VALUE = 3.0
AMOUNT = ("active_disclosure", "administrative_fees", "amount")  # 7730.28 in gen_2021_split.pdf
AMOUNT_VALUE = 7730.29
Key = tuple[str, str, str, str]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples extracted into a store, one cell corrected by a reviewer."""
    out = tmp_path_factory.mktemp("exports")
    result = CliRunner().invoke(main, ["extract", str(SAMPLES), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open_store(out / "gongkai.sqlite") as store:
        doc = next(d for d in store.documents() if d.source.endswith("000_4ad504e2c8547839.txt"))
        store.correct(doc.sha256, *CORRECTED, CORRECTED_VALUE)
        split = next(d for d in store.documents() if d.source.endswith("gen_2021_split.pdf"))
        store.correct(split.sha256, *AMOUNT, AMOUNT_VALUE)
    return out


@pytest.fixture(scope="module")
def stored(out: Path) -> dict[Key, Any]:
    """Every stored cell by (sha256, table, row, col)."""
    with open_store(out / "gongkai.sqlite") as store:
        return {
            (d.sha256, c.table, c.row, c.col): c
            for d in store.documents()
            for c in store.cells(d.sha256)
        }


@pytest.fixture(scope="module")
def documents(out: Path) -> list[Any]:
    with open_store(out / "gongkai.sqlite") as store:
        return store.documents()


def export(out: Path, path: Path, *args: str) -> Path:
    result = CliRunner().invoke(main, ["export", "--out", str(out), "--to", str(path), *args])
    assert result.exit_code == 0, result.output
    assert f"→ {path}" in result.output
    return path


def read_back(path: Path, fmt: str, decimal_cols: list[str]) -> pd.DataFrame:
    """The file as pandas reads it, decimals parsed exactly where the format allows."""
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "csv":
        conv = {c: lambda s: Decimal(s) if s else None for c in decimal_cols}
        return pd.read_csv(path, dtype_backend="numpy_nullable", converters=conv)
    return pd.read_excel(path, sheet_name=DATA_SHEET, dtype_backend="numpy_nullable")


def same(got: Any, want: Any, col: str, fmt: str) -> bool:
    """A value read back equals the stored one: exactly (Decimal, int); an Excel amount is
    a double, so there it equals the stored float."""
    if want is None:
        return got is None or pd.isna(got)
    if col in AMOUNT_COLS:
        if fmt == "xlsx":
            return float(got) == float(want)
        return isinstance(got, Decimal) and got == Decimal(str(want))
    return int(got) == got and int(got) == int(want)


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_long_reads_back_as_the_store(out: Path, tmp_path: Path, stored: dict, fmt: str) -> None:
    df = read_back(export(out, tmp_path / f"a.{fmt}", "--shape", "long"), fmt, ["amount"])
    assert list(df.columns)[:5] == [n for n, _ in DOC_COLUMNS]
    assert {
        "row_label",
        "col_label",
        "value",
        "amount",
        "status",
        "confidence",
        "x0",
        "line",
    } <= set(df.columns)
    assert len(df) == len(stored)
    assert pd.api.types.is_integer_dtype(df["value"]), df["value"].dtype
    assert pd.api.types.is_integer_dtype(df["year"])
    for r in df.itertuples(index=False):
        c = stored[(r.sha256, r.table, r.row, r.col)]
        got = r.amount if r.col in AMOUNT_COLS else r.value
        assert same(got, c.value, r.col, fmt), (r, c)
        assert r.status == c.status
        if c.bbox:
            assert (r.x0, r.y0, r.x1, r.y1) == pytest.approx(c.bbox)
    labels = df[(df["table"] == "applications") & (df["row"] == "total")]["row_label"]
    assert set(labels) == {"（七）总计"}
    corrected = df[df["status"] == "corrected"].set_index(["table", "row", "col"])
    assert set(corrected.index) == {CORRECTED, AMOUNT}
    assert int(corrected.loc[CORRECTED, "value"]) == CORRECTED_VALUE
    fixed = corrected.loc[AMOUNT, "amount"]
    assert fixed == (AMOUNT_VALUE if fmt == "xlsx" else Decimal("7730.29")), fixed


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_wide_reads_back_one_row_per_document(
    out: Path, tmp_path: Path, stored: dict, documents: list, fmt: str
) -> None:
    amounts = [f"{k.table}.{k.row}.{k.col}" for k in all_keys() if k.col in AMOUNT_COLS]
    df = read_back(export(out, tmp_path / f"w.{fmt}", "--shape", "wide"), fmt, amounts)
    assert len(df) == len(documents) and df["sha256"].is_unique
    meta = [n for n, _ in DOC_COLUMNS] + ["status", "n_review"]
    assert list(df.columns[: len(meta)]) == meta
    keys = list(df.columns[len(meta) :])
    assert keys == [
        f"{k.table}.{k.row}.{k.col}" for k in all_keys() if f"{k.table}.{k.row}.{k.col}" in keys
    ]
    assert "applications.granted.natural_person" in keys
    counts = [k for k in keys if k not in amounts]
    assert all(pd.api.types.is_integer_dtype(df[k]) for k in counts)
    if fmt != "xlsx":
        assert (
            df[[k for k in keys if k in amounts]]
            .map(lambda v: v is None or pd.isna(v) or isinstance(v, Decimal))
            .all()
            .all()
        )
    n_cells = 0
    for _, r in df.iterrows():
        for k in keys:
            table, row, col = k.split(".")
            c = stored.get((r["sha256"], table, row, col))
            n_cells += c is not None
            assert same(r[k], c.value if c else None, col, fmt), (r["source"], k)
        review = sum(c.status == "review" for (sha, *_), c in stored.items() if sha == r["sha256"])
        assert r["n_review"] == review
    assert n_cells == len(stored)


def test_xlsx_lays_out_each_table_and_colours_doubtful_cells(
    out: Path, tmp_path: Path, stored: dict
) -> None:
    path = export(out, tmp_path / "t.xlsx", "--shape", "wide")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*TABLE_TITLES.values(), DATA_SHEET, LEGEND_SHEET]
    coloured: dict[str, int] = {}
    texts: set[str] = set()
    for title in TABLE_TITLES.values():
        for row in wb[title].iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                colour = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None
                for status, argb in FILLS.items():
                    if colour == argb:
                        coloured[status] = coloured.get(status, 0) + 1
                        assert cell.comment is not None and status in cell.comment.text
    expected = {s: sum(c.status == s for c in stored.values()) for s in FILLS}
    assert expected["review"] > 0 and expected["inferred"] > 0 and expected["corrected"] == 2
    assert coloured == {s: n for s, n in expected.items() if n}
    # the filing's own labels, and a header line per document
    assert {"（七）总计", "自然人", "规章", "本年收费金额（万元）"} <= texts
    assert any(
        t.startswith("乐清市供销合作社联合社 · 2021 · ") and "000_4ad504e2c8547839.txt · " in t
        for t in texts
    )
    legend = {r[0] for r in wb[LEGEND_SHEET].iter_rows(values_only=True)}
    assert {"review", "inferred", "corrected", "ok"} <= legend


def test_wide_columns_follow_the_contract_whatever_the_documents(out: Path) -> None:
    with open_store(out / "gongkai.sqlite") as store:
        docs = exports.read_documents(store)
    by = {(d.template, d.layout): d for d in docs}
    assert set(by) == {
        (Template.T2021, Layout.THREE_ROWS),
        (Template.T2021, Layout.ONE_ROW),
        (Template.T2019, Layout.ONE_ROW),
    }
    one = by[(Template.T2021, Layout.THREE_ROWS)]
    assert exports.ordered_keys([one]) == canonical_keys(Template.T2021, Layout.THREE_ROWS)
    both = exports.ordered_keys(docs)
    assert both == exports.ordered_keys(list(reversed(docs)))
    assert set(both) == {k for t, lay in by for k in canonical_keys(t, lay)}


def test_exact_values_from_any_store_backend() -> None:
    amount, count = (
        CellKey("active_disclosure", "f", "amount"),
        CellKey("applications", "t", "total"),
    )
    assert exact(7730.28, amount) == Decimal("7730.28") and exact(12, amount) == Decimal(12)
    assert exact(Decimal("0.1"), amount) == Decimal("0.1")
    assert exact(12.0, count) == 12 and type(exact(Decimal("12"), count)) is int
    assert exact(None, count) is None
    with pytest.raises(ExportError, match="not whole"):
        exact(2.5, count)
    with pytest.raises(ExportError, match="finite"):
        exact(float("nan"), amount)


class _VersionedStore:
    """A store as the SQLAlchemy rewrite will have it: ``documents(current_only=...)`` and
    values as ``int`` or ``Decimal``."""

    def __init__(self) -> None:
        self.asked: list[bool] = []

    def documents(self, current_only: bool = True) -> list[Any]:
        self.asked.append(current_only)
        doc = SimpleNamespace(
            sha256="ab" * 32, source="x.pdf", status="ok", template="2021", organ="某局", year=2022
        )
        return [doc] if current_only else [doc, SimpleNamespace(**{**vars(doc), "version": 1})]

    def cells(self, sha256: str) -> list[Any]:
        def cell(row: str, col: str, value: Any) -> SimpleNamespace:
            return SimpleNamespace(
                table="active_disclosure", row=row, col=col, value=value, status="ok",
                confidence=Decimal("1"), page=1, bbox=(1, 2, 3, 4), line=None, reason=None,
                suggestion=None,
            )  # fmt: skip

        return [
            cell("administrative_fees", "amount", Decimal("12345678.1234567")),
            cell("rules", "issued", 4),
        ]


def test_exports_a_store_with_versions_and_decimals(tmp_path: Path) -> None:
    store = _VersionedStore()
    path = tmp_path / "v.parquet"
    exports.export(store, path, "parquet", "long")
    assert store.asked == [True]
    df = pd.read_parquet(path)
    assert df["col"].tolist() == ["issued", "amount"]  # contract order, whatever the store's
    assert df["amount"].iloc[1] == Decimal("12345678.1234567")  # scale widened, not rounded
    assert df["value"].iloc[0] == 4 and pd.api.types.is_integer_dtype(df["value"])
    exports.export(store, path, "parquet", "wide", all_versions=True)
    assert store.asked == [True, False]
    wide = pd.read_parquet(path)
    assert len(wide) == 2 and wide["version"].tolist()[1] == 1
    assert wide["active_disclosure.rules.issued"].tolist() == [4, 4]


def test_export_refuses_what_it_cannot_do(out: Path, tmp_path: Path, monkeypatch) -> None:
    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["export", *args])

    r = run("--out", str(tmp_path), "--to", str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and "no store at" in r.output
    r = run("--out", str(out), "--to", str(tmp_path / "x.json"))
    assert r.exit_code == 2 and "--format" in r.output
    r = run("--out", str(out), "--to", str(tmp_path / "no" / "x.csv"))
    assert r.exit_code == 2 and "no existing directory" in r.output
    r = run("--db", f"sqlite:///{out / 'gongkai.sqlite'}", "--to", str(tmp_path / "db.csv"))
    with open_store(out / "gongkai.sqlite") as st:
        n = len(st.documents())
    assert r.exit_code == 0 and f"documents: {n} " in r.output, r.output
    (tmp_path / "db.csv").unlink()
    r = run("--db", str(tmp_path / "none.sqlite"), "--to", str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and "no store at" in r.output
    r = run("--to", str(tmp_path / "x.csv"))
    assert r.exit_code == 2 and "--out DIR or --db URL" in r.output
    monkeypatch.setattr(exports, "missing", lambda fmt: ["pyarrow"])
    r = run("--out", str(out), "--to", str(tmp_path / "x.parquet"))
    assert r.exit_code == 2
    assert (
        r.output.strip().splitlines()[-1].endswith("needs pyarrow: pip install 'gongkai[export]'")
    )
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_ci_runs_the_readmes_test_command() -> None:
    """.ci/run installs the extras the tests need, exactly as the README tells a developer."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(
        line.strip() for line in readme.splitlines() if line.strip().endswith("-m pytest -q")
    )
    assert "export" in command
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
