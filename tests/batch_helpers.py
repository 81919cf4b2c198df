"""Helpers of the batch tests: the CLI in-process or as a subprocess, and run logs read back."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from pipeline.cli import main

from .conftest import ROOT


def extract(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["extract", *map(str, args)], env=env)


def gongkai(*args: str | Path, **kw: Any) -> subprocess.Popen[str]:
    """``gongkai ARGS`` in a child process (stdout and stderr piped, text)."""
    env = {**os.environ, **kw.pop("env", {})}
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *map(str, args)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw,
    )  # fmt: skip


def logs(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("*.jsonl"))


def stored(db: Path) -> list[tuple[str, str, str]]:
    """(resolved, status, error message) of every file in the store."""
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT resolved, status, error_message FROM files ORDER BY id")
        return [tuple(r) for r in rows.fetchall()]  # type: ignore[misc]


def outputs(out: Path) -> dict[str, dict[str, Any]]:
    """Every JSON written in OUT, by name."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.json"))}
