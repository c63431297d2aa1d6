"""Carts, orders, change history and the conversation log, in SQLite via sqlite-utils.

One transaction per turn (`CartStore.transaction`), WAL mode, and a schema
version in `PRAGMA user_version` that upgrades itself on open (voiceskill/schema.py).
A file that cannot be opened, upgraded or written is refused at open with a
StorageError naming it and the fix; a write that fails later rolls the turn back
and raises the same error. The WAL is checkpointed every 1,000 pages and cut
back to 4 MiB after each checkpoint, so it stays bounded. `forget` deletes all
that is stored about one shopper (spec: `forget_me`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from .catalog import Catalog
from .dialogue import CartOp
from .errors import StorageError
from .paths import db_path
from .schema import MIGRATIONS, MOVE_ASIDE, SCHEMA_VERSION, WEBHOOK_PLATFORMS, check, upgrade


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


REQUEST_MEMORY_S = 24 * 3600
WAL_CHECKPOINT_PAGES = 1000
WAL_LIMIT_BYTES = 4 * 1024 * 1024
FIX = "pass --db PATH or set VOICESKILL_DB to a writable file"
KEY_KINDS = ("session", "user")
FORGET_TABLES = ("cart_items", "changes", "orders", "sessions", "conversation_log", "processed_requests")
"""Tables with a `user` column whose rows `forget` deletes (order_items go with their orders)."""

__all__ = ["CartStore", "LogEntry", "MIGRATIONS", "SCHEMA_VERSION", "WEBHOOK_PLATFORMS", "storage_key"]


def storage_key(platform: str, kind: str, ident: str) -> str:
    """The one place webhook storage keys are made: `alexa:user:<id>`, `dialogflow:session:<id>`.

    Why: the kind sits between platform and id, so no session id (`user:anna`) can name a user's
    cart, and no platform's ids another's.
    """
    if kind not in KEY_KINDS:
        raise ValueError(f"unknown storage key kind {kind!r}")
    return f"{platform}:{kind}:{ident}"


@dataclass(frozen=True)
class LogEntry:
    """One line of the conversation log, for the colleague who takes over and for analytics."""

    user: str
    session: str
    text: str
    intent: str
    confidence: float
    reply: str
    outcome: str
    at: str = ""


class CartStore:
    """All carts of one database file; safe to share between threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = db_path(path)
        self._local = threading.local()
        self._memory: sqlite_utils.Database | None = None
        self._lock = threading.RLock()
        if self.path == ":memory:":
            self._memory = self._open()
        else:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot make the folder for the cart database {self.path} "
                                   f"({exc.strerror}): {FIX}") from None
        try:
            upgrade(self.db, self.path)
            check(self.db, self.path)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read the cart database {self.path} ({exc}): it is damaged or not a "
                               f"voiceskill database; {MOVE_ASIDE}") from None
        problem = self.write_problem()
        if problem:
            raise StorageError(f"{problem}: check its permissions and the free disk space, or {FIX}")

    def _open(self) -> sqlite_utils.Database:
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
        return sqlite_utils.Database(conn)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._memory is not None:
            return self._memory
        if getattr(self._local, "db", None) is None:
            self._local.db = self._open()
        return self._local.db

    @staticmethod
    def migrate(db: sqlite_utils.Database) -> None:
        """Bring the schema up to SCHEMA_VERSION (see voiceskill/schema.py)."""
        upgrade(db, "(database)")

    @contextmanager
    def transaction(self) -> Iterator["CartStore"]:
        """One atomic unit of work: all of a turn's reads and writes, or none of its writes.

        A database error inside becomes a StorageError that names the file, after the rollback.
        """
        with self._lock if self._memory is not None else _nolock():
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._failed(exc) from None
            try:
                yield self
                self.db.execute("COMMIT")
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise self._failed(exc) from None
                raise

    def _rollback(self) -> None:
        """Undo the open transaction; SQLite may already have rolled it back itself (disk full)."""
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def _failed(self, exc: sqlite3.Error) -> StorageError:
        return StorageError(f"the cart database {self.path} took no change ({exc}); nothing was changed. "
                            "Check the free disk space and the file's permissions", reason=str(exc))

    # -- reads ---------------------------------------------------------------

    def cart(self, user: str) -> dict[str, int]:
        rows = self.db.execute("SELECT product_id, quantity FROM cart_items WHERE user = ? ORDER BY rowid",
                               [user]).fetchall()
        return {pid: qty for pid, qty in rows}

    def _last_batch(self, user: str) -> int | None:
        row = self.db.execute("SELECT max(batch) FROM changes WHERE user = ? AND state = 'done'", [user]).fetchone()
        return row[0]

    def undo_batch(self, user: str) -> tuple[tuple[str, int, int], ...]:
        """The last change undo would revert: (product, before, after) per product."""
        batch = self._last_batch(user)
        if batch is None:
            return ()
        rows = self.db.execute("SELECT product_id, before, after FROM changes WHERE user = ? AND batch = ? "
                               "ORDER BY id", [user, batch]).fetchall()
        first: dict[str, list[int]] = {}
        for pid, before, after in rows:
            first.setdefault(pid, [before, after])[1] = after
        return tuple((pid, b, a) for pid, (b, a) in first.items())

    def load_state(self, session: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT state FROM sessions WHERE session = ?", [session]).fetchone()
        return json.loads(row[0]) if row else None

    def orders(self, user: str) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM orders WHERE user = ? ORDER BY id", [user]))

    def last_order(self, user: str) -> dict[str, int]:
        """The items of the shopper's most recent order (product id -> quantity), for `reorder`."""
        rows = self.db.execute(
            "SELECT product_id, sum(quantity) FROM order_items WHERE order_id = "
            "(SELECT max(id) FROM orders WHERE user = ?) GROUP BY product_id ORDER BY min(rowid)",
            [user]).fetchall()
        return {pid: qty for pid, qty in rows}

    def log_entries(self, user: str, limit: int = 100) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM conversation_log WHERE user = ? ORDER BY id DESC LIMIT ?",
                                  [user, limit]))[::-1]

    # -- writes --------------------------------------------------------------

    def _write(self, user: str, product_id: str, quantity: int) -> int:
        """Store one quantity (0 deletes); the quantity before."""
        row = self.db.execute("SELECT quantity FROM cart_items WHERE user = ? AND product_id = ?",
                              [user, product_id]).fetchone()
        if quantity > 0 and row:
            self.db.execute("UPDATE cart_items SET quantity = ?, updated = ? WHERE user = ? AND product_id = ?",
                            [quantity, _now(), user, product_id])
        elif quantity > 0:
            self.db.execute("INSERT INTO cart_items (user, product_id, quantity, updated) VALUES (?, ?, ?, ?)",
                            [user, product_id, quantity, _now()])
        else:
            self.db.execute("DELETE FROM cart_items WHERE user = ? AND product_id = ?", [user, product_id])
        return row[0] if row else 0

    def set_quantity(self, user: str, product_id: str, quantity: int, batch: int) -> None:
        """Store one quantity and record the change in the history under ``batch``."""
        before = self._write(user, product_id, quantity)
        self.db.execute("INSERT INTO changes (user, batch, product_id, before, after, at, state) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'done')", [user, batch, product_id, before, quantity, _now()])

    def undo(self, user: str) -> bool:
        """Revert the last change; False when there is none."""
        batch = self._last_batch(user)
        if batch is None:
            return False
        for pid, before, _after in self.undo_batch(user):
            self._write(user, pid, before)
        self.db.execute("UPDATE changes SET state = 'undone' WHERE user = ? AND batch = ?", [user, batch])
        return True

    def checkout(self, user: str, catalog: Catalog | None = None) -> int | None:
        """Turn the cart into an order and empty it; the order id, or None when empty."""
        cart = self.cart(user)
        if not cart:
            return None
        lines = [(pid, qty, catalog[pid] if catalog and pid in catalog else None) for pid, qty in cart.items()]
        total = round(sum(qty * (p.price or 0) for _, qty, p in lines if p), 2)
        cursor = self.db.execute("INSERT INTO orders (user, at, total, items) VALUES (?, ?, ?, ?)",
                                 [user, _now(), total, sum(cart.values())])
        order_id = cursor.lastrowid
        for pid, qty, product in lines:
            self.db.execute("INSERT INTO order_items (order_id, product_id, name, quantity, price) "
                            "VALUES (?, ?, ?, ?, ?)",
                            [order_id, pid, product.name if product else pid, qty, product.price if product else None])
        self.db.execute("DELETE FROM cart_items WHERE user = ?", [user])
        self.db.execute("UPDATE changes SET state = 'closed' WHERE user = ? AND state = 'done'", [user])
        return order_id

    def apply(self, user: str, ops: list[CartOp], catalog: Catalog | None = None) -> None:
        """Carry out a turn's cart operations as one change in the history."""
        row = self.db.execute("SELECT coalesce(max(batch), 0) + 1 FROM changes WHERE user = ?", [user]).fetchone()
        batch = row[0]
        for op in ops:
            if op.kind == "set":
                self.set_quantity(user, op.product_id, op.quantity, batch)
            elif op.kind == "undo":
                self.undo(user)
            elif op.kind == "checkout":
                self.checkout(user, catalog)
            elif op.kind == "forget":
                self.forget(user)

    def clear(self, user: str) -> int:
        """Empty a cart as one undoable change; how many products were removed."""
        cart = self.cart(user)
        self.apply(user, [CartOp("set", pid, 0) for pid in cart])
        return len(cart)

    def forget(self, user: str) -> None:
        """Delete everything stored about a shopper (`forget_me`), in the current transaction."""
        self.db.execute("DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE user = ?)", [user])
        for table in FORGET_TABLES:
            self.db.execute(f"DELETE FROM {table} WHERE user = ?", [user])

    def save_state(self, session: str, user: str, state: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO sessions (session, user, state, updated) VALUES (?, ?, ?, ?)",
                        [session, user, json.dumps(state), _now()])

    def processed(self, key: str) -> dict[str, Any] | None:
        """The stored result of a request handled before, if any."""
        row = self.db.execute("SELECT result FROM processed_requests WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def remember(self, key: str, result: dict[str, Any]) -> None:
        """Keep a request's result for retries (filed under its `user`); forget those older than a day."""
        now = datetime.now(timezone.utc)
        cutoff = datetime.fromtimestamp(now.timestamp() - REQUEST_MEMORY_S, timezone.utc).isoformat()
        self.db.execute("DELETE FROM processed_requests WHERE at < ?", [cutoff])
        self.db.execute("INSERT OR REPLACE INTO processed_requests (key, result, at, user) "
                        "VALUES (?, ?, ?, ?)",
                        [key, json.dumps(result), now.isoformat(timespec="milliseconds"), result.get("user")])

    def write_problem(self) -> str | None:
        """Why the database takes no write right now (None when it does), for `/healthz` and at open."""
        try:
            with self.transaction():
                self.db.execute("INSERT OR REPLACE INTO health (id, at) VALUES (1, ?)", [_now()])
        except StorageError as exc:
            return f"the cart database {self.path} takes no writes ({exc.reason})"
        return None

    def log(self, entry: LogEntry) -> None:
        row = asdict(entry)
        row["at"] = row["at"] or _now()
        self.db.execute("INSERT INTO conversation_log (at, user, session, text, intent, confidence, reply, outcome) "
                        "VALUES (:at, :user, :session, :text, :intent, :confidence, :reply, :outcome)", row)


@contextmanager
def _nolock() -> Iterator[None]:
    yield
