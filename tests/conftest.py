"""Shared fixtures.

Golden files change only with ``pytest --update-golden``, which is refused under CI.
Every output document the tests build goes through ``export.result_json``, validated
here against docs/output.schema.json: the tests cannot produce JSON the contract denies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pipeline.model.records import DocResult
from pipeline.store import export

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"
DEVSET = ROOT.parent / "shared" / "devset"
SCHEMA = ROOT / "docs" / "output.schema.json"

_FALSE = frozenset({"", "0", "false", "no", "off"})


def _load_every_module() -> None:
    """Hypothesis draws with the literal constants of every loaded project module, so the
    derandomized properties (test_promise.py) see the same examples only when the same
    modules are loaded: all of them, before any test runs, whichever tests are chosen and
    whatever they import later (tests/test_promise_found.py keeps a case found otherwise)."""
    import contextlib
    import importlib
    import pkgutil

    import pipeline

    for m in pkgutil.walk_packages(pipeline.__path__, "pipeline."):
        if m.name.endswith("__main__") or ".migrations" in m.name:  # scripts, not modules
            continue
        with contextlib.suppress(ImportError):  # an optional extra this environment lacks
            importlib.import_module(m.name)


_load_every_module()


def in_ci(env: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """``CI`` set to anything but an empty or false value (CI runs with CI=true)."""
    return env.get("CI", "").strip().lower() not in _FALSE


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/*.json from this run"
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-golden") and in_ci():
        raise pytest.UsageError(
            "--update-golden rewrites the expected results and is refused where CI is set: "
            "update the golden files locally and commit the reviewed diff"
        )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@cache
def output_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate_output(doc: dict[str, Any], validator: jsonschema.Validator | None = None) -> None:
    """Raise ``jsonschema.ValidationError`` (the most relevant one) if ``doc`` breaks the schema."""
    v = validator or output_validator()
    err = jsonschema.exceptions.best_match(v.iter_errors(doc))
    if err is not None:
        raise err


@pytest.fixture(autouse=True)
def validated_output(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Route every ``export.result_json`` (and so ``write_json``) through the schema."""
    real = export.result_json

    def checked(r: DocResult, input_key: str | None = None) -> dict[str, Any]:
        doc = real(r, input_key)
        validate_output(doc)
        return doc

    monkeypatch.setattr(export, "result_json", checked)
    yield


def devset_score(out: Path) -> dict:
    """Score a directory of outputs against the devset truth, as ../shared/tools/score.py."""
    sys.path.insert(0, str(DEVSET.parent / "tools"))
    try:
        from score import score  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    total, _ = score(out, DEVSET / "truth")
    return total


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str | None]:
    """A PostgreSQL server URL (tests/pg.py), or None when there is none to be had."""
    from . import pg

    if url := os.environ.get(pg.ENV):
        yield url
        return
    try:
        url, stop = pg.start_cluster()
    except (OSError, RuntimeError, KeyError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", "") or e
        _PG_MISSING.append(f"no PostgreSQL for the tests: {detail}")
        yield None
        return
    try:
        yield url
    finally:
        stop()


_PG_MISSING: list[str] = []


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store's URL on each backend: an SQLite file, a new PostgreSQL database. No
    PostgreSQL: skipped, but failed under CI (CI must test both)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'g.sqlite'}"
        return
    from . import pg

    server = request.getfixturevalue("pg_server")
    if server is None:
        why = _PG_MISSING[0] if _PG_MISSING else "no PostgreSQL"
        if in_ci():
            pytest.fail(f"{why} (CI is set: PostgreSQL tests must run; set {pg.ENV})")
        pytest.skip(why)
    with pg.fresh_database(server) as url:
        yield url
