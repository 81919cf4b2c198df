"""The text-extraction reader: both row shapes, continuations, encodings, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.read.text import EmptyInput, UndecodableText, parse_lines, read_text


def texts(rows) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in rows]


def test_tab_rows() -> None:
    rows = parse_lines(["规章\t0\t0\t0", "行政许可\t0\t\t"])
    assert texts(rows) == [["规章", "0", "0", "0"], ["行政许可", "0", "", ""]]
    assert rows[1].cells[1].origin.line == 2


def test_one_cell_per_line_with_continuation_and_blank_cells() -> None:
    lines = [
        "\t（三）不予",
        "公开",
        "\t1.属于国家秘密",
        "\t0",
        "\t",
        "\t2",
        "",
        "\t重复申请",
        "\t1",
    ]
    assert texts(parse_lines(lines)) == [
        ["（三）不予公开", "1.属于国家秘密", "0", "", "2"],
        ["重复申请", "1"],
    ]


def test_space_separated_numbers_split_but_prose_does_not() -> None:
    rows = parse_lines(["行政处罚 3 0 12", "截至 2020 年底,本镇政府政务公开工作运行正常"])
    assert texts(rows) == [
        ["行政处罚", "3", "0", "12"],
        ["截至 2020 年底,本镇政府政务公开工作运行正常"],
    ]


def test_gb18030_file(tmp_path: Path) -> None:
    f = tmp_path / "gbk.txt"
    f.write_bytes("规章\t1\t2\t3\n".encode("gb18030"))
    assert texts(read_text(f).rows) == [["规章", "1", "2", "3"]]


def test_empty_and_binary(tmp_path: Path) -> None:
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    with pytest.raises(EmptyInput):
        read_text(empty)
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(UndecodableText):
        read_text(binary)


def test_cells_split_onto_their_own_lines_join_their_row() -> None:
    rows = parse_lines(["规章", "0", "1", "2", "行政许可", "7", "", "3"])
    assert texts(rows) == [["规章", "0", "1", "2"], ["行政许可", "7"], ["3"]]
