"""What every storage backend does the same way: connections per thread, transactions, rows as dicts."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, ClassVar


class Backend(ABC):
    """A database voiceskill talks to in the shared SQL dialect; see voiceskill/storage/__init__.py.

    Connections are one per thread (opened on first use, opened again after a broken one), in
    autocommit mode: a statement outside `transaction()` stands alone, as a CLI read needs, and a
    transaction is an explicit BEGIN ... COMMIT, the same on both databases.
    """

    kind: ClassVar[str]
    DDL: ClassVar[Mapping[str, str]]
    """Words that differ in CREATE TABLE: `{id}` an auto-numbered key, `{rowid}` an insertion order."""
    BEGIN: ClassVar[str] = "BEGIN"
    OPEN_FIX: ClassVar[str]
    """How to make a database that refused at open work, for the message."""
    WRITE_FIX: ClassVar[str]
    """What to check when a write fails, for the message."""
    START_AFRESH: ClassVar[str]
    """What to do with a database that is damaged or not voiceskill's."""
    errors: tuple[type[BaseException], ...]
    """The driver's exception classes: each becomes a StorageError naming ``where``."""

    def __init__(self, where: str) -> None:
        self.where = where
        """The database as messages name it: the file, or the URL without its password."""
        self._local = threading.local()
        self._all: list[Any] = []
        self._guard = threading.Lock()

    # -- connections -----------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any:
        """A new connection, or a StorageError that names the database and the fix."""

    def _usable(self, conn: Any) -> bool:
        return True

    def connection(self) -> Any:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None or not self._usable(conn):
            conn = self._local.conn = self._connect()
            with self._guard:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection (before a fork, at the end of a test); later use reopens."""
        with self._guard:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except Exception:  # noqa: BLE001, S110 - a connection that is already gone is closed enough
                pass
        self._local = threading.local()

    # -- statements ------------------------------------------------------------

    def sql(self, text: str) -> str:
        """``text`` in the shared dialect as this database's driver takes it."""
        return text

    def params(self, values: Sequence[Any]) -> Sequence[Any]:
        return values

    def execute(self, text: str, values: Sequence[Any] = ()) -> Any:
        """Run one statement on this thread's connection; the driver's cursor (fetchone, fetchall)."""
        return self.connection().execute(self.sql(text), self.params(values))

    def dicts(self, text: str, values: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.execute(text, values)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    @abstractmethod
    def insert_id(self, text: str, values: Sequence[Any]) -> int:
        """Run an INSERT into a table with an `{id}` key; the new row's id."""

    # -- transactions and locks ----------------------------------------------

    def _serial(self) -> AbstractContextManager[Any]:
        """Held around a whole transaction where the database cannot tell threads apart (`:memory:`)."""
        return nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT, or ROLLBACK on any exception (re-raised as it is)."""
        with self._serial():
            self.execute(self.BEGIN)
            self._local.held = set()
            try:
                yield
                self.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            finally:
                self._local.held = None

    def _rollback(self) -> None:
        """Undo the open transaction; the database may have rolled it back itself (disk full, server gone)."""
        try:
            self.execute("ROLLBACK")
        except self.errors:
            pass

    def hold(self, user: str) -> None:
        """Inside a transaction, serialize with every other transaction about ``user`` (once per transaction)."""
        held = getattr(self._local, "held", None)
        if held is not None and user not in held:
            self.lock_user(user)
            held.add(user)

    def lock_user(self, user: str) -> None:
        """Take the per-user lock until the transaction ends; nothing where every writer is serial."""

    def lock_schema(self) -> None:
        """Take the schema lock until the transaction ends, so two first starts do not both upgrade."""

    # -- the schema ----------------------------------------------------------

    @abstractmethod
    def version(self) -> int:
        """The schema version stored in the database (0 for a new one)."""

    @abstractmethod
    def set_version(self, number: int) -> None:
        """Store the schema version, inside the upgrade step's transaction."""

    @abstractmethod
    def table_names(self) -> list[str]: ...

    @abstractmethod
    def columns(self, table: str) -> list[str]: ...

    def damage(self) -> list[str]:
        """What is damaged in the database's own pages; empty when nothing is or it cannot tell."""
        return []

    def describe(self, exc: BaseException) -> str:
        """The driver's error as one line, for messages."""
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
