"""Identification, row alignment and column placement: the shared stages after the waist."""

from __future__ import annotations

from types import MappingProxyType

from pipeline.model.records import (
    CellText,
    Evidence,
    Identification,
    Layout,
    Origin,
    ReaderKind,
    Row,
    Template,
)
from pipeline.model.taxonomy import APPLICATIONS, REVIEW, REVIEW_COLS, application_rows
from pipeline.read.text import parse_lines
from pipeline.recover.columns import Columns, header_centers, place, table_columns
from pipeline.recover.identify import Sections, identify, norm, split_sections, title_organ_year
from pipeline.recover.match import match_tables
from pipeline.recover.rows import align_rows, join_detached, split_row


def row(*cells: str) -> Row:
    return Row(tuple(CellText(c) for c in cells))


def test_split_row_label_and_values() -> None:
    tr = split_row(row("", "（三）不予公开", "1.属于国家秘密", "0", "", "2"))
    assert tr.label == "（三）不予公开1.属于国家秘密".replace("（", "(").replace("）", ")")
    assert [v.text for v in tr.values] == ["0", "", "2"]


def test_a_short_unsure_text_among_a_rows_numbers_is_an_unreadable_value() -> None:
    """A digit under a pen stroke read "中" or "一6" does not end the row's values (taken
    for the label, it would leave the row showing none); a sure or a long text does."""

    def cells(*texts: str, conf: float = 0.3) -> Row:
        return Row(tuple(CellText(t, conf if t in ("中", "一6", "X") else 1.0) for t in texts))

    tr = split_row(cells("一、本年新收政府信息公开申请数量", "0", "中", "3", "一6"))
    assert tr.label == norm("一、本年新收政府信息公开申请数量")
    assert [v.text for v in tr.values] == ["0", "中", "3", "一6"]
    tr = split_row(cells("二、上年结转政府信息公开申请数量", "X", "", "1"))
    assert [v.text for v in tr.values] == ["X", "", "1"]
    assert split_row(cells("(七) 总", "总计", "3")).label == norm("(七) 总总计")  # read sure
    assert split_row(cells("(七) 总", "中", "3", conf=0.95)).values[0].text == "3"
    assert split_row(cells("自然人", "中")).label == norm("自然人中")  # no number: a header


def test_alignment_tolerates_garbled_split_and_missing_rows() -> None:
    rows = [
        split_row(row("申请人情况", "自然人", "总计")),  # header
        split_row(row("一、本年新收政府信息公开申请数量", "1")),
        split_row(row("(-)=", "予以公开", "1")),  # garbled (一)
        split_row(row("2.没有现成信息需要另", "0")),
        split_row(row("行制作", "")),  # the rest of a split label
        split_row(row("2.重复申请", "2")),
        split_row(row("(七) 总", "总计", "3")),
    ]
    got = align_rows(rows, application_rows("2019"))
    assert got["new_requests"] is rows[1]
    assert got["granted"] is rows[2]
    assert got["unable_needs_creation"] is rows[3]
    assert got["rejected_duplicate"] is rows[5]
    assert got["total"] is rows[6]
    assert "carried_over" not in got and "rejected_petition" not in got


def test_place_by_count() -> None:
    def texts(cands):  # type: ignore[no-untyped-def]
        return [[s.cell.text if s.cell else None for s in c] for c in cands]

    vals = tuple(CellText(t) for t in ["", "", "", "0", "0", "0", "0", "0", "5"])
    assert texts(place(vals, 7, None)) == [["", "0", "0", "0", "0", "0", "5"]]  # lost first cell
    vals = tuple(CellText(t) for t in ["0", "3", "", "", ""])
    assert texts(place(vals, 2, None)) == [["0", "3"]]  # extra empty columns
    vals = tuple(CellText(t) for t in ["29", "", "357595 元"])
    assert texts(place(vals, 2, None)) == [["29", "357595 元"]]
    vals = tuple(CellText(t) for t in ["1", "2", "3"])
    assert len(place(vals, 2, None)) == 2  # an extra cell: the identities choose
    vals = tuple(CellText(t) for t in ["1", "2"])
    cand = place(vals, 4, None)[0]
    assert [s.lost for s in cand] == [True, True, False, False]


def test_place_by_x_puts_values_under_their_columns() -> None:
    def cell(t: str, x: float) -> CellText:
        return CellText(t, origin=Origin(1, (x - 3, 100, x + 3, 110)))

    centers = [100.0, 130.0, 160.0, 190.0]
    got = place((cell("4", 130), cell("9", 190)), 4, Columns.at(centers))[0]
    assert [s.cell.text if s.cell else None for s in got] == [None, "4", None, "9"]


def test_sections_template_and_title() -> None:
    lines = [
        "某县财政局",
        "2022年政府信息公开工作年度报告",
        "一、总体情况",
        "正文。",
        "二、主动公开政府信息情况",
        "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
        "规章\t0\t0\t0",
        "三、收到和处理政府信息公开申请情况",
        "\t（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0",
        "四、政府信息公开行政复议、行政诉讼情况",
        "0\t0",
        "五、存在的主要问题及改进情况",
        "正文",
    ]
    rows = tuple(parse_lines(lines))
    sections = split_sections(rows)
    assert sections.tables[APPLICATIONS][0].text.startswith("三、")
    ident = identify(sections, rows)
    assert (ident.template, ident.applications_layout) == ("2021", "2021")
    assert (ident.organ, ident.year) == ("某县财政局", 2022)
    assert title_organ_year(tuple(parse_lines(["芙蓉镇 2020 年政府信息公开工作年度报告"]))) == (
        "芙蓉镇",
        2020,
    )


def test_label_and_values_on_separate_lines_are_joined() -> None:
    rows = [
        split_row(row("(三)不予公开1.属于国家秘密")),
        split_row(row("0", "1", "0", "0", "0", "0", "1")),
    ]
    joined = join_detached(rows)
    assert len(joined) == 1
    assert "国家秘密" in joined[0].label and joined[0].filled == 7


def test_label_broken_over_lines_is_rejoined() -> None:
    rows = [
        split_row(row("1.本机关不掌握相关政府")),
        split_row(row("信息", "2", "0", "2")),
        split_row(row("2.没有现成信息需要另行")),
        split_row(row("制作", "0", "0", "0")),
        split_row(row("(五)")),
        split_row(row("1.信访举报投诉类申请", "1", "0", "1")),
    ]
    labels = [(r.label, r.filled) for r in join_detached(rows)]
    assert labels == [
        ("1.本机关不掌握相关政府信息", 3),
        ("2.没有现成信息需要另行制作", 3),
        ("(五)", 0),
        ("1.信访举报投诉类申请", 3),
    ]


def test_title_wrapped_mid_word() -> None:
    rows = tuple(
        parse_lines(["平阳县淡溪镇人民政府2022年政府信息公开工作年", "度报告", "一、总体情况"])
    )
    assert title_organ_year(rows) == ("平阳县淡溪镇人民政府", 2022)


def test_header_centers_place_values_when_no_row_is_full() -> None:
    def cell(t: str, x: float, y: float) -> CellText:
        return CellText(t, origin=Origin(1, (x - 14, y, x + 14, y + 8)))

    xs = [300.0, 330.0, 360.0, 390.0, 420.0, 450.0, 480.0]
    heads = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    rows = [
        Row((cell("申请人情况", 390, 90),)),
        Row(tuple(cell(h, x, 100) for h, x in zip(heads, xs, strict=True))),
        Row(
            (
                cell("一、本年新收政府信息公开申请数量", 150, 120),
                cell("3", 300, 120),
                cell("3", 480, 120),
            )
        ),
    ]
    heads = [h[:2] for h in heads]
    assert header_centers(rows, heads) == xs
    got = place(rows[2].cells[1:], 7, Columns.at(xs))[0]
    assert [s.cell.text if s.cell else "" for s in got] == ["3", "", "", "", "", "", "3"]


def box(t: str, x0: float, x1: float, y: float) -> CellText:
    return CellText(t, origin=Origin(1, (x0, y, x1, y + 9)))


def vertical_header(columns: list[tuple[str, float]], y: float) -> list[Row]:
    """Column titles printed one character a line, as narrow borderless tables do."""
    lines = max(len(t) for t, _ in columns)
    return [
        Row(tuple(box(t[i], x, x + 10, y + 10 * i) for t, x in columns if i < len(t)))
        for i in range(lines)
    ]


_APP_TITLES = [
    ("自然人", 300),
    ("商业企业", 330),
    ("科研机构", 360),
    ("社会公益组织", 390),
    ("法律服务机构", 420),
    ("其他", 450),
    ("总计", 480),
]


def _applications(*values: list[tuple[str, float]]) -> list[Row]:
    """Table 三 without rules: spanning labels, a note in the label column, a vertical
    header, then rows of numbers that leave blanks for 0 (only a few columns filled)."""
    rows = [
        Row((box("三、收到和处理政府信息公开申请情况", 100, 340, 50),)),
        Row((box("申请人情况", 365, 415, 70),)),
        Row((box("法人或其他组织", 356, 426, 80),)),  # spans five columns
        Row((box("（本列数据的勾稽关系为：第一项加第二项", 100, 285, 90),)),
        *vertical_header(_APP_TITLES, 100),
    ]
    for n, vals in enumerate(values):
        label = box(f"{n + 1}.某项申请", 100, 280, 200 + 20 * n)
        rows.append(Row((label, *(box(t, x, x + 5 * len(t), 200 + 20 * n) for t, x in vals))))
    return rows


def test_table_columns_from_the_header_stacks_and_the_numbers_together() -> None:
    rows = _applications([("1", 333), ("1", 483)], [], [("12", 480)])
    cols = table_columns(rows, 7)
    assert cols is not None
    assert cols.spans == tuple((x, x + 10) for _, x in _APP_TITLES)
    got = place(split_row(rows[-3]).values, 7, cols)[0]
    assert [s.cell.text if s.cell else "" for s in got] == ["", "1", "", "", "", "", "1"]
    assert not any(s.lost or s.guessed for s in got)  # blank columns are printed blanks
    got = place((), 7, cols)[0]  # a row printed all blank
    assert all(s.cell is None and not s.lost for s in got)


def test_table_columns_from_aligned_numbers_when_the_header_is_unreadable() -> None:
    rows = _applications([(t, 303 + 30 * k) for k, t in enumerate("1234567")], [("5", 483)])
    rows = [r for r in rows if len(r.cells) != 7 or r.cells[0].text != "自"]  # a lost line
    rows = rows[:4] + rows[5:]  # the header's stacks now miss a column or two
    cols = table_columns(rows, 7)
    assert cols is not None and len(cols.spans) == 7
    assert place(split_row(rows[-1]).values, 7, cols)[0][6].cell is not None


def test_a_number_in_the_label_column_makes_no_run_of_its_own() -> None:
    # six runs of numbers and a stray "1" left of where the labels end (a lone item number
    # of a scan): seven runs, but the columns they would give are one off
    rows = [
        Row((box(f"{k}.某项申请", 100, 280, 200 + 20 * k), box(str(k), x, x + 5, 200 + 20 * k)))
        for k, x in enumerate(range(333, 513, 30), start=1)
    ]
    assert table_columns(rows, 6) is not None  # the six runs
    rows.append(Row((box("1", 100, 104, 400),)))
    assert table_columns(rows, 7) is None


def test_header_and_numbers_that_disagree_give_no_columns() -> None:
    # numbers in one run straddling two header columns, and only five runs
    rows = _applications([("1", 317)], [("2", 443)], [("3", 483)])  # 317–322 over 320
    assert table_columns(rows, 7) is None
    rows = _applications([("1", 303)], [("2", 483)])
    assert table_columns(rows, 6) is None  # seven stacks, not the six asked for


def test_a_value_in_no_column_or_two_in_one_is_placed_as_a_guess() -> None:
    cols = table_columns(_applications([("1", 303)], [("4", 483)]), 7)
    assert cols is not None
    for vals in ([("1", 303), ("4", 600)], [("1", 303), ("2", 306)]):  # off the table; doubled
        row = _applications(vals)[-1]
        got = place(split_row(row).values, 7, cols)[0]
        assert [s.guessed for s in got if s.cell] == [True, True]
        assert sum(s.lost for s in got) == 5  # the rest lost, not printed blanks


def _review_section(numbers: list[tuple[str, float]]) -> tuple[Row, ...]:
    groups = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    titles = [(g, 100 + 27 * k) for k, g in enumerate(groups * 3)]
    rows = [
        Row((box("四、政府信息公开行政复议、行政诉讼情况", 100, 370, 400),)),
        Row((box("行政复议", 145, 185, 420), box("行政诉讼", 345, 385, 420))),
        Row((box("未经复议直接起诉", 255, 335, 430), box("复议后起诉", 405, 455, 430))),
        *vertical_header(titles, 440),
    ]
    if numbers:
        rows.append(Row(tuple(box(t, x + 2, x + 7, 490) for t, x in numbers)))
    return tuple(rows)


def _match(review: tuple[Row, ...], reader: ReaderKind):  # type: ignore[no-untyped-def]
    sections = Sections(MappingProxyType({REVIEW: review}), ())
    ident = Identification(Template.T2021, Layout.THREE_ROWS, None, None)
    return match_tables(sections, ident, reader)


def test_review_values_placed_under_their_columns() -> None:
    got = _match(_review_section([("2", 100), ("1", 154), ("3", 208)]), ReaderKind.PDF)
    counts = {k.col: o for k, o in got.cells.items() if k.table == REVIEW}
    assert [counts[c].number.value for c in REVIEW_COLS[:5]] == [2, None, 1, None, 3]
    assert counts["review_corrected"].evidence == Evidence.PRINTED_BLANK
    assert counts["suit_after_review_total"].evidence == Evidence.PRINTED_BLANK


def test_review_table_printed_blank() -> None:
    """Header over no numbers: all printed blanks in a PDF; not found in a text extraction."""
    got = _match(_review_section([]), ReaderKind.PDF)
    counts = [o for k, o in got.cells.items() if k.table == REVIEW]
    assert len(counts) == 15 and {o.evidence for o in counts} == {Evidence.PRINTED_BLANK}
    assert "review_litigation values not found" not in got.warnings
    text = tuple(Row((CellText(c.text),)) for r in _review_section([]) for c in r.cells)
    got = _match(text, ReaderKind.TEXT)
    assert "review_litigation values not found" in got.warnings
    assert not any(k.table == REVIEW for k in got.cells)


def test_header_stacks_must_read_as_their_titles_where_known() -> None:
    """A stray word in place of a lost title would shift the empty columns unseen."""
    rows = _applications([("1", 303)], [("4", 483)])
    heads = [norm(t)[:2] for t, _ in _APP_TITLES]
    assert table_columns(rows, 7, heads=heads) is not None
    lost = [
        Row(tuple(c for c in r.cells if c.origin.bbox and c.origin.bbox[0] != 360)) for r in rows
    ]
    stray = [r for r in lost if r.cells]  # 科研机构 lost
    stray.insert(4, Row((box("注", 465, 470, 95),)))  # a note mark between 其他 and 总计
    assert table_columns(stray, 7) is not None  # the geometry alone would take it
    assert table_columns(stray, 7, heads=heads) is None


def test_a_title_wrapped_over_lines_of_different_widths_is_one_stack() -> None:
    rows = _applications([("1", 303)], [("4", 483)])
    rows = [  # 自然人 printed 自然 over 人, the first line twice as wide
        Row(tuple(c for c in r.cells if not (c.origin.bbox and c.origin.bbox[0] == 300)))
        for r in rows
    ]
    rows[4:4] = [Row((box("自然", 296, 314, 100),)), Row((box("人", 300, 310, 110),))]
    heads = [norm(t)[:2] for t, _ in _APP_TITLES]
    cols = table_columns([r for r in rows if r.cells], 7, heads=heads)
    assert cols is not None and cols.spans[0] == (296, 314)


def test_a_row_without_values_is_unsure_while_values_matched_no_row() -> None:
    """dev_105's shape: 5.属于三类内部事务信/息 wrapped, its numbers attached to the row of
    the next group label. Its blanks may hold those numbers: not printed, and said."""
    rows = (
        Row((box("三、收到和处理政府信息公开申请情况", 100, 340, 50),)),
        *vertical_header(_APP_TITLES, 100),
        Row((box("4.保护第三方合法权益", 100, 280, 200), box("1", 303, 308, 200))),
        Row((box("5.属于三类内部事务信", 100, 280, 220),)),
        Row((box("（四）无法提供息", 100, 280, 230), box("3", 303, 308, 230))),
        Row((box("6.属于四类过程性信息", 100, 280, 250), box("2", 303, 308, 250))),
    )
    sections = Sections(MappingProxyType({APPLICATIONS: rows}), ())
    ident = Identification(Template.T2021, Layout.THREE_ROWS, None, None)
    got = match_tables(sections, ident, ReaderKind.PDF)
    seen = {k.row: o.evidence for k, o in got.cells.items() if k.col == "natural_person"}
    assert seen["denied_internal_affairs"] == Evidence.MAYBE_BLANK
    assert seen["denied_third_party"] == Evidence.READ
    assert any("values matched to no row" in w for w in got.warnings)
    # without the orphan, a row printed all blank is printed blanks
    sections = Sections(MappingProxyType({APPLICATIONS: rows[:-2] + rows[-1:]}), ())
    got = match_tables(sections, ident, ReaderKind.PDF)
    key = next(k for k in got.cells if k.row == "denied_internal_affairs")
    assert got.cells[key].evidence == Evidence.PRINTED_BLANK
