"""A PostgreSQL server for the tests: ``GONGKAI_TEST_PG_URL`` when set, else a throwaway
cluster in a temporary directory (initdb, pg_ctl; as the ``postgres`` user when run as root,
which initdb refuses to be), reached over a unix socket in that directory, stopped at the end.
Each test gets a database of its own (:func:`fresh_database`)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV = "GONGKAI_TEST_PG_URL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres() -> list[str]:
    """The prefix that runs a command as ``postgres`` when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return []
    pwd.getpwnam("postgres")  # KeyError: no such user, no cluster
    return ["runuser", "-u", "postgres", "--"]


def start_cluster() -> tuple[str, Callable[[], None]]:
    """A new cluster's URL (database ``postgres``) and the function that stops it."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    found = shutil.which("initdb")
    bindir = Path(bins[-1]) if bins else Path(found).parent if found else None
    if bindir is None:
        raise RuntimeError("no PostgreSQL binaries (initdb) found")
    prefix = _as_postgres()
    tmp = Path(tempfile.mkdtemp(prefix="gongkai-pg-"))
    data = tmp / "data"
    if prefix:
        shutil.chown(tmp, "postgres", "postgres")
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
         "--no-sync", "-E", "UTF8", "--locale=C"],
        **run,  # type: ignore[call-overload]
    )  # fmt: skip
    port = _free_port()
    opts = f"-k {tmp} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=200"
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*pg_ctl, "-o", opts, "-l", str(tmp / "log"), "-w", "start"], **run)  # type: ignore[call-overload]

    def stop() -> None:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)

    return f"postgresql+psycopg://postgres@/postgres?host={tmp}&port={port}", stop


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A new, empty database on ``server`` for one test; its URL. Dropped after."""
    name = f"gongkai_{uuid.uuid4().hex[:12]}"
    base = make_url(server).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
