"""The text-extraction reader: both row shapes, continuations, encodings, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.model.records import DocStatus, Status
from pipeline.read.route import read
from pipeline.read.text import (
    BAD_BYTE_CONFIDENCE,
    EmptyInput,
    UndecodableText,
    parse_lines,
    read_text,
)
from pipeline.run import process

from .conftest import SAMPLES


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


ROWS = "规章\t1\t2\t3\n行政许可\t4\t\t\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8", "utf-8-sig"])
def test_unicode_encodings(tmp_path: Path, encoding: str) -> None:
    """UTF-16 with a BOM (LE and BE), UTF-8 with or without one."""
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    f = tmp_path / "u.txt"
    f.write_bytes(bom + ROWS.encode(encoding))
    reading = read_text(f)
    assert texts(reading.rows) == [["规章", "1", "2", "3"], ["行政许可", "4", "", ""]]
    assert reading.notes == ()
    assert all(c.confidence == 1.0 for r in reading.rows for c in r.cells)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_bad_byte_costs_its_line_not_the_file(tmp_path: Path, encoding: str) -> None:
    lines = ROWS.encode(encoding).split(b"\n")
    lines[1] = lines[1].replace(b"4", b"\xff4")  # an undecodable byte before a digit
    f = tmp_path / "bad.txt"
    f.write_bytes(b"\n".join(lines))
    reading = read_text(f)
    assert texts(reading.rows)[0] == ["规章", "1", "2", "3"]
    assert all(c.confidence == 1.0 for c in reading.rows[0].cells)
    assert all(c.confidence == BAD_BYTE_CONFIDENCE for c in reading.rows[1].cells)
    assert "\ufffd" in reading.rows[1].text
    assert reading.notes and "line(s) 2" in reading.notes[0]


def test_a_bad_byte_sends_its_cells_to_review(tmp_path: Path) -> None:
    """End to end: the cell on the bad line is not trusted; the file still reads."""
    good = (SAMPLES / "000_4ad504e2c8547839.txt").read_bytes()
    lines = good.split(b"\n")
    n = next(i for i, line in enumerate(lines) if line.startswith("规章".encode()))
    lines[n] = lines[n].replace(b"\t", b"\t\xff", 1)
    f = tmp_path / "bad.txt"
    f.write_bytes(b"\n".join(lines))
    doc = process(f)
    rules = [c for c in doc.cells if c.key.row == "rules"]
    assert rules and all(c.status != Status.OK for c in rules)
    assert doc.status != DocStatus.FAILED


def test_utf16_markdown(tmp_path: Path) -> None:
    f = tmp_path / "u.md"
    f.write_bytes("|规章|1|2|3|\n".encode("utf-16"))
    assert texts(read(f).rows) == [["规章", "1", "2", "3"]]


def test_mostly_undecodable_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "junk.txt"
    f.write_bytes(b"\xff\x80abc" * 100)  # no lead byte of UTF-8 or GB18030
    with pytest.raises(UndecodableText):
        read_text(f)
