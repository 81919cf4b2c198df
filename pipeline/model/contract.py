"""The parts of the data contract that are derived from the taxonomy, rendered for docs/.

docs/contract.md holds prose plus tables generated here (between ``<!-- BEGIN generated:
NAME -->`` and ``<!-- END generated -->``), and docs/output.schema.json is generated
whole, so that neither can drift from taxonomy.py and records.py. Run
``python -m pipeline.model.contract`` to rewrite them, ``--check`` to only compare
(the tests do).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline.model.records import (
    CellKey,
    DocStatus,
    Layout,
    ReaderKind,
    Reason,
    Stage,
    Status,
    Template,
)
from pipeline.model.taxonomy import (
    ACTIVE,
    ACTIVE_COL_LABELS,
    ACTIVE_ROWS,
    APP_COL_KEYS,
    APPLICANT_COLS,
    APPLICATION_ROWS,
    APPLICATIONS,
    REVIEW,
    REVIEW_COL_LABELS,
    REVIEW_COLS,
    REVIEW_ROW,
    identities,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
CONTRACT = "contract.md"
SCHEMA = "output.schema.json"
FIX_COMMAND = "python -m pipeline.model.contract"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _code(s: str) -> str:
    return f"`{s}`"


def render_applications() -> str:
    cols = _table(("col", "label"), ((_code(k), v) for k, v in APPLICANT_COLS))
    three, one = APPLICATION_ROWS[Layout.THREE_ROWS], APPLICATION_ROWS[Layout.ONE_ROW]
    keys = [r.key for r in three]
    at = keys.index("other_no_correction")
    keys[at:at] = [r.key for r in one if r.key not in keys]
    labels = {r.key: r.label for r in three + one}
    in3, in1 = {r.key for r in three}, {r.key for r in one}

    def layouts(k: str) -> str:
        return "both" if k in in3 and k in in1 else ("2021" if k in in3 else "2019")

    rows = _table(("row", "label", "layout"), ((_code(k), labels[k], layouts(k)) for k in keys))
    return f"Columns, in output order:\n\n{cols}\n\nRows, in output order:\n\n{rows}"


def render_active() -> str:
    parts = []
    for t in (Template.T2021, Template.T2019):
        body = _table(
            ("row", "label", "columns"),
            (
                (
                    _code(r.key),
                    r.label,
                    ", ".join(f"`{c}` {ACTIVE_COL_LABELS[t][c]}" for c in r.cols),
                )
                for r in ACTIVE_ROWS[t]
            ),
        )
        parts.append(f'Template `"{t}"`:\n\n{body}')
    return "\n\n".join(parts)


def render_review() -> str:
    body = _table(
        ("col", "label"),
        ((_code(c), REVIEW_COL_LABELS[c]) for c in REVIEW_COLS),
    )
    return f"One row, `{REVIEW_ROW}`; columns in output order:\n\n{body}"


def _formula(lhs: Sequence[CellKey], rhs: Sequence[CellKey]) -> str:
    """``a + b = c + d``, naming only what varies: rows within a column, columns within a row."""
    cells = (*lhs, *rhs)
    if len({k.col for k in cells}) == 1:
        name, where = (lambda k: k.row), f"column `{cells[0].col}`"
    elif len({k.row for k in cells}) == 1:
        name, where = (lambda k: k.col), f"row `{cells[0].row}`"
    else:
        name, where = (lambda k: f"{k.row}.{k.col}"), ""

    def side(keys: Sequence[CellKey]) -> str:
        if len(keys) > 3:
            return f"{name(keys[0])} + … + {name(keys[-1])} ({len(keys)} cells)"
        return " + ".join(name(k) for k in keys)

    return f"{side(lhs)} = {side(rhs)}" + (f", in {where}" if where else "")


def render_identities() -> str:
    """Every identity name that can appear in ``checks``, with what it requires."""
    by_layout = {lay: {i.name: _formula(i.lhs, i.rhs) for i in identities(lay)} for lay in Layout}
    names = dict.fromkeys(n for lay in (Layout.THREE_ROWS, Layout.ONE_ROW) for n in by_layout[lay])
    rows = []
    for n in names:
        forms = {lay: by_layout[lay].get(n) for lay in (Layout.THREE_ROWS, Layout.ONE_ROW)}
        if len(set(forms.values())) == 1:
            rows.append((_code(n), "both", str(forms[Layout.THREE_ROWS])))
        else:
            rows += [(_code(n), str(lay), f) for lay, f in forms.items() if f is not None]
    return _table(("identity", "layout", "requires"), rows)


def render_enums() -> str:
    enums: list[tuple[str, type[Any]]] = [
        ("template", Template),
        ("applications_layout", Layout),
        ("status (document)", DocStatus),
        ("reader", ReaderKind),
        ("error.stage", Stage),
        ("cells[].status", Status),
        ("cells[].reason", Reason),
    ]
    return _table(
        ("field", "values"), ((f, " \\| ".join(_code(str(v)) for v in e)) for f, e in enums)
    )


REGIONS: dict[str, Callable[[], str]] = {
    "applications": render_applications,
    "active_disclosure": render_active,
    "review_litigation": render_review,
    "identities": render_identities,
    "enums": render_enums,
}

_REGION = re.compile(
    r"(<!-- BEGIN generated: (?P<name>[\w]+) -->\n)(?P<body>.*?)(<!-- END generated -->)",
    re.DOTALL,
)


def fill(text: str) -> str:
    """``text`` with every generated region re-rendered; an unknown region name is an error."""
    seen: set[str] = set()

    def sub(m: re.Match[str]) -> str:
        name = m["name"]
        if name not in REGIONS:
            raise KeyError(f"unknown generated region: {name}")
        seen.add(name)
        return f"{m[1]}{REGIONS[name]()}\n{m[4]}"

    out = _REGION.sub(sub, text)
    missing = set(REGIONS) - seen
    if missing:
        raise KeyError(f"generated regions missing from {CONTRACT}: {', '.join(sorted(missing))}")
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _enum(values: Iterable[Any]) -> dict[str, Any]:
    return {"enum": [str(v) for v in values]}


def _cell_key_rules() -> list[dict[str, Any]]:
    """One branch per table: its row keys and column keys."""
    app_rows = dict.fromkeys(r.key for rows in APPLICATION_ROWS.values() for r in rows)
    act_rows = dict.fromkeys(r.key for rows in ACTIVE_ROWS.values() for r in rows)
    act_cols = dict.fromkeys(c for rows in ACTIVE_ROWS.values() for r in rows for c in r.cols)
    tables = [
        (APPLICATIONS, list(app_rows), list(APP_COL_KEYS)),
        (ACTIVE, list(act_rows), list(act_cols)),
        (REVIEW, [REVIEW_ROW], list(REVIEW_COLS)),
    ]
    return [
        {
            "if": {"properties": {"table": {"const": t}}},
            "then": {"properties": {"row": _enum(rows), "col": _enum(cols)}},
        }
        for t, rows, cols in tables
    ]


def _reason_rules() -> list[dict[str, Any]]:
    """A cell to review always says why; a cell that is ok or inferred has no reason."""
    plain = [str(Status.OK), str(Status.INFERRED)]
    return [
        {
            "if": {"properties": {"status": {"const": str(Status.REVIEW)}}},
            "then": {"properties": {"reason": _enum(Reason)}},
        },
        {
            "if": {"properties": {"status": {"enum": plain}}},
            "then": {"properties": {"reason": {"type": "null"}}},
        },
    ]


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one output document (store/export.py)."""
    number = {"type": "number"}
    names = dict.fromkeys(i.name for lay in Layout for i in identities(lay))
    cell = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "table",
            "row",
            "col",
            "value",
            "status",
            "confidence",
            "page",
            "bbox",
            "reason",
            "suggestion",
        ],
        "properties": {
            "table": _enum((APPLICATIONS, ACTIVE, REVIEW)),
            "row": {"type": "string"},
            "col": {"type": "string"},
            "value": _nullable(number),
            "status": _enum(Status),
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "page": _nullable({"type": "integer", "minimum": 1}),
            "bbox": _nullable({"type": "array", "items": number, "minItems": 4, "maxItems": 4}),
            "reason": _nullable(_enum(Reason)),
            "suggestion": _nullable(number),
            "line": {"type": "integer", "minimum": 1},
        },
        "allOf": [*_cell_key_rules(), *_reason_rules()],
    }
    check = {
        "type": "object",
        "additionalProperties": False,
        "required": ["identity", "holds"],
        "properties": {
            "identity": _enum(names),
            "holds": {"type": "boolean"},
            "detail": {"type": "string"},
        },
    }
    failed = {
        "properties": {
            "cells": {"maxItems": 0},
            "checks": {"maxItems": 0},
            "template": {"type": "null"},
            "applications_layout": {"type": "null"},
        },
        "required": ["error"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gongkai.invalid/output.schema.json",
        "title": "gongkai output document",
        "description": f"Generated by `{FIX_COMMAND}` from pipeline/model; see contract.md.",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "source",
            "sha256",
            "status",
            "template",
            "applications_layout",
            "organ",
            "year",
            "reader",
            "pages",
            "cells",
            "checks",
        ],
        "properties": {
            "source": {"type": "string"},
            "input": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^([0-9a-f]{64})?$"},
            "status": _enum(DocStatus),
            "template": _nullable(_enum(Template)),
            "applications_layout": _nullable(_enum(Layout)),
            "organ": _nullable({"type": "string"}),
            "year": _nullable({"type": "integer"}),
            "reader": _nullable(_enum(ReaderKind)),
            "pages": _nullable({"type": "integer", "minimum": 0}),
            "cells": {"type": "array", "items": {"$ref": "#/$defs/cell"}},
            "checks": {"type": "array", "items": {"$ref": "#/$defs/check"}},
            "warnings": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "error": {
                "type": "object",
                "additionalProperties": False,
                "required": ["stage", "message"],
                "properties": {"stage": _enum(Stage), "message": {"type": "string"}},
            },
        },
        "if": {"properties": {"status": {"const": str(DocStatus.FAILED)}}},
        "then": failed,
        "else": {"not": {"required": ["error"]}},
        "$defs": {"cell": cell, "check": check},
    }


def render_schema() -> str:
    return json.dumps(schema(), ensure_ascii=False, indent=2) + "\n"


def outputs(docs: Path) -> dict[Path, str]:
    """Each generated file with the text it should have."""
    contract = docs / CONTRACT
    return {
        contract: fill(contract.read_text(encoding="utf-8")),
        docs / SCHEMA: render_schema(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=FIX_COMMAND, description=__doc__)
    p.add_argument("--check", action="store_true", help="only report files that differ")
    p.add_argument("--docs", type=Path, default=DOCS, help="the docs directory")
    args = p.parse_args(argv)
    stale = []
    for path, text in outputs(args.docs).items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        names = ", ".join(str(s) for s in stale)
        print(f"out of date with taxonomy.py: {names}; run: {FIX_COMMAND}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
