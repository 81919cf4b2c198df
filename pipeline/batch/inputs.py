"""The inputs of a batch: files, directories, glob patterns and lists of paths.

Globs are expanded here (quoted on the command line, so that ``'archive/**/*.pdf'`` is not
limited by the shell's argument length); ``**`` crosses directories. A list file names one
path per line (``-``: standard input); blank lines and ``#`` comments are skipped, and a
listed path that does not exist is a failed input (an archive's list goes stale), while a
path named on the command line that does not exist stops the run before any work.
"""

from __future__ import annotations

import glob
import sys
from collections.abc import Iterable
from pathlib import Path

from pipeline.run import Input, gather, missing

GLOB_CHARS = frozenset("*?[")


class BadInput(ValueError):
    """A named path that does not exist, a glob that matches nothing, an unreadable list."""


def is_glob(text: str) -> bool:
    return any(c in GLOB_CHARS for c in text)


def read_list(name: str) -> list[str]:
    """The paths in a list file (``-``: standard input)."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"--from-list {name!r}: cannot read it: {e}") from e
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def expand(paths: Iterable[str], from_list: str | None = None) -> list[Input]:
    """Every input in a stable order, each resolved path once (see :func:`pipeline.run.gather`)."""
    named: list[Path] = []
    for text in paths:
        p = Path(text)
        if not _exists(p) and is_glob(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise BadInput(f"PATH {text!r}: no file matches the pattern")
            named += [Path(m) for m in matches]
            continue
        why = missing(p)
        if why:
            raise BadInput(f"PATH {text!r}: {why}")
        named.append(p)
    listed = [Path(t) for t in read_list(from_list)] if from_list is not None else []
    inputs = gather(named + [p for p in listed if not missing(p)])
    seen = {i.key for i in inputs}
    for p in listed:  # a stale entry: a failed input, reported under its own name
        why = missing(p)
        if why:
            inp = Input(p, why)
            if inp.key not in seen:
                seen.add(inp.key)
                inputs.append(inp)
    return inputs


def _exists(p: Path) -> bool:
    return p.exists() or p.is_symlink()
