"""DocResult → the contract's JSON document (docs/contract.md), and the output file's name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
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


def result_json(r: DocResult, input_key: str | None = None) -> dict[str, Any]:
    """The contract's document; ``input_key`` (the input's resolved path) goes in ``"input"``."""
    ident = r.identification
    doc: dict[str, Any] = {
        "source": r.source,
        **({"input": input_key} if input_key is not None else {}),
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


def output_name(path: Path, key: str, taken: Callable[[str], bool]) -> str:
    """The name of an input's JSON in the output directory, so no output overwrites another.

    The candidates, in order: ``<stem>.json`` (stem: the file name without its last extension),
    ``<name>.json`` (``x.txt.json``), then ``<name>.<h>.json`` with ``h`` the first 8 hex digits
    of the sha256 of the input's identity ``key`` (its resolved absolute path). The input gets
    the first candidate that is not ``taken``: claimed by an earlier input of the same run, or an
    existing file written for a different input (the same input re-run gets its own name back).
    Every candidate starts with the stem, so the scorer's "up to the first '.'" still applies.
    """
    stem = path.name.rsplit(".", 1)[0] if "." in path.name.lstrip(".") else path.name
    h = hashlib.sha256(key.encode("utf-8")).hexdigest()
    candidates = dict.fromkeys((f"{stem}.json", f"{path.name}.json", f"{path.name}.{h[:8]}.json"))
    for name in candidates:
        if not taken(name):
            return name
    return f"{path.name}.{h}.json"  # only if 8 hex digits collide


def write_json(r: DocResult, out_dir: Path, stem: str, key: str | None = None) -> Path:
    """Write ``<stem>.json`` atomically; ``key`` (the input's resolved path) goes in ``"input"``."""
    path = out_dir / f"{stem}.json"
    tmp = path.with_suffix(".json.tmp")
    doc = result_json(r, key)
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path
