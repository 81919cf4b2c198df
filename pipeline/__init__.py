"""gongkai: clean matrices from the standard tables of 政府信息公开工作年度报告.

The public API (:mod:`pipeline.api`) is importable from here; it is loaded on first use,
so ``import pipeline`` (and the CLI's start) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Matrix", "extract", "load", "table"]

if TYPE_CHECKING:
    from pipeline.api import Matrix, extract, load, table


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline import api

        return getattr(api, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
