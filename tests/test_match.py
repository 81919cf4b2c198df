"""Identification, row alignment and column placement: the shared stages after the waist."""

from __future__ import annotations

from pipeline.model.records import CellText, Origin, Row
from pipeline.model.taxonomy import APPLICATIONS, application_rows
from pipeline.read.text import parse_lines
from pipeline.recover.columns import Columns, header_centers, place, table_columns
from pipeline.recover.identify import identify, split_sections, title_organ_year
from pipeline.recover.rows import align_rows, join_detached, split_row


def row(*cells: str) -> Row:
    return Row(tuple(CellText(c) for c in cells))


def test_split_row_label_and_values() -> None:
    tr = split_row(row("", "（三）不予公开", "1.属于国家秘密", "0", "", "2"))
    assert tr.label == "（三）不予公开1.属于国家秘密".replace("（", "(").replace("）", ")")
    assert [v.text for v in tr.values] == ["0", "", "2"]


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
