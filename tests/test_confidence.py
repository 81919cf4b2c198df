"""Confidence that means something: the recogniser's digit margin, the identities' support,
the ok threshold, and the calibration that joins cells with the truth and bins them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.hardcopy.calibrate import Point, json_points, main, points, table, threshold
from pipeline.hardcopy.score import flat_cells
from pipeline.model.config import InvalidSettings, Settings
from pipeline.model.records import CellKey, Identification, Number, Observed, Reason
from pipeline.model.taxonomy import ACTIVE, APPLICATIONS, Identity, canonical_keys
from pipeline.read.ocr import Recognized, RecordingEngine, ReplayEngine, crop_key
from pipeline.read.ocr.rapid import digit_margins
from pipeline.recover.confidence import Support, inferred, read_confidence, supported
from pipeline.recover.reconcile import _checked, _Kind, reconcile

IDENT = Identification("2021", "2021", None, None)


# --- the recogniser's digit margin ------------------------------------------------------


def _softmax_steps(rows: list[dict[int, float]], classes: int = 14) -> np.ndarray:
    """One line's CTC output: per step a distribution (class 0 the blank)."""
    out = np.zeros((len(rows), classes), dtype=np.float32)
    for t, dist in enumerate(rows):
        rest = 1.0 - sum(dist.values())
        out[t, 0] = rest
        for c, p in dist.items():
            out[t, c] = p
    return out


def test_digit_margin_sees_a_close_second_digit_only() -> None:
    # classes 1..10 are the digits 0..9, 11..13 letters (an "O" among them)
    digits = np.arange(1, 11)
    clean = _softmax_steps([{}, {4: 0.98}, {}, {2: 0.97}])  # "31" read cleanly
    close = _softmax_steps([{}, {4: 0.55, 9: 0.40}, {}, {2: 0.97}])  # a 3 against an 8
    o_not_0 = _softmax_steps([{}, {1: 0.5, 11: 0.45}, {}, {}])  # a 0 against an O: same number
    letters = _softmax_steps([{11: 0.9}, {}, {12: 0.9}, {}])  # no digit at all
    preds = np.stack([clean, close, o_not_0, letters])
    got = digit_margins(preds, preds.argmax(axis=2), digits)
    assert got[0] is not None and got[0] > 0.99
    assert got[1] is not None and got[1] == pytest.approx(0.15 / 0.95, abs=1e-4)
    assert got[2] is not None and got[2] > 0.99
    assert got[3] is None


def test_repeated_step_is_one_character() -> None:
    # CTC: "3" held over two steps, the second unsure, is still one 3 (its first step counts)
    digits = np.arange(1, 11)
    line = _softmax_steps([{4: 0.99}, {4: 0.5, 9: 0.45}, {}])
    got = digit_margins(line[None], line[None].argmax(axis=2), digits)
    assert got[0] is not None and got[0] > 0.95


def test_read_confidence_capped_by_margin() -> None:
    assert read_confidence(0.97, None) == 0.97
    assert read_confidence(0.97, 0.5) == 0.5
    assert read_confidence(0.6, 0.99) == 0.6


def test_replay_keeps_margin_and_old_recordings(tmp_path: Path) -> None:
    crops = [np.full((8, 20), v, dtype=np.uint8) for v in (10, 200)]
    inner = ReplayEngine(by_order=[Recognized("38", 0.95, 0.2), ("7", 0.9)])
    rec = RecordingEngine(inner)
    rec.recognize(crops)
    rec.save(tmp_path / "rec.json")
    again = ReplayEngine(tmp_path / "rec.json").recognize(crops)
    assert again == [Recognized("38", 0.95, 0.2), Recognized("7", 0.9, None)]
    old = {"recognize": {crop_key(crops[0]): ["5", 0.8]}, "detect": {}}
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert ReplayEngine(tmp_path / "old.json").recognize(crops[:1]) == [Recognized("5", 0.8)]


# --- identity support and the ok threshold ----------------------------------------------


def _all_zero(conf: float) -> dict[CellKey, Observed]:
    return {k: Observed(k, Number(0, conf)) for k in canonical_keys("2021", "2021")}


def test_supported_composition() -> None:
    cfg = Settings()
    assert supported(0.92, Support.UNCHECKED, cfg) == 0.92
    assert supported(0.92, Support.CONFIRMED, cfg) == pytest.approx(1 - 0.08 * cfg.confirmed_doubt)
    assert inferred(cfg) == pytest.approx(0.95)


def test_confirmed_cells_lifted_unchecked_not() -> None:
    # every read at 0.92: a cell in a holding identity of reads is confirmed; table 二's
    # cells are in no identity, so they keep their read's confidence
    cells = {c.key: c for c in reconcile(IDENT, _all_zero(0.92))[0]}
    app = cells[CellKey(APPLICATIONS, "new_requests", "total")]
    active = next(c for k, c in cells.items() if k.table == ACTIVE)
    assert app.status == "ok" and app.confidence > 0.99
    assert active.status == "ok" and active.confidence == 0.92


def test_a_cell_under_ok_confidence_is_never_ok() -> None:
    cfg = Settings(ok_confidence=0.95)
    cells = reconcile(IDENT, _all_zero(0.92), settings=cfg)[0]
    for c in cells:
        assert c.status != "ok" or c.confidence >= cfg.ok_confidence
    active = [c for c in cells if c.key.table == ACTIVE]
    assert active and all(c.status == "review" for c in active)
    assert all(c.reason == Reason.LOW_CONFIDENCE for c in active)
    # the confirmed ones stand
    app = [c for c in cells if c.key.table == APPLICATIONS]
    assert app and all(c.status == "ok" for c in app)


def test_an_inferred_value_is_not_read_confirmation() -> None:
    # total = a + b, all holding: with a and b read, the sum confirms all three; with b
    # filled by the sum from the total, it confirms nothing (a filled value agrees by
    # construction)
    a, b, t = (
        CellKey(APPLICATIONS, "new_requests", c) for c in ("natural_person", "other", "total")
    )
    rule = Identity("row", (a, b), (t,))
    obs = {key: Observed(key, Number(v, 0.92)) for key, v in ((a, 2), (b, 3), (t, 5))}
    values = {a: 2, b: 3, t: 5}
    kinds = {key: _Kind.FIRM for key in (a, b, t)}
    assert _checked([rule], kinds, obs, values) == {a, b, t}
    obs[b] = Observed(b, Number(None, 0.0, note="garbled"))
    assert _checked([rule], {**kinds, b: _Kind.OPEN}, obs, values) == set()


@pytest.mark.parametrize(
    "bad", [{"ok_confidence": 0.0}, {"ok_confidence": 1.2}, {"confirmed_doubt": 1.0}]
)
def test_settings_validated(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidSettings):
        Settings(**bad)


# --- calibration: the join with the truth, the bins, the threshold ----------------------


def _truth() -> dict:
    """A 2021 filing whose truth is all zeros but 5 new requests from natural persons."""
    return {
        "template": "2021",
        "applications_layout": "2021",
        "applications": {"new_requests": [5, 0, 0, 0, 0, 0, 5]},
        "active_disclosure": {},
        "review_litigation": [0] * 15,
    }


def test_join_grades_each_truth_cell() -> None:
    np_key = ("applications", "new_requests", "natural_person")
    total_key = ("applications", "new_requests", "total")
    cells = [
        (np_key, 5, "ok", 0.99),  # right
        (total_key, 6, "review", 0.4),  # wrong, flagged
        (("applications", "granted", "total"), 1, "ok", 0.93),  # wrong, silent
    ]
    pts = points(cells, _truth())
    assert len(pts) == 200  # every cell of the truth, the missing ones too
    assert Point(0.99, "ok", True) in pts
    assert Point(0.4, "review", False) in pts
    assert Point(0.93, "ok", False) in pts
    assert sum(p.status == "missing" for p in pts) == 197


def test_json_points_from_written_result(tmp_path: Path) -> None:
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "dev_900.json").write_text(json.dumps(_truth()))
    cells = [
        {"table": "applications", "row": "new_requests", "col": "natural_person", "value": 5,
         "status": "ok", "confidence": 0.97}
    ]  # fmt: skip
    f = tmp_path / "dev_900.scan.json"
    f.write_text(json.dumps({"cells": cells}))
    pts = json_points(f, tmp_path / "truth")
    assert Point(0.97, "ok", True) in pts and len(pts) == 200


def test_bins_and_threshold() -> None:
    pts = (
        [Point(0.3, "review", False)] * 3
        + [Point(0.3, "review", True)]
        + [Point(0.92, "ok", False)]
        + [Point(0.92, "ok", True)] * 99
        + [Point(0.97, "inferred", True)] * 10
        + [Point(1.0, "ok", True)] * 1000
    )
    bins = {(b.lo, b.hi): b for b in table(pts)}
    low = bins[(0.0, 0.5)]
    assert (low.cells, low.right, low.review, low.silent) == (4, 1, 4, 0)
    mid = bins[(0.9, 0.95)]
    assert (mid.cells, mid.right, mid.ok, mid.silent) == (100, 99, 100, 1)
    assert bins[(0.95, 0.98)].inferred == 10
    assert bins[(0.999, 1.0)].cells == 1000  # the last bin holds 1.0
    assert sum(b.cells for b in bins.values()) == len(pts)
    # bin by bin: [0.9, 0.95) is 99 % right, the bins above 100 %, the first 25 %; over
    # everything from 0.9 up it would pass 99.9 % (1 wrong in 1110), but it does not here
    assert threshold(pts, 0.999) == 0.95
    assert threshold(pts, 0.99) == 0.9  # the empty bins below do not lower it
    assert threshold(pts, 0.2) == 0.0
    assert threshold([Point(0.5, "ok", False)], 0.999) is None


def test_calibrate_report_over_written_results(tmp_path: Path) -> None:
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "dev_900.json").write_text(json.dumps(_truth()))
    out = tmp_path / "out"
    out.mkdir()
    cells = [
        {"table": t, "row": r, "col": c, "value": v, "status": "ok", "confidence": 0.97}
        for (t, r, c), v in flat_cells(_truth()).items()
    ]
    cells[0]["value"], cells[0]["confidence"] = 9, 0.91  # one wrong, silent, at 0.91
    (out / "dev_900.scan.json").write_text(json.dumps({"cells": cells}))
    lines = main(tmp_path, [out], None, 0, 0, Settings())
    assert lines[4].startswith("[0.900,0.950)") and lines[4].split()[1:] == [
        "1", "0.00", "1", "0", "0", "1"
    ]  # fmt: skip
    assert "0.95" in lines[-1] and "ok_confidence now 0.9" in lines[-1]
    with pytest.raises(ValueError):
        main(tmp_path, [], "nope", 0, 0, Settings())
    with pytest.raises(ValueError):
        main(tmp_path / "elsewhere", [out], None, 0, 0, Settings())
