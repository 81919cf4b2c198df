"""The one identity that spans two filings: what an organ carried into year N is what it
carried forward out of year N-1 (``applications.carried_over`` of N equals
``applications.carried_forward`` of N-1, applicant column by applicant column).

Only the pure parts live here — which organ names are the same organ, and which columns
disagree — so that the store (which finds the neighbouring years) and the tests share them.
A name too generic to tell one organ from another (``商务局`` with no place before it) links
nothing: a false link would only send right cells to review, but it would do so every year.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.model.taxonomy import APP_COL_KEYS, APPLICATIONS

CARRIED_OVER = "carried_over"
CARRIED_FORWARD = "carried_forward"
IDENTITY_PREFIX = "cross_year"

# parenthesised asides, and the report's own title words that some extractions keep
_ASIDE = re.compile(r"[（(][^）)]*[）)]")
_TITLE = re.compile(r"(\d{4}年度?)|(政府信息公开工作年度报告.*$)|(关于)")
_NOISE = re.compile(r"[\s·•,，.。:：;；、\"'“”‘’《》〈〉\-—_/]")
# a named place (a level with a name before it) and a body after it: whose body it is
_PLACE = re.compile(r"(?<=.)(省|市|县|区|旗|盟|州|镇|乡|街道|村)(?=.)")


def organ_key(name: str | None) -> str | None:
    """A normalised organ name to link the years of one organ, or None when the name cannot
    tell this organ from another of the same kind elsewhere."""
    if not name:
        return None
    text = unicodedata.normalize("NFKC", name)
    text = _ASIDE.sub("", text)
    text = _TITLE.sub("", text)
    text = _NOISE.sub("", text)
    if len(text) < 4 or not _PLACE.search(text):
        return None
    return text


@dataclass(frozen=True)
class Mismatch:
    col: str
    carried_forward: int | float | None  # in the earlier year's filing
    carried_over: int | float | None  # in the later year's filing


def identity_name(col: str) -> str:
    return f"{IDENTITY_PREFIX}.{APPLICATIONS}.{col}"


def compare(
    earlier: Mapping[str, int | float | None], later: Mapping[str, int | float | None]
) -> tuple[list[str], list[Mismatch]]:
    """The columns that agree and those that do not, between the earlier filing's
    carried-forward row and the later one's carried-over row (both by column key). A column
    either side has no value for is neither: nothing is known about it."""
    agree: list[str] = []
    differ: list[Mismatch] = []
    for col in APP_COL_KEYS:
        a, b = earlier.get(col), later.get(col)
        if a is None or b is None:
            continue
        if float(a) == float(b):
            agree.append(col)
        else:
            differ.append(Mismatch(col, a, b))
    return agree, differ
