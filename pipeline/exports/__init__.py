"""Exports of the store as analysts' tables: parquet, CSV or Excel, long or wide.

    from pipeline.exports import export, frame
    export(store, Path("all.parquet"), "parquet", "wide")   # what `gongkai export` does
    df = frame(store, "wide")                               # the same as a DataFrame

Light to import (the command line imports it): pandas, pyarrow and openpyxl (the extra
``export``) are imported only when an export is made. Values are exact: counts as integers,
amounts as decimals (see ``frames``); reviewers' corrections are the stored values (status
``corrected``); only current versions unless ``all_versions``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipeline.exports.documents import (
    ExportDoc,
    ExportError,
    StoreLike,
    column_name,
    ordered_keys,
    read_documents,
)

if TYPE_CHECKING:
    import pandas as pd

Format = Literal["parquet", "csv", "xlsx"]
Shape = Literal["long", "wide"]
FORMATS: tuple[Format, ...] = ("parquet", "csv", "xlsx")
SHAPES: tuple[Shape, ...] = ("long", "wide")
INSTALL_HINT = "pip install 'gongkai[export]'"
_NEEDS: dict[str, tuple[str, ...]] = {
    "parquet": ("pandas", "pyarrow"),
    "csv": ("pandas",),
    "xlsx": ("pandas", "openpyxl"),
}
# CSV in UTF-8 with a byte-order mark: Excel opens the Chinese labels right, pandas skips it
CSV_ENCODING = "utf-8-sig"

__all__ = [
    "FORMATS",
    "SHAPES",
    "ExportDoc",
    "ExportError",
    "Summary",
    "column_name",
    "export",
    "frame",
    "missing",
    "ordered_keys",
    "read_documents",
]


def missing(fmt: str) -> list[str]:
    """The modules of the extra ``export`` that ``fmt`` needs and this environment lacks."""
    return [m for m in _NEEDS.get(fmt, ()) if importlib.util.find_spec(m) is None]


def format_of(path: Path) -> Format | None:
    """The format a file name says: ``.parquet``, ``.csv`` or ``.xlsx``."""
    suffix = path.suffix.lower().lstrip(".")
    return next((f for f in FORMATS if f == suffix), None)


@dataclass(frozen=True)
class Summary:
    documents: int
    rows: int
    columns: int
    cells: int


def frame(store: StoreLike, shape: Shape = "long", all_versions: bool = False) -> pd.DataFrame:
    """The store as one DataFrame of the given shape, exact types (``frames``)."""
    from pipeline.exports.frames import table_of

    return table_of(read_documents(store, all_versions), shape, all_versions).frame()


def export(
    store: StoreLike, path: Path, fmt: Format, shape: Shape, all_versions: bool = False
) -> Summary:
    """Write the store's documents to ``path``; the file appears whole or not at all."""
    from pipeline.exports.frames import table_of

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    if lacking := missing(fmt):
        raise ModuleNotFoundError(f"{fmt} export needs {', '.join(lacking)}: {INSTALL_HINT}")
    docs = read_documents(store, all_versions)
    data = table_of(docs, shape, all_versions)
    with _replacing(path) as tmp:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(data.arrow(), tmp)
        elif fmt == "csv":
            data.frame().to_csv(tmp, index=False, encoding=CSV_ENCODING)
        else:
            from pipeline.exports.xlsx import write_xlsx

            write_xlsx(docs, data, tmp)
    return Summary(len(docs), len(data.rows), len(data.columns), sum(len(d.cells) for d in docs))


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it once written."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)  # as an ordinary new file, not mkstemp's owner-only mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
