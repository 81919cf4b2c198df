"""Cell text → number, and the confidence each repair costs."""

from __future__ import annotations

import pytest

from pipeline.model.numbers import is_blank, looks_numeric, parse_number


@pytest.mark.parametrize(
    ("text", "signed", "value"),
    [
        ("0", False, 0),
        ("00", False, 0),
        ("O", False, 0),
        ("o", False, 0),
        ("l", False, 1),
        ("I2", False, 12),
        ("增 115", True, 115),
        ("减3", True, -3),
        ("-3", True, -3),
        ("11000元", False, 11000),
        ("357595 元", False, 357595),
        ("7730.28", False, 7730.28),
        ("1,234", False, 1234),
        ("１２", False, 12),
        (" 1 ", False, 1),
    ],
)
def test_parse(text: str, signed: bool, value: float) -> None:
    n = parse_number(text, signed=signed)
    assert n.value == value
    assert not n.blank


def test_repairs_cost_confidence() -> None:
    assert parse_number("7").confidence == 1.0
    assert parse_number("00").confidence < 1.0
    assert parse_number("O").confidence < parse_number("00").confidence
    assert parse_number("7", reader_confidence=0.6).confidence == 0.6


def test_blank_and_garbage() -> None:
    assert parse_number("").blank and parse_number("").value is None
    assert parse_number("/").blank
    bad = parse_number("3.其他")
    assert bad.value is None and not bad.blank and bad.confidence == 0.0
    assert is_blank("  ") and not is_blank("0")
    assert looks_numeric("增 3") and not looks_numeric("规章")


def test_negative_count_is_doubtful() -> None:
    n = parse_number("-3", signed=False)
    assert n.value == -3 and n.confidence < 0.9


def test_a_count_with_a_fraction_is_no_reading() -> None:
    """ "198" seen as "1.98" in a count column: unreadable, never the count 1.98 (nor 198)."""
    n = parse_number("1.98", 0.95, count=True)
    assert n.value is None and n.confidence == 0.0
    assert parse_number("1.98", 0.95).value == 1.98  # an amount keeps its decimals
    assert parse_number("12.0", 0.95, count=True).value == 12


def test_a_run_of_digits_longer_than_any_value_is_no_reading() -> None:
    """A grid cell read across several numbers (a photo's tilted cell: 27 digits): the
    store could not hold it, and no filing prints it."""
    n = parse_number("331201010101015313312010100", 0.99, count=True)
    assert n.value is None and n.confidence == 0.0
    assert parse_number("123456789012345", 0.99).value == 123456789012345
