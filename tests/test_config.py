"""Settings are validated when built and resolve from None, a dict or an instance."""

from __future__ import annotations

import pytest

from pipeline.model.config import InvalidSettings, Settings


def test_resolve() -> None:
    assert Settings.resolve(None) == Settings()
    s = Settings(match_threshold=0.7)
    assert Settings.resolve(s) is s
    assert Settings.resolve({"firm_confidence": 0.95}).firm_confidence == 0.95


@pytest.mark.parametrize(
    "bad",
    [
        {"match_threshold": 1.5},
        {"firm_confidence": 0.4, "unreadable_confidence": 0.5},
        {"no_such_setting": 1},
    ],
)
def test_invalid(bad: dict) -> None:
    with pytest.raises(InvalidSettings):
        Settings.resolve(bad)
