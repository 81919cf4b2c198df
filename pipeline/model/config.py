"""Settings of the shared stages, validated when built.

``Settings.resolve`` accepts None (defaults), a dict (e.g. from a config file) or an
instance, so callers never pass loose keyword arguments through the stages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
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

    def __post_init__(self) -> None:
        if self.second_opinion not in SECOND_OPINIONS:
            raise InvalidSettings(
                f"second_opinion must be one of {SECOND_OPINIONS}: {self.second_opinion!r}"
            )
        if not 0.0 < self.match_threshold < 1.0:
            raise InvalidSettings(f"match_threshold must be in (0, 1): {self.match_threshold}")
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
