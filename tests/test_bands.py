"""A band holding two rows (a ruling line lost) is cut where its lines part, and only there."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

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


# ------------------------------------------------------------- properties (Hypothesis)


H = 10.0  # a line's height


@st.composite
def _row(draw: st.DrawFn, top: float) -> tuple[list[Piece], list[Piece | None], float]:
    """One printed row from ``top``: its label lines, one number or nothing per value
    cell (a blank), each a little off the row's middle; and the row's bottom."""
    n_label = draw(st.integers(1, 3))
    gap = draw(st.floats(0.5, 3.0))
    label = [
        Piece(top + k * (H + gap), top + k * (H + gap) + H, f"标签{k}") for k in range(n_label)
    ]
    bottom = label[-1].y1
    mid = (top + bottom) / 2
    values: list[Piece | None] = []
    for _ in range(draw(st.integers(2, 7))):
        if draw(st.booleans()) and draw(st.booleans()):
            values.append(None)
            continue
        y = mid - H / 2 + draw(st.floats(-0.25 * H, 0.25 * H))
        values.append(Piece(y, y + H, str(draw(st.integers(0, 999)))))
    return label, values, bottom


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.data())
def test_one_row_is_never_cut(data: st.DataObject) -> None:
    label, values, _ = data.draw(_row(0.0))
    cells = [label, *([v] if v else [] for v in values)]
    assert cuts(cells) == []


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.data())
def test_two_rows_in_a_band_are_cut_between_them_or_left_whole(data: st.DataObject) -> None:
    """Cut, no piece of the upper row lies below the cut nor of the lower above it; left
    whole, the row-tie check takes over (not this reader's to decide)."""
    upper_label, upper_vals, bottom = data.draw(_row(0.0))
    lower_label, lower_vals, _ = data.draw(_row(bottom + data.draw(st.floats(2.0, 8.0))))
    n = min(len(upper_vals), len(lower_vals))
    cells = [[*upper_label, *lower_label]]
    for a, b in zip(upper_vals[:n], lower_vals[:n], strict=True):
        cells.append([p for p in (a, b) if p is not None])
    found = cuts(cells)
    event("cut" if found else "left whole")
    assert len(found) <= 1
    if found:
        (cut,) = found
        upper = [*upper_label, *(v for v in upper_vals[:n] if v)]
        lower = [*lower_label, *(v for v in lower_vals[:n] if v)]
        assert all(p.cy < cut for p in upper) and all(p.cy > cut for p in lower)
