"""Cell text → number, with a confidence that says how much repair the text needed.

Filings and their text layers garble numbers in a few known ways ("00" for 0, O/o for 0,
l/I for 1, units and 增/减 signs glued on); every repair lowers the confidence so that
reconciliation can tell a clean read from a guessed one.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.model.records import Number

# confidences of the repairs; a clean digit string keeps the reader's own confidence
_CONF_LEADING_ZEROS = 0.9
_CONF_LOOKALIKE = 0.75
_CONF_UNIT = 0.98

_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1"})
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_UNIT = re.compile(r"(万元|元|件|条|个|项|次)$")
_SIGN_WORD = re.compile(r"^(增加|增|减少|减|\+|-|−|－)")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
# more integer digits than a double holds exactly (and than the store's amounts hold): not
# a value any filing prints, but a grid's cell read across several numbers or rules
_MAX_DIGITS = 15


def _normalise(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


_BLANKS = frozenset({"", "/", "-", "--", "—", "——", "－", "无"})


def is_blank(text: str) -> bool:
    """Empty, or a dash/slash that filings print for "none"."""
    return _normalise(text) in _BLANKS


def parse_number(
    text: str, reader_confidence: float = 1.0, signed: bool = False, count: bool = False
) -> Number:
    """Parse one cell; ``value is None`` with ``blank`` when the cell is empty. In a ``count``
    column a fraction is no reading at all ("198" seen as "1.98"): unreadable, for the
    identities to fill or a person to read."""
    s = _normalise(text)
    if s in _BLANKS:
        return Number(None, reader_confidence, blank=True)
    conf = reader_confidence
    notes: list[str] = []
    sign = 1
    m = _SIGN_WORD.match(s)
    if m:
        word = m.group(1)
        if word in ("减", "减少", "-", "−", "－"):
            sign = -1
        s = s[m.end() :]
        if not signed and sign < 0:
            notes.append("negative count")
            conf = min(conf, _CONF_LOOKALIKE)
    u = _UNIT.search(s)
    if u:
        s = s[: u.start()]
        conf = min(conf, reader_confidence * _CONF_UNIT)
        notes.append(f"unit {u.group(1)}")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _NUMBER.match(s):
        repaired = s.translate(_LOOKALIKES)
        if repaired != s and _NUMBER.match(repaired) and any(ch.isdigit() for ch in s + "0"):
            notes.append(f"read {s!r} as {repaired!r}")
            s = repaired
            conf = min(conf, reader_confidence * _CONF_LOOKALIKE)
        else:
            return Number(None, 0.0, note=f"not a number: {text!r}")
    if len(s.split(".")[0]) > _MAX_DIGITS:
        return Number(None, 0.0, note=f"too many digits for a value: {text!r}")
    if "." in s:
        value: float | int = sign * float(s)
        if float(value).is_integer() and s.endswith(".0"):
            value = int(value)
        elif count:
            return Number(None, 0.0, note=f"a count with a fraction: {text!r}")
    else:
        if len(s) > 1 and s.startswith("0"):
            notes.append(f"leading zeros {s!r}")
            conf = min(conf, reader_confidence * _CONF_LEADING_ZEROS)
        value = sign * int(s)
    return Number(value, conf, note="; ".join(notes) or None)


def looks_numeric(text: str) -> bool:
    """True for a cell that holds a value (or is blank), not a label."""
    if is_blank(text):
        return True
    return parse_number(text, signed=True).value is not None
