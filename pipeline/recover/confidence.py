"""A cell's confidence as one composed quantity, in three steps, each a factor ≤ 1 or a
lift by independent evidence, so a reader sees why a cell stands (camelot's parsing
report, per cell):

1. **read** (:func:`read_confidence`): the recogniser's line score, capped by its digit
   margin where the backend gives one (a 3 read against an 8 is doubtful however clean
   the line looked);
2. **placed** (:func:`compose`): × the placement's factors (the row's match, the column,
   the template or layout decision, the row's ties);
3. **supported** (:func:`supported`): the identities' word. A value the report's own
   sums confirm from independent cells keeps only ``confirmed_doubt`` of its doubt; one
   no identity checks keeps its read-and-placed confidence; a value the identities give
   alone (inferred) is as sure as a read at ``unreadable_confidence`` they confirm.

Reconciliation reads the placed confidence to decide what stands: a firm cell (≥
``firm_confidence``) stands against the identities, a doubtful one stands where they
confirm it, a weak one (< ``unreadable_confidence``) is theirs to fill. The supported
confidence is what goes out, and a cell is ``ok`` only at or above ``ok_confidence``,
chosen where the devset says cells are right (``gongkai bench --calibrate``,
docs/confidence.md). So every piece of weak evidence under a value is a factor here,
never a constant in the stage that found it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pipeline.model.config import Settings
from pipeline.model.records import Decision


@dataclass(frozen=True)
class Placement:
    """How a cell got its key: the row match, the column, the template or layout."""

    similarity: float = 1.0  # of the row's label to the canonical row's
    header: bool = False  # the row matched is the table's header line
    guessed_column: bool = False  # the column was guessed by counting, cells lost in the row
    decision: Decision | None = None  # how the template or layout it hangs on was told
    # next to a row of a text extraction that shows no value at all: its values may have
    # run into this row, and a whole row moved keeps every sum true
    beside_empty: bool = False
    # an OCR'd row whose values the page's geometry does not tie to its label (a rule lost
    # or added: pipeline/recover/ties.py): its values may be a neighbour's
    untied: bool = False


class Support(Enum):
    """What the report's identities say of a cell's value, once reconciled."""

    CONFIRMED = "confirmed"  # identities that hold determine it from other cells
    UNCHECKED = "unchecked"  # no identity that holds speaks for it


def read_confidence(score: float, margin: float | None = None) -> float:
    """How well the cell was read: the recogniser's score, capped by its digit margin
    ((p1 − p2) / (p1 + p2) at its least sure digit: pipeline/read/ocr/base.py) where the
    backend gives one. Two digits at 3:1 cap the read at 0.5 (unreadable: the
    identities decide), at 9:1 at 0.8 (doubtful: it stands where they confirm it)."""
    return score if margin is None else min(score, max(margin, 0.0))


def compose(read: float, placed: Placement, cfg: Settings, margin: float | None = None) -> float:
    """The cell's placed confidence: the read's (:func:`read_confidence`) × the
    placement's factors (each ≤ 1).

    - a row matched on a header line, a column guessed by count, or a row not tied to its
      label: ``weak_factor`` (a consistent shift of every row satisfies the identities
      too, and a header's cells are no data), so the value is weak;
    - a row matched below ``firm_match``, a template/layout decided by
      ``Decision.FALLBACK``, or a row beside one that shows nothing: ``doubtful_factor``
      each, so a clean read is doubtful.

    Firm evidence leaves the read as it is.
    """
    conf = read_confidence(read, margin)
    if placed.header or placed.guessed_column or placed.untied:
        conf *= cfg.weak_factor
    if placed.similarity < cfg.firm_match:
        conf *= cfg.doubtful_factor
    if placed.decision == Decision.FALLBACK:
        conf *= cfg.doubtful_factor
    if placed.beside_empty:
        conf *= cfg.doubtful_factor
    return conf


def supported(conf: float, support: Support, cfg: Settings) -> float:
    """The confidence that goes out: the placed one, lifted where the identities confirm
    the value from other cells (a wrong value would need a second error that cancels it
    exactly), as it is where nothing checks it."""
    if support == Support.CONFIRMED:
        return 1.0 - (1.0 - conf) * cfg.confirmed_doubt
    return conf


def inferred(cfg: Settings) -> float:
    """A value the identities give where nothing legible was read: as sure as a read at
    the unreadable bound that they confirm (0.95 with the defaults)."""
    return supported(cfg.unreadable_confidence, Support.CONFIRMED, cfg)


def stands(conf: float, cfg: Settings) -> bool:
    """Whether a value the identities do not contradict may go out ``ok``."""
    return conf >= cfg.ok_confidence
