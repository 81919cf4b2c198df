"""Tables found by their structure; evidence of the match carried into the confidence.

The readings are the seeds' text extractions, edited the way real filings differ: a
narrative that speaks of the tables before them, titles renumbered or dropped, a page
whose digits are gone, a garbled row label, nothing that tells the template.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.model.config import InvalidSettings, Settings
from pipeline.model.records import Decision, DocResult, Status
from pipeline.model.taxonomy import APPLICATIONS
from pipeline.read.text import parse_lines
from pipeline.recover.confidence import Placement, compose
from pipeline.recover.identify import identify, split_sections
from pipeline.recover.rows import align_scored, split_row
from pipeline.run import process

from .conftest import SAMPLES

SEED = SAMPLES / "004_024530e55a62931d.txt"  # 2021 template, one table row per line
SEED_2019 = SAMPLES / "003_47c37cecacaa7283.txt"  # 2019 template


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _run(tmp_path: Path, lines: list[str], name: str = "x.txt") -> DocResult:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return process(p)


def _values(doc: DocResult) -> dict[tuple[str, str, str], tuple[object, Status]]:
    return {(c.key.table, c.key.row, c.key.col): (c.value, c.status) for c in doc.cells}


def _where(lines: list[str], prefix: str) -> int:
    return next(i for i, t in enumerate(lines) if t.strip().startswith(prefix))


_NARRATIVE = [
    "（二）主动公开政府信息情况",
    "本年度主动公开规章0件、行政规范性文件0件，行政许可、行政处罚信息均按时公开。",
    "（三）收到和处理政府信息公开申请情况",
    "本年度未收到政府信息公开申请，无上年结转申请。",
    "（四）政府信息公开行政复议、行政诉讼情况",
    "本年度未发生因政府信息公开申请引起的行政复议、行政诉讼。",
]


def test_narrative_naming_the_tables_does_not_hide_them(tmp_path: Path) -> None:
    lines = _lines(SEED)
    want = _values(_run(tmp_path, lines, "seed.txt"))
    at = _where(lines, "(五) 监督保障")  # the end of 一、总体情况
    edited = lines[:at] + _NARRATIVE + [""] + lines[at:]
    doc = _run(tmp_path, edited)
    assert _values(doc) == want
    assert not doc.warnings


def test_renumbered_titles_after_a_narrative_are_found(tmp_path: Path) -> None:
    lines = _lines(SEED_2019)
    want = _values(_run(tmp_path, lines, "seed.txt"))
    renumber = {"二、主动公开": "一、主动公开", "三、收到和处理": "二、收到和处理"}
    renumber |= {"四、政府信息公开行政复议": "三、政府信息公开行政复议"}
    renumber |= {"五、存在的主要问题": "四、存在的主要问题", "六、其他需要": "五、其他需要"}
    edited = []
    for t in lines:
        for old, new in renumber.items():
            if t.startswith(old):
                t = new + t[len(old) :]
        edited.append(t)
    at = _where(edited, "一、总体情况")
    edited[at] = "总体情况"
    edited = edited[: at + 1] + _NARRATIVE + edited[at + 1 :]
    assert _values(_run(tmp_path, edited)) == want


def test_untitled_tables_after_narrative_header_words(tmp_path: Path) -> None:
    lines = _lines(SEED)
    want = _values(_run(tmp_path, lines, "seed.txt"))
    titles = ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况")
    titles += ("四、政府信息公开行政复议、行政诉讼情况",)
    edited = [t for t in lines if t.strip() not in titles]
    at = _where(edited, "(五) 监督保障")
    narrative = [
        "依照《条例》第二十条第（一）项主动公开规章和规范性文件",
        "本年新收政府信息公开申请0件",
        "行政复议、行政诉讼均为0件",
    ]
    edited = edited[:at] + narrative + edited[at:]
    assert _values(_run(tmp_path, edited)) == want


# ---- item 4: evidence of the match in the confidence ------------------------------


def test_align_scored_reports_similarity_and_header_lines() -> None:
    from pipeline.model.taxonomy import application_rows

    rows = [
        split_row(parse_lines(["一、本年新收政府信息公开申请数量\t1\t1"])[0]),
        split_row(parse_lines(["二、上年结政府信息公开申请数\t0\t0"])[0]),
        # the header repeated on the table's next page
        split_row(parse_lines(["申请人情况\t自然人\t商业企业\t总计\t\t"])[0]),
    ]
    got = align_scored(rows, application_rows("2021"), headers=("申请人情况", "自然人"))
    assert got["new_requests"].similarity == 1.0 and not got["new_requests"].header
    assert 0.62 < got["carried_over"].similarity < 1.0
    assert got["total"].header  # the header's 总计 matched the row （七）总计


def test_header_line_matched_as_a_row_yields_no_firm_cell(tmp_path: Path) -> None:
    """A damaged page: table 三's digits are gone, and the header its page repeats above
    （七）总计 matches that row by its column 总计."""
    lines = _lines(SEED)
    start = _where(lines, "三、收到和处理政府信息公开申请情况")
    end = _where(lines, "四、政府信息公开行政复议、行政诉讼情况")
    edited = lines[:start]
    for t in lines[start:end]:
        if t.startswith("(七)"):
            edited.append("申请人情况\t自然人\t法人或其他组织\t总计\t\t\t\t\t\t\t")
        cells = t.split("\t")
        edited.append("\t".join(c for c in cells if not c.strip().isdigit()).rstrip("\t"))
    edited += lines[end:]
    doc = _run(tmp_path, edited)
    app = [c for c in doc.cells if c.key.table == APPLICATIONS]
    total = [c for c in app if c.key.row == "total"]
    assert total and all(c.status == Status.REVIEW for c in total)
    assert not [c for c in app if c.status in (Status.OK, Status.INFERRED) and c.value == 0]
    assert any("header line" in w for w in doc.warnings)


def test_weakly_matched_row_is_not_firm(tmp_path: Path) -> None:
    lines = _lines(SEED)
    at = _where(lines, "行政事业性收费")
    lines[at] = lines[at].replace("行政事业性收费", "行政收费")  # garbled: 0.73 alike
    doc = _run(tmp_path, lines)
    fee = next(c for c in doc.cells if c.key.row == "administrative_fees")
    assert fee.status == Status.REVIEW and fee.confidence < Settings().firm_confidence
    assert "active_disclosure row matched weakly: administrative_fees" in doc.warnings


def test_template_by_fallback_makes_table_two_doubtful(tmp_path: Path) -> None:
    lines = [
        "总体情况",
        "二、主动公开政府信息情况",
        "规章\t0\t0\t0",
        "行政规范性文件\t2\t0\t5",
        "行政许可\t3",
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1",
        "（七）总计\t1\t0\t0\t0\t0\t0\t1",
    ]
    rows = tuple(parse_lines(lines))
    ident = identify(split_sections(rows), rows)
    assert (ident.template_by, ident.layout_by) == (Decision.FALLBACK, Decision.FALLBACK)
    doc = _run(tmp_path, lines)
    rules = [c for c in doc.cells if c.key.row == "normative_documents"]
    assert rules and all(c.status == Status.REVIEW for c in rules)
    assert "template not told by the filing: assumed 2021" in doc.warnings
    assert any(w.startswith("applications layout not told") for w in doc.warnings)


def test_seed_decisions_are_firm() -> None:
    for path, template_by in ((SEED, Decision.HEADERS), (SEED_2019, Decision.HEADERS)):
        rows = tuple(parse_lines(_lines(path)))
        ident = identify(split_sections(rows), rows)
        assert (ident.template_by, ident.layout_by) == (template_by, Decision.ROWS)


def test_compose_is_one_product() -> None:
    cfg = Settings()
    assert compose(1.0, Placement(), cfg) == 1.0
    weak_row = compose(1.0, Placement(similarity=0.7), cfg)
    assert cfg.unreadable_confidence <= weak_row < cfg.firm_confidence
    assert compose(1.0, Placement(decision=Decision.FALLBACK), cfg) == weak_row
    assert compose(1.0, Placement(decision=Decision.YEAR), cfg) == 1.0
    assert compose(1.0, Placement(header=True), cfg) < cfg.unreadable_confidence
    assert compose(1.0, Placement(guessed_column=True), cfg) < cfg.unreadable_confidence


@pytest.mark.parametrize(
    "bad",
    [{"firm_match": 0.5}, {"firm_match": 1.2}, {"doubtful_factor": 0.95}, {"weak_factor": 0.6}],
)
def test_evidence_settings_are_validated(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidSettings):
        Settings.resolve(bad)
