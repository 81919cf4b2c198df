"""Find the three tables in a reading and tell which template the filing uses.

A table is where its structure is: the rows that hold most of its canonical row labels
and header words (:func:`_anchor`), the title just above them its start. A title alone
can be prose (a narrative that speaks of 主动公开政府信息情况 before the table) and the
filing may renumber or drop it, so titles and header words decide only where no table
structure is found. The template comes from table 二's column headers, the applications
layout from the rows of （六）其他处理, organ and year from the report's title; how each
was decided is kept (:class:`Decision`), for the cells' confidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from pipeline.model.numbers import is_blank, looks_numeric
from pipeline.model.records import Decision, Identification, Layout, Row, Template
from pipeline.model.taxonomy import (
    ACTIVE,
    ACTIVE_HEADER_2019,
    ACTIVE_HEADER_2021,
    ACTIVE_ROWS,
    APPLICANT_COLS,
    APPLICATION_ROWS,
    APPLICATIONS,
    REVIEW,
)


class NotAReport(Exception):
    """No standard table of an annual report was found."""


_TITLE_MAX = 40
_TITLES = {
    ACTIVE: re.compile(r"主动公开政府信息(的)?情况"),
    APPLICATIONS: re.compile(r"收到和处理政府信息公开申请(的)?情况"),
    REVIEW: re.compile(r"(行政复议.{0,4}行政诉讼|行政复议和提起行政诉讼)"),
}
# header words that start a table when its title is missing
_HEADERS = {
    ACTIVE: re.compile(r"第二十条第|信息内容"),
    APPLICATIONS: re.compile(r"申请人情况|本列数据的勾稽关系|本年新收政府信息公开申请"),
    REVIEW: re.compile(r"^行政复议|结果维持"),
}
_END = re.compile(r"^[五六七]、|存在的主要问题|其他需要报告的事项")
_REPORT_TITLE = re.compile(
    r"(.*?)\s*((?:19|20)\d\d)\s*年\s*度?\s*(?:政府)?信息公开(?:工作)?(?:年度)?报告"
)
_ORGAN_BY = re.compile(r"由(.{2,30}?)(?:编制|负责编制|编写)")
_YEAR_PERIOD = re.compile(r"自\s*((?:19|20)\d\d)\s*年\s*1\s*月\s*1\s*日")


_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """NFKC, no whitespace: the form labels are compared in (cached: the taxonomy's
    phrases are normalised again for every row they are compared with)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Sections:
    tables: Mapping[str, tuple[Row, ...]]  # read-only: a MappingProxyType
    prose: tuple[Row, ...]


def _is_title(text: str) -> bool:
    return 0 < len(text) <= _TITLE_MAX and not text.endswith(("。", "；", ";"))


def split_sections(rows: tuple[Row, ...]) -> Sections:
    """The rows of each table, in the filing's order 二, 三, 四, and the prose before them.

    Each table by its structure (:func:`_structural_start`); where too little of it is
    seen (a table lost to a damaged page), by its first title, then by its header words.
    """
    texts = [norm(r.text) for r in rows]
    shapes = [_shape(r, t) for r, t in zip(rows, texts, strict=True)]
    starts: dict[str, int] = {}
    pos = 0
    for table in (ACTIVE, APPLICATIONS, REVIEW):
        found = _structural_start(table, rows, texts, shapes, pos)
        if found is None:
            for i in range(pos, len(rows)):
                if _is_title(texts[i]) and _TITLES[table].search(texts[i]):
                    found = i
                    break
        if found is None:
            for i in range(pos, len(rows)):
                if _HEADERS[table].search(texts[i]) and len(texts[i]) <= 120:
                    found = i
                    break
        if found is not None:
            starts[table] = found
            pos = found + 1
    order = sorted(starts.items(), key=lambda kv: kv[1])
    tables: dict[str, tuple[Row, ...]] = {}
    for n, (table, start) in enumerate(order):
        end = order[n + 1][1] if n + 1 < len(order) else len(rows)
        if n + 1 == len(order):
            for i in range(start + 1, len(rows)):
                if _is_title(texts[i]) and _END.search(texts[i]):
                    end = i
                    break
        tables[table] = rows[start:end]
    first = order[0][1] if order else len(rows)
    return Sections(MappingProxyType(tables), rows[:first])


# What each table's structure holds: its canonical row labels (any phrase of a RowSpec,
# over every template and layout) and its header words; an item is one alternative set.
def _items(*groups: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    out = dict.fromkeys(tuple(norm(p) for p in g) for group in groups for g in group)
    return tuple(out)


_ITEMS: dict[str, tuple[tuple[str, ...], ...]] = {
    ACTIVE: _items(
        tuple(s.phrases for specs in ACTIVE_ROWS.values() for s in specs),
        tuple(
            (w,)
            for w in (
                "信息内容",
                "第二十条",
                "处理决定数量",
                *ACTIVE_HEADER_2021,
                *ACTIVE_HEADER_2019,
            )
        ),
    ),
    APPLICATIONS: _items(
        tuple(s.phrases for specs in APPLICATION_ROWS.values() for s in specs),
        tuple((label,) for _, label in APPLICANT_COLS[:-2]),
        (("申请人情况",), ("法人或其他组织",)),
    ),
    REVIEW: _items(
        (("结果维持",), ("结果纠正",), ("其他结果",), ("尚未审结",)),
        (("直接起诉",), ("复议后起诉",), ("行政复议",), ("行政诉讼",)),
    ),
}
# each table's phrases as one pattern (a lookahead, so overlapping phrases all count),
# and the item each phrase stands for: one scan of a row finds all its items
_PHRASES = {
    t: re.compile("(?=(" + "|".join(re.escape(p) for i in items for p in i) + "))")
    for t, items in _ITEMS.items()
}
_ITEM_OF = {t: {p: i for i in items for p in i} for t, items in _ITEMS.items()}
_VALUES_ITEM = ("<values>",)  # table 四's row of numbers: it has no labels
_WINDOW = {ACTIVE: 24, APPLICATIONS: 40, REVIEW: 10}  # rows a table spans, with room
_MIN_SCORE = 6  # e.g. three items seen in table rows: less is a mention, not a table
_TITLE_BACK = 6  # rows without a header word between a table's title and its header
_PROSE, _LINE, _TABLE_ROW = 0, 1, 2  # what a row looks like: the weight of its items
_NUMBER = re.compile(r"^\s*[增减+\-−－]?\s*\d[\d,，.．\s]*(?:元|万元|%|％)?\s*$")


def _shape(row: Row, text: str) -> int:
    """A table row (several cells, or numbers) weighs most; a sentence of prose nothing."""
    filled = [c.text for c in row.cells if c.text.strip()]  # per row: kept cheap
    if len(filled) >= 2 or any(_NUMBER.match(t) for t in filled):
        return _TABLE_ROW
    if len(text) > _TITLE_MAX or text.endswith(("。", "；", ";")):
        return _PROSE
    return _LINE


def _found(table: str, row: Row, text: str, shape: int) -> dict[tuple[str, ...], int]:
    """The items of ``table`` that one row holds, each with the row's weight."""
    if shape == _PROSE:
        return {}
    got = {_ITEM_OF[table][m.group(1)]: shape for m in _PHRASES[table].finditer(text)}
    if table == REVIEW and shape == _TABLE_ROW:
        nums = [c.text for c in row.cells if not is_blank(c.text)]
        if len(nums) >= 4 and all(looks_numeric(t) for t in nums):
            got[_VALUES_ITEM] = _TABLE_ROW
    return got


def _structural_start(
    table: str, rows: tuple[Row, ...], texts: list[str], shapes: list[int], lo: int
) -> int | None:
    """Where ``table`` starts, told by its structure; None when too little of it is seen.

    Each row that holds an item of the table starts a window of the rows below (ended
    early by two sentences of prose in a row); its score is the summed weight of the
    distinct items in the window. The anchor is the last start with the best score —
    the first header row, not a line of narrative a few rows above it. The table starts
    at its title when one stands just above the anchor, else at the first of the header
    rows above it (whose words may be garbled, or shared with later rows).
    """
    found = [
        _found(table, rows[i], texts[i], shapes[i]) if i >= lo else {} for i in range(len(rows))
    ]
    best, anchor = 0, None
    for i in range(lo, len(rows)):
        if not found[i]:
            continue
        seen: dict[tuple[str, ...], int] = {}
        prose = 0
        for k in range(i, min(len(rows), i + _WINDOW[table])):
            prose = prose + 1 if shapes[k] == _PROSE else 0
            if prose >= 2:
                break
            for item, w in found[k].items():
                seen[item] = max(seen.get(item, 0), w)
        score = sum(seen.values())
        if score >= best:
            best, anchor = score, i
    if anchor is None or best < _MIN_SCORE:
        return None
    start = anchor
    for k in range(anchor, lo - 1, -1):
        if shapes[k] == _LINE and _TITLES[table].search(texts[k]):
            return k
        if shapes[k] == _PROSE or start - k > _TITLE_BACK:
            break
        if found[k] or _HEADERS[table].search(texts[k]) or _fragments(rows[k]):
            start = k  # a header row above the anchor, its words garbled or shared
    return start


def _fragments(row: Row) -> bool:
    """A row of a header printed vertically: a character or two in each cell (自 / 然 / 人)."""
    cells = [norm(c.text) for c in row.cells if not is_blank(c.text)]
    return bool(cells) and all(len(t) <= 2 and not looks_numeric(t) for t in cells)


def identify(
    sections: Sections,
    all_rows: tuple[Row, ...],
    template: Template | None = None,
    layout: Layout | None = None,
) -> Identification:
    """The template and the （六） layout, each with what told it; a ``template`` or ``layout``
    given is a reviewer's (``Decision.REVIEWER``) and is not looked for."""
    if APPLICATIONS not in sections.tables and ACTIVE not in sections.tables:
        raise NotAReport(
            "no standard table found "
            "(neither 主动公开政府信息情况 nor 收到和处理政府信息公开申请情况)"
        )
    organ, year = title_organ_year(all_rows)
    t, template_by = (template, Decision.REVIEWER) if template else _template(sections, year)
    lay, layout_by = (layout, Decision.REVIEWER) if layout else _layout(sections, t)
    return Identification(t, lay, organ, year, template_by, layout_by)


def _template(sections: Sections, year: int | None) -> tuple[Template, Decision]:
    text = "".join(norm(r.text) for r in sections.tables.get(ACTIVE, ()))
    v21 = sum(w in text for w in ACTIVE_HEADER_2021)
    v19 = sum(w in text for w in ACTIVE_HEADER_2019)
    v19 += ("其他对外管理服务" in text) + ("集中采购" in text)
    if v21 != v19:
        return (Template.T2021 if v21 > v19 else Template.T2019), Decision.HEADERS
    app = "".join(norm(r.text) for r in sections.tables.get(APPLICATIONS, ()))
    if "逾期不补正" in app or "收费通知" in app:
        return Template.T2021, Decision.ROWS
    if year is not None:
        return (Template.T2021 if year >= 2021 else Template.T2019), Decision.YEAR
    return Template.T2021, Decision.FALLBACK


def _layout(sections: Sections, template: Template) -> tuple[Layout, Decision]:
    app = "".join(norm(r.text) for r in sections.tables.get(APPLICATIONS, ()))
    if "逾期不补正" in app or "收费通知" in app or "缴纳费用" in app:
        return Layout.THREE_ROWS, Decision.ROWS
    if "其他处理" in app:
        return Layout.ONE_ROW, Decision.ROWS
    return Layout(template.value), Decision.FALLBACK


def title_organ_year(rows: tuple[Row, ...]) -> tuple[str | None, int | None]:
    """Organ and report year from the title, else from the boilerplate's 由…编制 and 统计期限."""
    head = [norm(r.text) for r in rows[:12] if r.text.strip()]
    for i in range(min(6, len(head))):
        for span in (1, 2, 3):  # a title may wrap anywhere, even mid-word
            joined = "".join(head[i : i + span])
            m = _REPORT_TITLE.search(joined)
            if m and len(joined) <= 80:
                organ = m.group(1).strip(" ，,:：")
                if not organ and i > 0 and len(head[i - 1]) <= 40:
                    organ = head[i - 1]
                return (organ or None), int(m.group(2))
    organ = year = None
    for line in (norm(r.text) for r in rows[:40]):
        if organ is None and (m := _ORGAN_BY.search(line)):
            organ = m.group(1)
        if year is None and (m := _YEAR_PERIOD.search(line)):
            year = int(m.group(1))
    return organ, year
