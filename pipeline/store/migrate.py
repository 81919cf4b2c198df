"""A store brought to this gongkai's schema when it is opened, by Alembic.

The migrations ship in the package (pipeline/store/migrations) and run in code, on the
store's own connection, under its write lock, so that two processes opening a new store at
once do not both create it. A store whose revision this gongkai does not know was written
by a newer one: refused, never guessed at.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from pipeline.store import legacy
from pipeline.store.engine import StoreError, writing

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# the newest revision in migrations/versions (a test checks): a store there is opened without
# importing Alembic at all
HEAD = "0003"

log = logging.getLogger(__name__)
# Alembic's own chatter (its plugins, "Running upgrade …") is not the user's: one line below
logging.getLogger("alembic").setLevel(logging.WARNING)


def _config(conn: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


@functools.cache
def scripts() -> tuple[str | None, frozenset[str]]:
    """The head revision of the migrations shipped, and every revision this gongkai knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())


def head() -> str:
    return HEAD


def revision(db: Connection) -> str | None:
    """The store's Alembic revision, None before Alembic (or for an empty database)."""
    if "alembic_version" not in inspect(db).get_table_names():
        return None
    row = db.execute(text("SELECT version_num FROM alembic_version")).fetchone()
    return str(row[0]) if row else None


def prepare(engine: Engine, name: str) -> None:
    """Check the store and bring it to the head revision (a no-op when it is there)."""
    with engine.connect() as db:
        rev = revision(db)
    if rev == head():
        return
    _check_known(rev, name)
    with writing(engine) as db:
        rev = revision(db)  # again, under the lock: another process may have done it
        if rev == head():
            return
        _check_known(rev, name)
        if rev is None:
            _adopt(db, name)
        from alembic import command

        command.upgrade(_config(db), "head")
        log.info("%s: store schema brought from %s to %s", name, rev or "nothing", HEAD)


def _check_known(rev: str | None, name: str) -> None:
    if rev is not None and rev not in scripts()[1]:
        raise StoreError(
            f"{name} has schema revision {rev}, newer than this gongkai: upgrade gongkai"
        )


def _adopt(db: Connection, name: str) -> None:
    """A store without Alembic: empty (created by the migrations), or legacy (brought to
    version 4 and stamped with the baseline), or something else (refused)."""
    tables = set(inspect(db).get_table_names())
    if not tables:
        return
    if "schema_version" not in tables:
        kind = "an SQLite file" if db.dialect.name == "sqlite" else "a database"
        raise StoreError(f"{name} is {kind} but not a gongkai store")
    version = db.execute(text("SELECT max(version) FROM schema_version")).scalar()
    if version is not None and version > legacy.SCHEMA_VERSION:
        raise StoreError(
            f"{name} has schema version {version}, newer than this gongkai's "
            f"{legacy.SCHEMA_VERSION}: upgrade gongkai"
        )
    if db.dialect.name != "sqlite":
        raise StoreError(f"{name}: a legacy store is SQLite only")
    legacy.to_v4(db, version or legacy.SCHEMA_VERSION, tables)
    from alembic import command

    command.stamp(_config(db), BASELINE)
