"""The run log: one JSON object per line, flushed line by line, so a killed run leaves a
readable record of every file it finished (``OUT/runs/<UTC time>.jsonl`` by default)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO


def default_path(out_dir: Path) -> Path:
    """``OUT/runs/<UTC timestamp>.jsonl`` (to the millisecond: names sort as runs started),
    a fresh name even for two runs in one millisecond."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S.") + f"{now.microsecond // 1000:03d}Z"
    runs = out_dir / "runs"
    path = runs / f"{stamp}.jsonl"
    n = 1
    while path.exists():
        path = runs / f"{stamp}-{n}.jsonl"
        n += 1
    return path


class RunLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._f: TextIO = path.open("a", encoding="utf-8")

    def write(self, event: str, **fields: Any) -> None:
        record = {"event": event, "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        record.update(fields)
        self._f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read(path: Path) -> list[dict[str, Any]]:
    """The records of a run log; a last line cut short by a kill is left out."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
