"""Settings of the shared stages, validated when built.

``Settings.resolve`` accepts None (defaults), a dict (e.g. from a config file) or an
instance, so callers never pass loose keyword arguments through the stages.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from importlib.metadata import PackageNotFoundError, version
from typing import Any


class InvalidSettings(ValueError):
    """A setting is out of range or unknown."""


SECOND_OPINIONS = (None, "camelot")


@dataclass(frozen=True)
class Settings:
    # a read row matches a canonical row only at or above this label similarity (0–1)
    match_threshold: float = 0.62
    # reads at or above this confidence are never overridden by the identities
    firm_confidence: float = 0.9
    # reads below this confidence count as unreadable: the identities may fill them
    unreadable_confidence: float = 0.5
    # a second reader of born-digital tables whose disagreements go to review: None or
    # "camelot" (needs the extra: pip install gongkai[camelot])
    second_opinion: str | None = None
    # a row matched at or above this similarity is firm evidence; between match_threshold
    # and it the match may be the wrong row, so its cells are doubtful (docs/contract.md)
    firm_match: float = 0.8
    # the factor on a cell's confidence where the evidence under it is not firm (a weakly
    # matched row, a template or layout decided by fallback): a clean read becomes doubtful,
    # so it stands only where the identities confirm it
    doubtful_factor: float = 0.8
    # the factor where the evidence is worth nothing on its own (a row matched on a header
    # line, a column guessed by count): a clean read becomes weak, for the identities to fill
    weak_factor: float = 0.45
    # a file with more pages than this fails from its page count, before any page is decoded:
    # an archive's odd 10 000-frame TIFF must not hold a worker for hours
    max_pages: int = 500
    # OCR'd rows tied to their labels by geometry (pipeline/recover/ties.py): a value cell
    # reaching over this share of another row's band is in two rows; a band shorter than
    # short_row times the table's one-line rows' is a row cut in two by a stroke
    tie_overlap: float = 0.3
    short_row: float = 0.55
    # the share of a value's doubt left once identities that hold confirm it from other
    # cells (pipeline/recover/confidence.py supported): a wrong value would need a second
    # error that cancels it exactly
    confirmed_doubt: float = 0.1
    # a cell goes out ok only at or above this final confidence, else to review: chosen on
    # the devset as the lowest confidence above which ≥ 99.9 % of cells are right
    # (gongkai bench --calibrate; docs/confidence.md)
    ok_confidence: float = 0.9

    def __post_init__(self) -> None:
        if isinstance(self.max_pages, bool) or not isinstance(self.max_pages, int):
            raise InvalidSettings(f"max_pages must be an integer: {self.max_pages!r}")
        if self.max_pages < 1:
            raise InvalidSettings(f"max_pages must be at least 1: {self.max_pages}")
        if self.second_opinion not in SECOND_OPINIONS:
            raise InvalidSettings(
                f"second_opinion must be one of {SECOND_OPINIONS}: {self.second_opinion!r}"
            )
        if not 0.0 < self.match_threshold < 1.0:
            raise InvalidSettings(f"match_threshold must be in (0, 1): {self.match_threshold}")
        if not self.match_threshold <= self.firm_match <= 1.0:
            raise InvalidSettings(f"need match_threshold <= firm_match <= 1, got {self.firm_match}")
        if not 0.0 < self.weak_factor < self.unreadable_confidence:
            raise InvalidSettings(
                f"weak_factor must be in (0, unreadable_confidence): {self.weak_factor}"
            )
        if not self.unreadable_confidence <= self.doubtful_factor < self.firm_confidence:
            raise InvalidSettings(
                "doubtful_factor must be in [unreadable_confidence, firm_confidence): "
                f"{self.doubtful_factor}"
            )
        if not 0.0 < self.tie_overlap < 1.0:
            raise InvalidSettings(f"tie_overlap must be in (0, 1): {self.tie_overlap}")
        if not 0.0 < self.short_row < 1.0:
            raise InvalidSettings(f"short_row must be in (0, 1): {self.short_row}")
        if not 0.0 < self.confirmed_doubt < 1.0:
            raise InvalidSettings(f"confirmed_doubt must be in (0, 1): {self.confirmed_doubt}")
        if not 0.0 < self.ok_confidence <= 1.0:
            raise InvalidSettings(f"ok_confidence must be in (0, 1]: {self.ok_confidence}")
        if not 0.0 < self.unreadable_confidence < self.firm_confidence <= 1.0:
            raise InvalidSettings(
                "need 0 < unreadable_confidence < firm_confidence <= 1, got "
                f"{self.unreadable_confidence} and {self.firm_confidence}"
            )

    @classmethod
    def resolve(cls, value: Settings | Mapping[str, Any] | None) -> Settings:
        if value is None:
            return cls()
        if isinstance(value, Settings):
            return value
        known = {f.name for f in fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise InvalidSettings(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**dict(value))


def pipeline_version(settings: Settings) -> str:
    """``<package version>+<8 hex digits of the settings>``: what a stored result was made by.

    A batch skips a file already processed by the same version (``gongkai extract`` resume);
    any change of code release or of a setting makes the results stale, so they are redone.
    """
    try:
        pkg = version("gongkai")
    except PackageNotFoundError:  # run from a source tree that is not installed
        pkg = "0+unknown"
    blob = json.dumps(asdict(settings), sort_keys=True, default=str)
    return f"{pkg}+{hashlib.sha256(blob.encode()).hexdigest()[:8]}"
