"""docs/: the contract page and the output schema agree with the code, and the checks bite."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pipeline.model import contract
from pipeline.model.records import (
    Cell,
    CellKey,
    DocResult,
    DocStatus,
    ErrorItem,
    Layout,
    Origin,
    ReaderKind,
    Reason,
    Stage,
    Status,
    Template,
)
from pipeline.model.taxonomy import (
    ACTIVE_ROWS,
    APP_COL_KEYS,
    APPLICATION_ROWS,
    REVIEW_COLS,
    canonical_keys,
    identities,
)
from pipeline.store import export

from .conftest import ROOT, in_ci, output_validator, validate_output


def test_docs_are_generated_from_the_taxonomy(capsys: pytest.CaptureFixture[str]) -> None:
    code = contract.main(["--check"])
    err = capsys.readouterr().err
    assert code == 0, err  # err names the command that regenerates docs/


def test_check_mode_catches_a_stale_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    page = docs / contract.CONTRACT
    page.write_text(page.read_text(encoding="utf-8").replace("自然人", "个人"), encoding="utf-8")
    assert contract.main(["--check", "--docs", str(docs)]) == 1
    assert contract.FIX_COMMAND in capsys.readouterr().err
    assert contract.main(["--docs", str(docs)]) == 0
    assert contract.main(["--check", "--docs", str(docs)]) == 0


def _enum(node: dict[str, Any]) -> list[str]:
    """The enum of a property, through a nullable ``anyOf``."""
    for alt in node.get("anyOf", [node]):
        if "enum" in alt:
            return list(alt["enum"])
    raise AssertionError(f"no enum in {node}")


def test_schema_enums_match_the_code() -> None:
    s = output_validator().schema
    props, cell = s["properties"], s["$defs"]["cell"]
    assert _enum(props["status"]) == [str(v) for v in DocStatus]
    assert _enum(props["template"]) == [str(v) for v in Template]
    assert _enum(props["applications_layout"]) == [str(v) for v in Layout]
    assert _enum(props["reader"]) == [str(v) for v in ReaderKind]
    assert _enum(props["error"]["properties"]["stage"]) == [str(v) for v in Stage]
    assert _enum(cell["properties"]["status"]) == [str(v) for v in Status]
    assert _enum(cell["properties"]["reason"]) == [str(v) for v in Reason]
    names = {i.name for lay in Layout for i in identities(lay)}
    assert set(_enum(s["$defs"]["check"]["properties"]["identity"])) == names
    keys = {
        (k.table, k.row, k.col) for t in Template for lay in Layout for k in canonical_keys(t, lay)
    }
    rules = {
        r["if"]["properties"]["table"]["const"]: r["then"]["properties"]
        for r in cell["allOf"]
        if "table" in r["if"]["properties"]
    }
    assert set(_enum(cell["properties"]["table"])) == {t for t, _, _ in keys} == set(rules)
    for table, p in rules.items():
        assert set(p["row"]["enum"]) == {r for t, r, _ in keys if t == table}
        assert set(p["col"]["enum"]) == {c for t, _, c in keys if t == table}
    assert set(rules["applications"]["col"]["enum"]) == set(APP_COL_KEYS)
    assert set(rules["review_litigation"]["col"]["enum"]) == set(REVIEW_COLS)
    assert {r.key for rows in APPLICATION_ROWS.values() for r in rows} <= set(
        rules["applications"]["row"]["enum"]
    )
    assert {r.key for rows in ACTIVE_ROWS.values() for r in rows} == set(
        rules["active_disclosure"]["row"]["enum"]
    )


KEY = CellKey("applications", "new_requests", "natural_person")


def _doc(**fields: Any) -> dict[str, Any]:
    """A small valid document, built by the real exporter."""
    cell = Cell(KEY, 20, Status.OK, 1.0, Origin(page=3, bbox=(10.0, 20.0, 30.5, 40.25)))
    r = DocResult(
        "x.pdf",
        "0" * 64,
        DocStatus.OK,
        cells=(cell,),
        reader=ReaderKind.PDF,
        pages=4,
    )
    doc = export.result_json(r)
    doc.update(fields)
    return doc


def _invalid(doc: dict[str, Any]) -> bool:
    try:
        validate_output(doc)
    except jsonschema.ValidationError:
        return True
    return False


def test_schema_accepts_valid_documents() -> None:
    validate_output(_doc())
    failed = DocResult("x.pdf", "", DocStatus.FAILED, error=ErrorItem(Stage.READ, "truncated"))
    validate_output(export.result_json(failed))


@pytest.mark.parametrize(
    "change",
    [
        {"status": "done"},
        {"template": "2020"},
        {"reader": "scanner"},
        {"extra_field": 1},
        {"error": {"stage": "read", "message": "x"}},  # an error on a document that is ok
        {"status": "failed"},  # failed without an error
    ],
    ids=str,
)
def test_schema_rejects_bad_documents(change: dict[str, Any]) -> None:
    assert _invalid(_doc(**change))


@pytest.mark.parametrize(
    "change",
    [
        {"status": "fine"},
        {"reason": "because"},
        {"status": "review"},  # review without a reason
        {"reason": "low_confidence"},  # a reason on an ok cell
        {"bbox": [1, 2, 3]},
        {"bbox": [1, 2, 3, "4"]},
        {"page": 0},
        {"table": "applications", "row": "rules"},
        {"table": "review_litigation", "col": "natural_person"},
        {"confidence": 1.5},
    ],
    ids=str,
)
def test_schema_rejects_bad_cells(change: dict[str, Any]) -> None:
    doc = _doc()
    doc["cells"] = [{**copy.deepcopy(doc["cells"][0]), **change}]
    assert _invalid(doc)


def test_schema_rejects_cells_on_a_failed_document() -> None:
    doc = _doc(status="failed", error={"stage": "match", "message": "x"}, template=None)
    doc["applications_layout"] = None
    assert doc["cells"] and _invalid(doc)
    doc["cells"] = []
    assert not _invalid(doc)


def test_exports_in_tests_are_validated() -> None:
    """The autouse fixture in conftest: a bad status never leaves result_json unnoticed."""
    bad = DocResult("x.txt", "0" * 64, "bogus")  # type: ignore[arg-type]
    with pytest.raises(jsonschema.ValidationError, match="bogus"):
        export.result_json(bad)
    with pytest.raises(jsonschema.ValidationError):
        export.write_json(bad, Path("/nonexistent-dir"), "x")


def test_update_golden_is_refused_under_ci() -> None:
    env = {**os.environ, "CI": "true"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--update-golden", "tests/test_golden.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "refused where CI is set" in run.stderr


@pytest.mark.parametrize(
    ("value", "ci"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("false", False), ("0", False)],
)
def test_in_ci(value: str, ci: bool) -> None:
    assert in_ci({"CI": value}) is ci
    assert in_ci({}) is False
