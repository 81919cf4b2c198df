"""Find the three tables in a reading and tell which template the filing uses.

Sections are found by their titles (二、主动公开政府信息情况 …) and, where a title is
missing or garbled, by the tables' own headers. The template comes from table 二's
column headers, the applications layout from the rows of （六）其他处理, organ and year
from the report's title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pipeline.model.records import Identification, Layout, Row, Template
from pipeline.model.taxonomy import (
    ACTIVE,
    ACTIVE_HEADER_2019,
    ACTIVE_HEADER_2021,
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


def norm(text: str) -> str:
    """NFKC, no whitespace: the form labels are compared in."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Sections:
    tables: Mapping[str, tuple[Row, ...]]  # read-only: a MappingProxyType
    prose: tuple[Row, ...]


def _is_title(text: str) -> bool:
    return 0 < len(text) <= _TITLE_MAX and not text.endswith(("。", "；", ";"))


def split_sections(rows: tuple[Row, ...]) -> Sections:
    texts = [norm(r.text) for r in rows]
    starts: dict[str, int] = {}
    pos = 0
    for table in (ACTIVE, APPLICATIONS, REVIEW):
        found = None
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


def identify(sections: Sections, all_rows: tuple[Row, ...]) -> Identification:
    if APPLICATIONS not in sections.tables and ACTIVE not in sections.tables:
        raise NotAReport(
            "no standard table found "
            "(neither 主动公开政府信息情况 nor 收到和处理政府信息公开申请情况)"
        )
    organ, year = title_organ_year(all_rows)
    template = _template(sections, year)
    layout = _layout(sections, template)
    return Identification(template, layout, organ, year)


def _template(sections: Sections, year: int | None) -> Template:
    text = "".join(norm(r.text) for r in sections.tables.get(ACTIVE, ()))
    v21 = sum(w in text for w in ACTIVE_HEADER_2021)
    v19 = sum(w in text for w in ACTIVE_HEADER_2019)
    v19 += ("其他对外管理服务" in text) + ("集中采购" in text)
    if v21 != v19:
        return Template.T2021 if v21 > v19 else Template.T2019
    app = "".join(norm(r.text) for r in sections.tables.get(APPLICATIONS, ()))
    if "逾期不补正" in app or "收费通知" in app:
        return Template.T2021
    if year is not None:
        return Template.T2021 if year >= 2021 else Template.T2019
    return Template.T2021


def _layout(sections: Sections, template: Template) -> Layout:
    app = "".join(norm(r.text) for r in sections.tables.get(APPLICATIONS, ()))
    if "逾期不补正" in app or "收费通知" in app or "缴纳费用" in app:
        return Layout.THREE_ROWS
    if "其他处理" in app:
        return Layout.ONE_ROW
    return Layout(template.value)


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
