"""A real PostgreSQL server for the tests, and helpers that treat both storage backends alike.

The server is started once per test run: `initdb` into a temporary folder, `pg_ctl start`
on a free loopback port (its socket in that folder), stopped and removed at the end. initdb
refuses to run as root, and CI runs as root: there the cluster belongs to the `postgres`
user that Debian's `postgresql` package makes (./setup.sh installs it).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

PASSWORD = "s3cret-pg"
"""The test login's password: connections over TCP must give it (scram-sha-256), so a wrong one is refused."""
ADMIN = "voiceskill"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian's /usr/lib/postgresql/N/bin (newest N), else $PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing() -> str | None:
    """Why no test server can run here (None when one can)."""
    if bindir() is None:
        return "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql; ./setup.sh does)"
    try:
        import psycopg  # noqa: F401 - only whether it imports
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]'; ./setup.sh does)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run initdb as"
    return None


class Cluster:
    """One throw-away PostgreSQL cluster; `database()` makes a fresh database per test."""

    def __init__(self) -> None:
        self.bin = bindir()
        self.root = Path(tempfile.mkdtemp(prefix="voiceskill-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self._as, *command], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}")

    def start(self) -> "Cluster":
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            shutil.chown(pwfile, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", ADMIN, f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self.pg_ctl("start")
        return self

    def pg_ctl(self, action: str) -> None:
        """start, stop or restart the server (stop: fast, cutting connections off as a crash or a restart would)."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        args = ["-m", "fast"] if action != "start" else []
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-o", options, *args, action)

    def url(self, dbname: str = "postgres", password: str | None = PASSWORD, user: str = ADMIN) -> str:
        login = f"{user}:{password}" if password is not None else user
        return f"postgresql://{login}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str, params: Any = None, dbname: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def database(self) -> str:
        """A new empty database; its URL."""
        name = f"t{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def close(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", "immediate", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)


def refuse_writes(store: Any, on: bool = True) -> str:
    """Make this thread's connection refuse every write, as a full or read-only disk (SQLite) or a
    read-only server or login (PostgreSQL) would; the word the database's error then holds."""
    if store.db.kind == "sqlite":
        store.db.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
        return "readonly"
    store.db.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")
    return "read-only"


def snapshot(store: Any) -> dict[str, list[tuple]]:
    """Every row of every voiceskill table, in a stable order: to show that nothing changed."""
    from voiceskill.schema import expected_columns

    tables: dict[str, list[tuple]] = {}
    for table, columns in expected_columns().items():
        quoted = ", ".join(f'"{column}"' for column in columns)
        rows = store.db.execute(f"SELECT {quoted} FROM {table}").fetchall()
        tables[table] = sorted((tuple(row) for row in rows), key=repr)
    return tables
