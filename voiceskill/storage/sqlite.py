"""SQLite: the embedded default, one file, WAL mode, the schema version in `PRAGMA user_version`.

Why these settings: WAL lets reads go on during a turn's write and lets several server
processes share the file; `synchronous = NORMAL` is durable across crashes of the process
(a power cut may lose the last turns, never corrupt the file); the WAL is checkpointed
every 1,000 pages and cut back to 4 MiB after each checkpoint, so it stays bounded.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from ..errors import StorageError
from .base import Backend

WAL_CHECKPOINT_PAGES = 1000
WAL_LIMIT_BYTES = 4 * 1024 * 1024
FIX = "pass --db PATH or set VOICESKILL_DB to a writable file"
MOVE_ASIDE = "move it aside (voiceskill then starts a new one) or restore a backup"


class SQLiteBackend(Backend):
    """One SQLite file (or `:memory:`, one connection shared under a lock)."""

    kind = "sqlite"
    DDL: ClassVar[Mapping[str, str]] = MappingProxyType({"id": "INTEGER PRIMARY KEY", "rowid": ""})
    BEGIN = "BEGIN IMMEDIATE"
    """Take the write lock at the start, so a turn never fails half-way on a busy database."""
    OPEN_FIX = f"check its permissions and the free disk space, or {FIX}"
    WRITE_FIX = "Check the free disk space and the file's permissions"
    START_AFRESH = MOVE_ASIDE
    errors = (sqlite3.Error,)

    def __init__(self, path: Path | str) -> None:
        super().__init__(str(path))
        self.path = path
        self._memory: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        if path == ":memory:":
            self._memory = self._connect()
            return
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot make the folder for the cart database {path} "
                               f"({exc.strerror}): {FIX}") from None

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA busy_timeout = 30000")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
                conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot open the cart database {self.path} ({exc}): {FIX}") from None
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the cart database {self.path} ({exc}): it is damaged or not a "
                               f"voiceskill database; {MOVE_ASIDE}") from None
        return conn

    def connection(self) -> sqlite3.Connection:
        return self._memory if self._memory is not None else super().connection()

    def close(self) -> None:
        if self._memory is None:
            super().close()

    def _serial(self) -> AbstractContextManager[Any]:
        return self._lock if self._memory is not None else super()._serial()

    def insert_id(self, text: str, values: Sequence[Any]) -> int:
        return int(self.execute(text, values).lastrowid)

    def version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, number: int) -> None:
        self.execute(f"PRAGMA user_version = {int(number)}")

    def table_names(self) -> list[str]:
        import sqlite_utils  # here, not at the top: it costs a text-only start 0.08 s of imports

        return sqlite_utils.Database(self.connection()).table_names()

    def columns(self, table: str) -> list[str]:
        import sqlite_utils

        return list(sqlite_utils.Database(self.connection()).table(table).columns_dict)

    def damage(self) -> list[str]:
        found = [row[0] for row in self.execute("PRAGMA quick_check(3)").fetchall()]
        return [] if found == ["ok"] else found
