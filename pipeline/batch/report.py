"""What a batch shows while it runs and at its end: a progress bar on a terminal, a log line
per file otherwise; then a summary (a table on a terminal, plain lines otherwise)."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

log = logging.getLogger("gongkai")


@dataclass
class Counts:
    ok: int = 0
    partial: int = 0
    failed: int = 0
    skipped: int = 0
    cells: int = 0
    review: int = 0
    pages: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def wall(self) -> float:
        return time.monotonic() - self.started

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("ok", str(self.ok)),
            ("partial", str(self.partial)),
            ("failed", str(self.failed)),
            ("skipped", str(self.skipped)),
            ("cells", str(self.cells)),
            ("cells to review", str(self.review)),
            ("pages", str(self.pages)),
            ("wall time", f"{self.wall:.1f} s"),
        ]


class _ConsoleHandler(logging.Handler):
    """Log lines printed above the progress bar instead of through it."""

    def __init__(self, console: Any) -> None:
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(self.format(record), markup=False, highlight=False)


class Progress:
    """A rich progress bar when stderr is a terminal; nothing otherwise (the log lines are)."""

    def __init__(self, total: int, counts: Counts, tty: bool | None = None) -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.counts, self.total = counts, total
        self._bar: Any = None
        self._handler: logging.Handler | None = None
        self._saved: list[logging.Handler] = []

    def __enter__(self) -> Progress:
        if not self.tty or not self.total:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        console = Console(stderr=True)
        self._bar = Bar(
            TextColumn("files"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rates]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = self._bar.add_task("files", total=self.total, rates="")
        self._bar.start()
        root = logging.getLogger()
        self._saved = list(root.handlers)
        self._handler = _ConsoleHandler(console)
        root.handlers = [self._handler]
        return self

    def advance(self) -> None:
        if self._bar is None:
            return
        wall = max(self.counts.wall, 1e-6)
        done = self.counts.ok + self.counts.partial + self.counts.failed
        rates = f"{done / wall:.2f} files/s  {self.counts.pages / wall:.2f} pages/s"
        self._bar.update(self._task, advance=1, rates=rates)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            logging.getLogger().handlers = self._saved


def show_summary(counts: Counts, tty: bool | None = None) -> None:
    """The summary on stderr: a rich table on a terminal, ``name: value`` lines otherwise."""
    if sys.stderr.isatty() if tty is None else tty:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="gongkai extract")
        table.add_column("")
        table.add_column("", justify="right")
        for name, value in counts.rows():
            table.add_row(name, value)
        Console(stderr=True).print(table)
        return
    for name, value in counts.rows():
        print(f"{name}: {value}", file=sys.stderr)
