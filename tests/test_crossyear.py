"""The cross-year identity's pure parts: which names link one organ's years, which columns
disagree."""

from __future__ import annotations

import pytest

from pipeline.model.crossyear import compare, organ_key
from pipeline.model.taxonomy import APP_COL_KEYS


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("乐清市人民政府办公室", "乐清市人民政府办公室"),
        ("乐清市 人民政府办公室", "乐清市人民政府办公室（乐清市政务公开办）"),
        ("２０２１年度乐清市人民政府办公室", "2022年乐清市人民政府办公室政府信息公开工作年度报告"),
    ],
)
def test_the_same_organ_however_written(a: str, b: str) -> None:
    assert organ_key(a) is not None
    assert organ_key(a) == organ_key(b)


@pytest.mark.parametrize("name", [None, "", "商务局", "县医疗保障局", "市交通局", "芙蓉镇"])
def test_names_that_cannot_tell_whose_body_link_nothing(name: str | None) -> None:
    assert organ_key(name) is None


def test_different_organs_stay_apart() -> None:
    assert organ_key("乐清市人民政府办公室") != organ_key("瑞安市人民政府办公室")


def test_compare_by_column_and_unknowns_are_neither() -> None:
    earlier = dict.fromkeys(APP_COL_KEYS, 1)
    later = dict.fromkeys(APP_COL_KEYS, 1)
    later[APP_COL_KEYS[0]] = 2
    earlier[APP_COL_KEYS[1]] = None
    agree, differ = compare(earlier, later)
    assert [m.col for m in differ] == [APP_COL_KEYS[0]]
    assert (differ[0].carried_forward, differ[0].carried_over) == (1, 2)
    assert set(agree) == set(APP_COL_KEYS) - {APP_COL_KEYS[0], APP_COL_KEYS[1]}
