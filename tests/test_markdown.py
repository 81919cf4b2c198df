"""The markdown reader: pipe tables as converters write them, and the devset as markdown.

tests/data/markdown/ holds pymupdf4llm's markdown of devset PDFs (``dev_NNN.<variant>.md``;
samples/md_dev_007.md is one more); they are scored against the devset truth, skipped
where the devset is not beside the project.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.model.records import ReaderKind
from pipeline.read.markdown import AMBIGUOUS_ROW_CONFIDENCE, parse_markdown, read_markdown
from pipeline.read.route import read
from pipeline.run import process
from pipeline.store.export import write_json

from .conftest import DEVSET, SAMPLES, devset_score

DATA = Path(__file__).parent / "data" / "markdown"


def texts(rows) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in rows]


def test_pipe_rows_separators_markup_and_prose() -> None:
    rows = parse_markdown(
        [
            "# 某局 2021 年政府信息公开工作年度报告",
            "",
            "| **信息内容** | 本年制发件数 |",
            "|:---|--:|",
            "| 规章 | 3 |",
            "",
            "截至 2021 年底 \\*无\\* &amp; 说明",
            "行政处罚 3 0 12",
        ]
    )
    assert texts(rows) == [
        ["某局 2021 年政府信息公开工作年度报告"],
        ["信息内容", "本年制发件数"],
        ["规章", "3"],
        ["截至 2021 年底 *无* & 说明"],
        ["行政处罚", "3", "0", "12"],
    ]
    assert [r.origin.line for r in rows] == [1, 3, 5, 7, 8]


def test_br_joins_a_label_and_splits_merged_columns() -> None:
    rows = parse_markdown(["|（二）部分公开（区分处理的，只计<br>这一情形）|0<br>519|7|"])
    assert texts(rows) == [["（二）部分公开（区分处理的，只计这一情形）", "0", "519", "7"]]


def test_stacked_rows_split_with_lone_numbers_guessed() -> None:
    rows = parse_markdown(["|（七）总计<br>四、结转下年度继续|办理|18<br>6|4||24<br>6|"])
    assert texts(rows) == [
        ["（七）总计", "办理", "18", "4", "", "24"],
        ["四、结转下年度继续", "", "6", "", "", "6"],
    ]
    assert rows[0].cells[3].confidence == AMBIGUOUS_ROW_CONFIDENCE
    assert rows[0].cells[2].confidence == 1.0


def test_numbers_folded_into_header_cells_get_their_own_row() -> None:
    rows = parse_markdown(["|行政许可|1871<br>第(六)项|", "|结果<br>维持<br>0|总计<br>2|"])
    assert texts(rows) == [
        ["行政许可", "1871"],
        ["", "第(六)项"],
        ["结果维持", "总计"],
        ["0", "2"],
    ]


def test_label_rows_carried_down_column_by_column() -> None:
    rows = parse_markdown(
        [
            "||1.申请人无正当理由逾期|||",
            "|（六）其他处理|不补正、不再处理|1|1|",
            "|信息内容|本年处理决定数量|",
            "|行政许可|97|",
        ]
    )
    assert texts(rows) == [
        ["（六）其他处理", "1.申请人无正当理由逾期不补正、不再处理", "1", "1"],
        ["信息内容", "本年处理决定数量"],  # a header stays: a number is below its text
        ["行政许可", "97"],
    ]


def test_a_label_row_above_a_new_item_stays() -> None:
    rows = parse_markdown(["|（二）部分公开|||", "|（三）不予公开 1.属于国家秘密|0|0|"])
    assert texts(rows) == [["（二）部分公开", "", ""], ["（三）不予公开 1.属于国家秘密", "0", "0"]]


def test_picture_text_lines() -> None:
    rows = parse_markdown(
        ["<!-- Start of picture text -->结果 维持<br>0 0 1<br><!-- End of picture text -->"]
    )
    assert texts(rows) == [["结果 维持"], ["0", "0", "1"]]


def test_md_files_are_routed_to_the_markdown_reader(tmp_path: Path) -> None:
    f = tmp_path / "a.md"
    f.write_text("|规章|1|2|3|\n", encoding="utf-8")
    reading = read(f)
    assert reading.kind == ReaderKind.TEXT
    assert texts(reading.rows) == [["规章", "1", "2", "3"]]
    assert texts(read_markdown(f).rows) == texts(reading.rows)


@pytest.mark.skipif(not (DEVSET / "truth").is_dir(), reason="no devset beside the project")
def test_devset_as_markdown(tmp_path: Path) -> None:
    inputs = sorted(DATA.glob("*.md"))
    assert len(inputs) >= 6
    for path in inputs:
        write_json(process(path), tmp_path, path.stem)
    write_json(process(SAMPLES / "md_dev_007.md"), tmp_path, "dev_007.md")
    total = devset_score(tmp_path)
    assert total["docs"] == len(inputs) + 1
    assert total["silent"] == 0, json.dumps(total)
    assert total["cell_accuracy"] >= 0.995, json.dumps(total)
    assert total["template_wrong"] == 0
