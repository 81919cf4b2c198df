"""The recogniser's batches: every crop once, sorted by shape, padded only to the batch's widest."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.read.ocr import batching


def _shapes(rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
    return [(int(rng.integers(16, 60)), int(rng.integers(8, 900))) for _ in range(n)]


@pytest.mark.parametrize("min_width", [48, 96, 320])
def test_plan_covers_each_crop_once_within_budget(min_width: int) -> None:
    rng = np.random.default_rng(3)
    shapes = _shapes(rng, 300)
    batches = batching.plan(shapes, min_width=min_width)
    seen = sorted(i for b in batches for i in b.indices)
    assert seen == list(range(len(shapes)))
    for b in batches:
        assert b.width >= min_width and b.width % batching.STEP == 0
        assert all(batching.scaled_width(shapes[i]) <= b.width for i in b.indices)
        assert len(b.indices) == 1 or len(b.indices) * b.width * batching.HEIGHT <= batching.BUDGET
    # sorted by shape: a batch's crops are no wider than the next batch's
    widest = [max(batching.scaled_width(shapes[i]) for i in b.indices) for b in batches]
    assert widest == sorted(widest)


def test_narrow_crops_are_not_padded_to_the_training_width() -> None:
    digits = [(30, 32)] * 40  # one-digit cells: 52 px wide once scaled to 48
    (b,) = batching.plan(digits, min_width=48, budget=48 * 64 * 40)
    assert b.width == 56
    wide = batching.plan(digits, min_width=320)
    assert {x.width for x in wide} == {320} and len(wide) > 1


def test_a_crop_wider_than_the_budget_goes_alone() -> None:
    shapes = [(30, 30), (30, 30 * 400)]
    batches = batching.plan(shapes, min_width=48, budget=48 * 1000)
    assert [b.indices for b in batches] == [(0,), (1,)]


def test_tensor_scales_normalises_and_pads() -> None:
    grey = np.full((24, 40), 255, dtype=np.uint8)
    grey[:, :10] = 0
    t = batching.tensor([grey, np.repeat(grey[:, :, None], 3, axis=2)], width=128)
    assert t.shape == (2, 3, 48, 128) and t.dtype == np.float32
    np.testing.assert_array_equal(t[0], t[1])  # grey crops read as their BGR copies
    assert t[0, :, :, 0].max() == -1.0 and t[0, :, :, 70].min() == 1.0  # ink, paper
    assert not t[0, :, :, 80:].any()  # padding past the scaled 80 px
