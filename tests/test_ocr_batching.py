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


def test_unsure_narrow_readings_get_a_second_look_at_the_training_width() -> None:
    """Where the narrow and the training-width readings disagree, the training-width text
    is kept with the lower confidence; sure or wide readings are not read again."""
    from pipeline.read.ocr import RapidOcrEngine, Recognized

    narrow = {30: Recognized("5 2", 0.86), 31: Recognized("7", 0.99), 32: Recognized("8", 0.5)}
    wide = {30: Recognized("52", 0.999), 32: Recognized("8", 0.97)}
    asked: list[tuple[int, list[int]]] = []

    def read(crops: list[np.ndarray], min_width: int) -> list[Recognized]:
        asked.append((min_width, [c.shape[1] for c in crops]))
        table = narrow if min_width < batching.TRAINING_WIDTH else wide
        return [table.get(c.shape[1], Recognized("long line", 0.5)) for c in crops]

    eng = object.__new__(RapidOcrEngine)
    eng.min_width = 96
    eng._read = read  # type: ignore[method-assign]
    crops = [np.zeros((30, w), np.uint8) for w in (30, 31, 32, 30 * 12)]
    out = eng.recognize(crops)
    assert out[0] == Recognized("52", 0.86)  # disagree: training-width text, lower confidence
    assert out[1] == Recognized("7", 0.99)  # sure: not read again
    assert out[2] == Recognized("8", 0.5)  # agree: unchanged
    assert out[3] == Recognized("long line", 0.5)  # wider than 320 px: nothing to compare
    assert asked[1] == (batching.TRAINING_WIDTH, [30, 32])
