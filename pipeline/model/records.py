"""Values passed between stages.

One bbox convention for the whole package: ``(x0, y0, x1, y1)`` in PDF points on the
page, origin at the top left (PyMuPDF's convention); pages are numbered from 1.

The hourglass waist is :class:`Reading`: every reader (text extraction, PDF text
layer, OCR) ends in rows of cell texts with a confidence and an origin; everything
after it (identify, match, reconcile, store) is shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

BBox = tuple[float, float, float, float]


class ReaderKind(StrEnum):
    """Which reader saw the file."""

    TEXT = "text"  # a text extraction (.txt) or a converter's markdown (.md)
    PDF = "pdf"  # the text layer and vector rules of a born-digital PDF
    OCR = "ocr"  # page images recognised by an OCR engine


class Template(StrEnum):
    """The official template of the report (docs/contract.md): told by table 二's headers."""

    T2019 = "2019"  # reports on 2019 and 2020
    T2021 = "2021"  # reports on 2021 on


class Layout(StrEnum):
    """How table 三 prints （六）其他处理: one row (2019) or three rows (2021)."""

    ONE_ROW = "2019"
    THREE_ROWS = "2021"


class DocStatus(StrEnum):
    OK = "ok"  # every table found, no cell to review
    PARTIAL = "partial"  # cells to review, or a part not found (see warnings)
    FAILED = "failed"  # nothing extracted: see error


class Stage(StrEnum):
    """The stages a file passes through, in order (run.py); an error names one."""

    READ = "read"
    IDENTIFY = "identify"
    MATCH = "match"
    RECONCILE = "reconcile"
    STORE = "store"


@dataclass(frozen=True)
class Origin:
    """Where a text came from: a page region for PDFs, a line for text extractions."""

    page: int | None = None
    bbox: BBox | None = None
    line: int | None = None
    # the box in the reader's upright frame (a scanned page turned upright, deskewed): where
    # rows run left to right and top to bottom, as the geometry checks assume. None: the
    # page's own frame is upright (a text layer), ``bbox`` serves.
    frame: BBox | None = None

    @property
    def upright(self) -> BBox | None:
        """The box for geometry (columns, row ties): the upright frame's, else the page's."""
        return self.frame if self.frame is not None else self.bbox


@dataclass(frozen=True)
class CellText:
    """One cell as a reader saw it; ``text == ""`` is a blank cell."""

    text: str
    confidence: float = 1.0
    origin: Origin = Origin()
    # the recogniser's character margin at its least sure character (OCR backends that
    # expose it: pipeline/read/ocr/base.py Recognized), None elsewhere
    margin: float | None = None


@dataclass(frozen=True)
class Row:
    """One table row (or one line of prose) as read, cells left to right.

    Label cells and value cells are not told apart here: that is shared work.
    ``aligned``: an OCR'd row built from its words' alignment (a scanned borderless
    table), every word read well: a value column with no cell had no ink, a printed
    blank, and no rule was there to lose (a scan's other rows tell neither).
    """

    cells: tuple[CellText, ...]
    origin: Origin = Origin()
    aligned: bool = False

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.cells)


@dataclass(frozen=True)
class Reading:
    """What one reader saw in one file: the waist of the hourglass."""

    kind: ReaderKind
    rows: tuple[Row, ...]
    pages: int | None = None
    notes: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()  # seconds of the reader's own stages


class Status(StrEnum):
    OK = "ok"
    INFERRED = "inferred"
    REVIEW = "review"
    CORRECTED = "corrected"


class Reason(StrEnum):
    SOURCE_INCONSISTENT = "source_inconsistent"
    IDENTITY_CONTRADICTS_READ = "identity_contradicts_read"
    LOW_CONFIDENCE = "low_confidence"
    UNREADABLE = "unreadable"
    NOT_FOUND = "not_found"
    UNDETERMINED = "undetermined"
    UNCONFIRMED = "unconfirmed"
    SECOND_OPINION_DISAGREES = "second_opinion_disagrees"  # camelot reads the cell otherwise
    EARLIER_CORRECTION = "earlier_correction"  # a new version of the file reads it otherwise
    # the organ's previous (or next) year's filing carried another number across the year
    CROSS_YEAR_MISMATCH = "cross_year_mismatch"
    # the row's values are not tied to its label by the page's geometry (a rule lost or
    # added, two rows in one band): a whole row moved keeps every sum true
    ROW_UNCERTAIN = "row_uncertain"


@dataclass(frozen=True)
class Number:
    """A cell text parsed as a number; ``value is None`` when it could not be parsed."""

    value: float | int | None
    confidence: float
    blank: bool = False
    note: str | None = None


@dataclass(frozen=True)
class CellKey:
    table: str
    row: str
    col: str


class Evidence(StrEnum):
    """What the reader saw where a canonical cell should be.

    It decides what reconciliation may do: only a cell that was lost, unreadable or may
    have been lost can be filled from the identities; a printed blank is a printed 0.
    """

    READ = "read"  # a number (its confidence says how well it was read)
    PRINTED_BLANK = "printed_blank"  # an empty ruled cell or aligned column: the page prints 0
    MAYBE_BLANK = "maybe_blank"  # empty where a lost cell looks the same (a text extraction)
    LOST = "lost"  # nothing read where the cell should be
    UNREADABLE = "unreadable"  # text that is not a number
    # read, but in a row whose values the geometry does not tie to its label: the value
    # may be a neighbouring row's (pipeline/recover/ties.py); never stands as read
    UNTIED = "untied"


@dataclass(frozen=True)
class Observed:
    """A canonical cell as read: the parsed number plus its source (before reconciliation).

    ``seen`` is set by the matcher where the reader kind says more than the number does;
    left out, :attr:`evidence` follows the number (a blank is printed, no value is lost or
    unreadable).
    """

    key: CellKey
    number: Number
    origin: Origin = Origin()
    text: str | None = None
    seen: Evidence | None = None

    @property
    def evidence(self) -> Evidence:
        if self.seen is not None:
            return self.seen
        n = self.number
        if n.blank:
            return Evidence.PRINTED_BLANK
        if n.value is not None:
            return Evidence.READ
        return Evidence.UNREADABLE if self.text else Evidence.LOST


@dataclass(frozen=True)
class Cell:
    """A canonical cell after reconciliation: what goes out."""

    key: CellKey
    value: float | int | None
    status: Status
    confidence: float
    origin: Origin = Origin()
    reason: Reason | None = None
    suggestion: float | int | None = None


@dataclass(frozen=True)
class Check:
    identity: str
    holds: bool
    cells: tuple[CellKey, ...] = ()
    detail: str | None = None


class Decision(StrEnum):
    """What told the template or the layout: how far the cells that hang on it are trusted.

    Only ``FALLBACK`` is weak (nothing in the filing told it): the cells it decides are
    doubtful (pipeline/recover/confidence.py) and the document carries a warning.
    """

    HEADERS = "headers"  # table 二's column headers (the template)
    ROWS = "rows"  # the rows of table 三's （六）其他处理 (the layout; the template: 2021 only)
    YEAR = "year"  # the year reported on (the template: the 2021 template from 2021 on)
    FALLBACK = "fallback"  # nothing told it: the default
    REVIEWER = "reviewer"  # a person confirmed or chose it (``gongkai review``): firm


@dataclass(frozen=True)
class Identification:
    template: Template
    applications_layout: Layout
    organ: str | None
    year: int | None
    template_by: Decision = Decision.HEADERS
    layout_by: Decision = Decision.ROWS


@dataclass(frozen=True)
class ErrorItem:
    stage: Stage
    message: str


@dataclass(frozen=True)
class DocResult:
    """The outcome for one input file: cells and checks, or the error that stopped it."""

    source: str
    sha256: str
    status: DocStatus
    identification: Identification | None = None
    cells: tuple[Cell, ...] = ()
    checks: tuple[Check, ...] = ()
    error: ErrorItem | None = None
    warnings: tuple[str, ...] = ()
    reader: ReaderKind | None = None
    pages: int | None = None
    timings: tuple[tuple[str, float], ...] = ()  # seconds per stage, for the benchmark
    # what reconciliation worked from: the store keeps it so a correction can re-reconcile
    observed: tuple[Observed, ...] = ()
