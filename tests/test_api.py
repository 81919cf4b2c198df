"""The public API: one call per file, one table as a labelled matrix, outputs read back."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline
from pipeline.model.records import DocStatus, Status
from pipeline.model.taxonomy import APP_COL_KEYS
from pipeline.store.export import write_json

from .conftest import SAMPLES

SEED_001 = SAMPLES / "001_ddb0b637c4df75e9.txt"


def test_extract_and_applications_matrix() -> None:
    result = pipeline.extract(SEED_001)
    assert result.status == DocStatus.OK
    m = pipeline.table(result, "applications")
    assert m.title == "三、收到和处理政府信息公开申请情况"
    assert [k for k, _ in m.cols] == list(APP_COL_KEYS)
    assert m.rows[0] == ("new_requests", "一、本年新收政府信息公开申请数量")
    assert m.rows[-1][0] == "carried_forward"
    assert len(m.rows) == 25 and all(len(r) == 7 for r in m.cells)
    assert list(m.values[0]) == [20, 6, 0, 0, 0, 0, 26]
    assert m.value("unable_not_held", "total") == 9
    assert m.status("unable_not_held", "total") == Status.OK
    assert "carried_forward" in str(m)


def test_active_table_rows_lack_the_columns_they_do_not_have() -> None:
    m = pipeline.table(pipeline.extract(SEED_001), "active_disclosure")
    cols = [k for k, _ in m.cols]
    assert cols == ["issued", "repealed", "in_force", "decisions", "amount"]
    assert dict(m.cols)["amount"] == "本年收费金额（万元）"
    assert m.values[1][:3] == (17, 198, 275)
    assert m.cell("rules", "decisions") is None
    assert m.cell("administrative_license", "issued") is None
    assert m.cell("administrative_license", "decisions") is not None


def test_review_table_and_unknown_table() -> None:
    result = pipeline.extract(SEED_001)
    m = pipeline.table(result, "review_litigation")
    assert m.rows == (("counts", "数量"),) and len(m.cols) == 15
    assert dict(m.cols)["suit_direct_total"] == "行政诉讼 未经复议直接起诉 总计"
    with pytest.raises(KeyError, match="no table"):
        pipeline.table(result, "nonsense")


def test_failed_file_has_no_tables(tmp_path: Path) -> None:
    bad = tmp_path / "x.pdf"
    bad.write_text("not a pdf")
    result = pipeline.extract(bad)
    assert result.status == DocStatus.FAILED and result.error is not None
    with pytest.raises(ValueError, match="not a PDF"):
        pipeline.table(result, "applications")


def test_load_reads_an_output_back(tmp_path: Path) -> None:
    result = pipeline.extract(SEED_001)
    back = pipeline.load(write_json(result, tmp_path, "x"))
    assert back.identification == result.identification
    assert back.status == result.status and back.reader == result.reader
    for name in ("applications", "active_disclosure", "review_litigation"):
        a, b = pipeline.table(result, name), pipeline.table(back, name)
        assert a.values == b.values and a.statuses == b.statuses


def test_to_pandas() -> None:
    pytest.importorskip("pandas")
    m = pipeline.table(pipeline.extract(SEED_001), "applications")
    df = m.to_pandas()
    assert df.loc["一、本年新收政府信息公开申请数量", "自然人"] == 20
    assert str(df["自然人"].dtype) == "Int64"
    by_key = m.to_pandas(what="status", labels="key")
    assert by_key.loc["granted", "total"] == Status.OK
