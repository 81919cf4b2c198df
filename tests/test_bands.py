"""A band holding two rows (a ruling line lost) is cut where its lines part, and only there."""

from __future__ import annotations

from pipeline.read.scan.bands import Piece, cuts


def _cell(*lines: tuple[float, str]) -> list[Piece]:
    return [Piece(y, y + 10, t) for y, t in lines]


def test_two_rows_in_one_band_are_cut_between_them() -> None:
    label = _cell((2, "1.属于国家秘密"), (22, "2.其他法律行政法规禁止公开"))
    values = [_cell((2, "11"), (22, "66")) for _ in range(3)]
    (cut,) = cuts([label, *values])
    assert 12 < cut < 22


def test_one_row_with_a_wrapped_label_is_not_cut() -> None:
    label = _cell((2, "(二)部分公开(区分处理的，只"), (14, "计这一情形，不计其他情形)"))
    values = [_cell((8, "5")) for _ in range(7)]
    assert cuts([label, *values]) == []


def test_numbers_at_two_heights_in_different_cells_only_are_not_two_rows() -> None:
    """One row printed unevenly: no cell holds two numbers."""
    label = _cell((2, "一、本年新收"), (22, "政府信息公开申请数量"))
    values = [_cell((2, "1")), _cell((2, "2")), _cell((22, "3")), _cell((22, "4"))]
    assert cuts([label, *values]) == []


def test_no_cut_without_a_label_on_each_side() -> None:
    label = _cell((2, "1.属于国家秘密"))
    values = [_cell((2, "11"), (22, "66")) for _ in range(3)]
    assert cuts([label, *values]) == []


def test_no_cut_through_a_line() -> None:
    label = _cell((2, "1.属于国家秘密"), (10, "很高的一行字跨过两行之间"), (22, "2.其他"))
    label[1] = Piece(8, 24, label[1].text)
    values = [_cell((2, "11"), (22, "66")) for _ in range(3)]
    assert cuts([label, *values]) == []
