"""DocResult → the contract's JSON document (shared/spec/tables.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.model.records import Cell, DocResult


def _round(v: float) -> float:
    return round(v, 2)


def cell_json(c: Cell) -> dict[str, Any]:
    o = c.origin
    out: dict[str, Any] = {
        "table": c.key.table,
        "row": c.key.row,
        "col": c.key.col,
        "value": c.value,
        "status": str(c.status),
        "confidence": c.confidence,
        "page": o.page,
        "bbox": [_round(v) for v in o.bbox] if o.bbox else None,
        "reason": c.reason,
        "suggestion": c.suggestion,
    }
    if o.line is not None:
        out["line"] = o.line
    return out


def result_json(r: DocResult) -> dict[str, Any]:
    ident = r.identification
    doc: dict[str, Any] = {
        "source": r.source,
        "sha256": r.sha256,
        "status": r.status,
        "template": ident.template if ident else None,
        "applications_layout": ident.applications_layout if ident else None,
        "organ": ident.organ if ident else None,
        "year": ident.year if ident else None,
        "reader": r.reader,
        "pages": r.pages,
        "cells": [cell_json(c) for c in r.cells],
        "checks": [
            {"identity": c.identity, "holds": c.holds, **({"detail": c.detail} if c.detail else {})}
            for c in r.checks
        ],
    }
    if r.warnings:
        doc["warnings"] = list(r.warnings)
    if r.error:
        doc["error"] = {"stage": r.error.stage, "message": r.error.message}
    return doc


def write_json(r: DocResult, out_dir: Path, stem: str) -> Path:
    path = out_dir / f"{stem}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result_json(r), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path
