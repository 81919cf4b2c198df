"""The canonical taxonomy of the three standard tables: the one source of truth.

docs/contract.md's key tables are generated from here; matching, reconciliation, the
store and the exports all read the keys and labels from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.model.records import CellKey, Layout, Template

APPLICATIONS = "applications"
ACTIVE = "active_disclosure"
REVIEW = "review_litigation"


@dataclass(frozen=True)
class RowSpec:
    key: str
    label: str
    # distinctive phrases: a row label that contains one of them is likely this row
    phrases: tuple[str, ...]
    cols: tuple[str, ...] = ()


APPLICANT_COLS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social_welfare", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
APP_COL_KEYS = tuple(k for k, _ in APPLICANT_COLS)

_APP_HEAD = (
    RowSpec("new_requests", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    RowSpec("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    RowSpec("granted", "三、本年度办理结果 （一）予以公开", ("予以公开",)),
    RowSpec(
        "partially_granted",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        ("部分公开", "区分处理"),
    ),
    RowSpec("denied_state_secret", "（三）不予公开 1.属于国家秘密", ("国家秘密",)),
    RowSpec(
        "denied_prohibited_by_law", "2.其他法律行政法规禁止公开", ("法律行政法规禁止", "法规禁止")
    ),
    RowSpec("denied_security_stability", "3.危及“三安全一稳定”", ("三安全一稳定", "危及")),
    RowSpec("denied_third_party", "4.保护第三方合法权益", ("第三方合法权益",)),
    RowSpec("denied_internal_affairs", "5.属于三类内部事务信息", ("三类内部事务",)),
    RowSpec("denied_process_info", "6.属于四类过程性信息", ("四类过程性",)),
    RowSpec("denied_enforcement_file", "7.属于行政执法案卷", ("行政执法案卷",)),
    RowSpec("denied_admin_query", "8.属于行政查询事项", ("行政查询事项",)),
    RowSpec("unable_not_held", "（四）无法提供 1.本机关不掌握相关政府信息", ("不掌握",)),
    RowSpec("unable_needs_creation", "2.没有现成信息需要另行制作", ("没有现成信息", "另行制作")),
    RowSpec("unable_unclear", "3.补正后申请内容仍不明确", ("补正后", "仍不明确")),
    RowSpec("rejected_petition", "（五）不予处理 1.信访举报投诉类申请", ("信访举报投诉",)),
    RowSpec("rejected_duplicate", "2.重复申请", ("重复申请",)),
    RowSpec("rejected_publication", "3.要求提供公开出版物", ("公开出版物",)),
    RowSpec("rejected_excessive", "4.无正当理由大量反复申请", ("大量反复申请", "无正当理由大量")),
    RowSpec(
        "rejected_confirmation",
        "5.要求行政机关确认或重新出具已获取信息",
        ("确认或重新出具", "重新出具"),
    ),
)
_APP_OTHER_2021 = (
    RowSpec(
        "other_no_correction",
        "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("逾期不补正",),
    ),
    RowSpec(
        "other_unpaid_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("收费通知", "缴纳费用"),
    ),
    RowSpec("other_misc", "3.其他", ("3.其他",)),
)
_APP_OTHER_2019 = (RowSpec("other_handling", "（六）其他处理", ("其他处理",)),)
_APP_TAIL = (
    RowSpec("total", "（七）总计", ("（七）总计", "总计")),
    RowSpec("carried_forward", "四、结转下年度继续办理", ("结转下年度",)),
)

APPLICATION_ROWS: dict[Layout, tuple[RowSpec, ...]] = {
    Layout.THREE_ROWS: _APP_HEAD + _APP_OTHER_2021 + _APP_TAIL,
    Layout.ONE_ROW: _APP_HEAD + _APP_OTHER_2019 + _APP_TAIL,
}

_C21 = ("issued", "repealed", "in_force")
_C19 = ("new_made", "new_published", "total_published")
_C19B = ("prior_items", "change", "decisions")
ACTIVE_ROWS: dict[Template, tuple[RowSpec, ...]] = {
    Template.T2021: (
        RowSpec("rules", "规章", ("规章",), _C21),
        RowSpec("normative_documents", "行政规范性文件", ("规范性文件",), _C21),
        RowSpec("administrative_license", "行政许可", ("行政许可",), ("decisions",)),
        RowSpec("administrative_penalty", "行政处罚", ("行政处罚",), ("decisions",)),
        RowSpec("administrative_coercion", "行政强制", ("行政强制",), ("decisions",)),
        RowSpec("administrative_fees", "行政事业性收费", ("事业性收费",), ("amount",)),
    ),
    Template.T2019: (
        RowSpec("rules", "规章", ("规章",), _C19),
        RowSpec("normative_documents", "规范性文件", ("规范性文件",), _C19),
        RowSpec("administrative_license", "行政许可", ("行政许可",), _C19B),
        RowSpec("other_external_services", "其他对外管理服务事项", ("对外管理服务",), _C19B),
        RowSpec("administrative_penalty", "行政处罚", ("行政处罚",), _C19B),
        RowSpec("administrative_coercion", "行政强制", ("行政强制",), _C19B),
        RowSpec(
            "administrative_fees", "行政事业性收费", ("事业性收费",), ("prior_items", "change")
        ),
        RowSpec("centralized_procurement", "政府集中采购", ("集中采购",), ("items", "amount")),
    ),
}

# Header words that tell the 2021 template's table 二 from the 2019 one's.
ACTIVE_HEADER_2021 = ("制发件数", "废止件数", "现行有效件数", "收费金额")
ACTIVE_HEADER_2019 = (
    "新制作数量",
    "新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "采购项目数量",
)

REVIEW_GROUPS = ("review", "suit_direct", "suit_after_review")
REVIEW_RESULTS = ("upheld", "corrected", "other", "pending", "total")
REVIEW_COLS = tuple(f"{g}_{r}" for g in REVIEW_GROUPS for r in REVIEW_RESULTS)
REVIEW_ROW = "counts"

# Values that may be negative (本年增/减); everything else is a count.
SIGNED_COLS = frozenset({"change"})
# Money (收费金额, 采购总金额): exact decimals; every other cell is a whole count.
AMOUNT_COLS = frozenset({"amount"})


def is_amount(table: str, row: str, col: str) -> bool:
    """Whether a cell holds money (a decimal) rather than a count (an integer): the one rule
    the store and the desk use to type a value."""
    del row  # the column decides, in every template
    return col in AMOUNT_COLS


def application_rows(layout: Layout) -> tuple[RowSpec, ...]:
    return APPLICATION_ROWS[layout]


def layout_of(application_row_keys: Iterable[str]) -> Layout | None:
    """The （六） layout that table 三's row keys belong to (a stored document keeps its cells
    but not its layout); None when the keys tell neither, or both alike."""
    keys = set(application_row_keys)
    one = {r.key for r in APPLICATION_ROWS[Layout.ONE_ROW]}
    three = {r.key for r in APPLICATION_ROWS[Layout.THREE_ROWS]}
    n_one, n_three = len(keys & (one - three)), len(keys & (three - one))
    if n_one == n_three:
        return None
    return Layout.ONE_ROW if n_one > n_three else Layout.THREE_ROWS


def canonical_keys(template: Template, layout: Layout) -> list[CellKey]:
    """Every canonical cell of a filing, in output order."""
    keys = [CellKey(ACTIVE, r.key, c) for r in ACTIVE_ROWS[template] for c in r.cols]
    keys += [
        CellKey(APPLICATIONS, r.key, c) for r in APPLICATION_ROWS[layout] for c in APP_COL_KEYS
    ]
    keys += [CellKey(REVIEW, REVIEW_ROW, c) for c in REVIEW_COLS]
    return keys


@dataclass(frozen=True)
class Identity:
    """``lhs`` sum equals ``rhs`` sum: the arithmetic a correct filing satisfies."""

    name: str
    lhs: tuple[CellKey, ...]
    rhs: tuple[CellKey, ...]

    @property
    def cells(self) -> tuple[CellKey, ...]:
        return self.lhs + self.rhs


def identities(layout: Layout) -> list[Identity]:
    """The spec's identities for the applications and review tables."""
    rows = [r.key for r in APPLICATION_ROWS[layout]]
    results = rows[rows.index("granted") : rows.index("total")]
    out: list[Identity] = []

    def k(row: str, col: str) -> CellKey:
        return CellKey(APPLICATIONS, row, col)

    for col in APP_COL_KEYS:
        out.append(
            Identity(
                f"applications.column.{col}",
                (k("new_requests", col), k("carried_over", col)),
                (k("total", col), k("carried_forward", col)),
            )
        )
        out.append(
            Identity(
                f"applications.results.{col}",
                (k("total", col),),
                tuple(k(r, col) for r in results),
            )
        )
    for row in rows:
        out.append(
            Identity(
                f"applications.row.{row}",
                (k(row, "total"),),
                tuple(k(row, c) for c in APP_COL_KEYS[:-1]),
            )
        )
    for g in REVIEW_GROUPS:
        out.append(
            Identity(
                f"review_litigation.{g}",
                (CellKey(REVIEW, REVIEW_ROW, f"{g}_total"),),
                tuple(CellKey(REVIEW, REVIEW_ROW, f"{g}_{r}") for r in REVIEW_RESULTS[:-1]),
            )
        )
    return out


# Titles and column labels as the filings print them: for people reading matrices, docs
# and exports (matching does not use them).
TABLE_TITLES = {
    ACTIVE: "二、主动公开政府信息情况",
    APPLICATIONS: "三、收到和处理政府信息公开申请情况",
    REVIEW: "四、政府信息公开行政复议、行政诉讼情况",
}
ACTIVE_COL_LABELS: dict[Template, dict[str, str]] = {
    Template.T2021: {
        "issued": "本年制发件数",
        "repealed": "本年废止件数",
        "in_force": "现行有效件数",
        "decisions": "本年处理决定数量",
        "amount": "本年收费金额（万元）",
    },
    Template.T2019: {
        "new_made": "本年新制作数量",
        "new_published": "本年新公开数量",
        "total_published": "对外公开总数量",
        "prior_items": "上一年项目数量",
        "change": "本年增/减",
        "decisions": "处理决定数量",
        "items": "采购项目数量",
        "amount": "采购总金额",
    },
}
_REVIEW_GROUP_LABELS = ("行政复议", "行政诉讼 未经复议直接起诉", "行政诉讼 复议后起诉")
_REVIEW_RESULT_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
REVIEW_COL_LABELS = {
    f"{g}_{r}": f"{gl} {rl}"
    for g, gl in zip(REVIEW_GROUPS, _REVIEW_GROUP_LABELS, strict=True)
    for r, rl in zip(REVIEW_RESULTS, _REVIEW_RESULT_LABELS, strict=True)
}
REVIEW_ROW_LABEL = "数量"


def table_layout(
    table: str, template: Template, layout: Layout
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """A table's (key, label) rows and columns in the filing's order.

    Table 二's rows have different columns; its columns are all of them, in the order they
    first appear, and a row lacks the ones it does not have.
    """
    if table == APPLICATIONS:
        rows = tuple((r.key, r.label) for r in APPLICATION_ROWS[layout])
        return rows, APPLICANT_COLS
    if table == ACTIVE:
        specs = ACTIVE_ROWS[template]
        labels = ACTIVE_COL_LABELS[template]
        cols = tuple(dict.fromkeys(c for r in specs for c in r.cols))
        return tuple((r.key, r.label) for r in specs), tuple((c, labels[c]) for c in cols)
    if table == REVIEW:
        return ((REVIEW_ROW, REVIEW_ROW_LABEL),), tuple(
            (c, REVIEW_COL_LABELS[c]) for c in REVIEW_COLS
        )
    raise KeyError(f"no table {table!r}: one of {', '.join(TABLE_TITLES)}")
