"""A cell's confidence as one composed quantity: how well it was read × how firmly it was
placed (its row's match, its column) × how firmly the table's form was decided.

Reconciliation reads only the result: a firm cell (≥ ``firm_confidence``) stands against
the identities, a doubtful one stands where they confirm it, a weak one (<
``unreadable_confidence``) is theirs to fill. So every piece of weak evidence under a
value is a factor here, never a constant in the stage that found it.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def compose(read: float, placed: Placement, cfg: Settings) -> float:
    """The cell's confidence: the reader's × the placement's factors (each ≤ 1).

    - a row matched on a header line, a column guessed by count, or a row not tied to its
      label: ``weak_factor`` (a consistent shift of every row satisfies the identities
      too, and a header's cells are no data), so the value is weak;
    - a row matched below ``firm_match``, a template/layout decided by
      ``Decision.FALLBACK``, or a row beside one that shows nothing: ``doubtful_factor``
      each, so a clean read is doubtful.

    Firm evidence leaves the read as it is.
    """
    conf = read
    if placed.header or placed.guessed_column or placed.untied:
        conf *= cfg.weak_factor
    if placed.similarity < cfg.firm_match:
        conf *= cfg.doubtful_factor
    if placed.decision == Decision.FALLBACK:
        conf *= cfg.doubtful_factor
    if placed.beside_empty:
        conf *= cfg.doubtful_factor
    return conf
