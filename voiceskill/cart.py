"""Carts, orders, change history and the conversation log, in SQLite or PostgreSQL.

One transaction per turn (`CartStore.transaction`): on PostgreSQL it first locks the shopper,
so several server processes and hosts can share one database (voiceskill/storage/). The
schema upgrades itself on open (voiceskill/schema.py). A database that cannot be opened,
upgraded or written is refused at open with a StorageError naming it and the fix; a write
that fails later rolls the turn back and raises the same error. `forget` deletes all that is
stored about one shopper (spec: `forget_me`). The SQL here is written once for both databases.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .dialogue import CartOp
from .errors import StorageError
from .schema import MIGRATIONS, SCHEMA_VERSION, WEBHOOK_PLATFORMS, check, upgrade
from .storage import Backend, open_backend
from .storage.desk import DeskStore
from .storage.sqlite import WAL_CHECKPOINT_PAGES, WAL_LIMIT_BYTES


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


REQUEST_MEMORY_S = 24 * 3600
PRUNE_EVERY_S = 60.0
"""Stored request results older than a day are deleted at most once a minute per process: every
turn deleting the one that just expired made concurrent turns of different shoppers wait on each other."""
KEY_KINDS = ("session", "user")
FORGET_TABLES = ("cart_items", "changes", "orders", "sessions", "conversation_log", "processed_requests",
                 "ces_answers", "handover_cases", "shopper_messages")
"""Tables with a `user` column whose rows `forget` deletes (order_items go with their orders)."""

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "WAL_CHECKPOINT_PAGES", "WAL_LIMIT_BYTES", "WEBHOOK_PLATFORMS",
           "CartStore", "LogEntry", "storage_key"]


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


class CartStore(DeskStore):
    """All carts of one database (a SQLite file or a PostgreSQL URL); safe to share between threads.

    Effort scores, handover cases, messages for shoppers and teachings: see storage/desk.py."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.db: Backend = open_backend(path)
        """The backend: `db.execute(sql, params)` runs one statement in the shared dialect."""
        self.path: Path | str = getattr(self.db, "path", self.db.where)
        self._pruned = 0.0
        try:
            upgrade(self.db)
            check(self.db)
        except self.db.errors as exc:
            raise StorageError(f"cannot read the cart database {self.db.where} ({self.db.describe(exc)}): it is "
                               f"damaged or not a voiceskill database; {self.db.START_AFRESH}") from None
        problem = self.write_problem()
        if problem:
            raise StorageError(f"{problem}: {self.db.OPEN_FIX}")

    def close(self) -> None:
        """Close the connections; the store opens new ones when used again (a forked worker does)."""
        self.db.close()

    @contextmanager
    def transaction(self, user: str | None = None) -> Iterator["CartStore"]:
        """One atomic unit of work: all of a turn's reads and writes, or none of its writes.

        With ``user``, the shopper is locked first (PostgreSQL), so another host's turn for the
        same shopper, a retry of this request included, waits and then sees this one's result;
        methods that name a user lock it too, when it was not named here. A database error inside
        becomes a StorageError that names the database, after the rollback.
        """
        try:
            with self.db.transaction():
                if user is not None:
                    self.db.hold(user)
                yield self
        except self.db.errors as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: BaseException) -> StorageError:
        reason = self.db.describe(exc)
        return StorageError(f"the cart database {self.db.where} took no change ({reason}); nothing was changed. "
                            f"{self.db.WRITE_FIX}", reason=reason)

    def _rows(self, user: str, sql: str, params: list[Any]) -> list[Any]:
        self.db.hold(user)
        return self.db.execute(sql, params).fetchall()

    # -- reads ---------------------------------------------------------------

    def cart(self, user: str) -> dict[str, int]:
        rows = self._rows(user, 'SELECT product_id, quantity FROM cart_items WHERE "user" = ? ORDER BY rowid', [user])
        return {pid: qty for pid, qty in rows}

    def _last_batch(self, user: str) -> int | None:
        return self._rows(user, "SELECT max(batch) FROM changes WHERE \"user\" = ? AND state = 'done'", [user])[0][0]

    def undo_batch(self, user: str) -> tuple[tuple[str, int, int], ...]:
        """The last change undo would revert: (product, before, after) per product."""
        rows = self._rows(user, 'SELECT product_id, before, after FROM changes WHERE "user" = ? AND batch = '
                          "(SELECT max(batch) FROM changes WHERE \"user\" = ? AND state = 'done') ORDER BY id",
                          [user, user])
        first: dict[str, list[int]] = {}
        for pid, before, after in rows:
            first.setdefault(pid, [before, after])[1] = after
        return tuple((pid, b, a) for pid, (b, a) in first.items())

    def load_state(self, session: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT state FROM sessions WHERE session = ?", [session]).fetchone()
        return json.loads(row[0]) if row else None

    def orders(self, user: str) -> list[dict[str, Any]]:
        self.db.hold(user)
        return self.db.dicts('SELECT id, "user", at, total, items FROM orders WHERE "user" = ? ORDER BY id', [user])

    def last_order(self, user: str) -> dict[str, int]:
        """The items of the shopper's most recent order (product id -> quantity), for `reorder`."""
        rows = self._rows(user,
                          "SELECT product_id, sum(quantity) FROM order_items WHERE order_id = "
                          '(SELECT max(id) FROM orders WHERE "user" = ?) GROUP BY product_id ORDER BY min(rowid)',
                          [user])
        return {pid: int(qty) for pid, qty in rows}

    def log_entries(self, user: str, limit: int = 100) -> list[dict[str, Any]]:
        self.db.hold(user)
        return self.db.dicts('SELECT id, at, "user", session, text, intent, confidence, reply, outcome '
                             'FROM conversation_log WHERE "user" = ? ORDER BY id DESC LIMIT ?', [user, limit])[::-1]

    # -- writes --------------------------------------------------------------

    def _write(self, user: str, product_id: str, quantity: int) -> int:
        """Store one quantity (0 deletes); the quantity before."""
        row = self._rows(user, 'SELECT quantity FROM cart_items WHERE "user" = ? AND product_id = ?',
                         [user, product_id])
        if quantity > 0 and row:
            self.db.execute('UPDATE cart_items SET quantity = ?, updated = ? WHERE "user" = ? AND product_id = ?',
                            [quantity, _now(), user, product_id])
        elif quantity > 0:
            self.db.execute('INSERT INTO cart_items ("user", product_id, quantity, updated) VALUES (?, ?, ?, ?)',
                            [user, product_id, quantity, _now()])
        else:
            self.db.execute('DELETE FROM cart_items WHERE "user" = ? AND product_id = ?', [user, product_id])
        return row[0][0] if row else 0

    def set_quantity(self, user: str, product_id: str, quantity: int, batch: int) -> None:
        """Store one quantity and record the change in the history under ``batch``."""
        before = self._write(user, product_id, quantity)
        self.db.execute('INSERT INTO changes ("user", batch, product_id, before, after, at, state) '
                        "VALUES (?, ?, ?, ?, ?, ?, 'done')", [user, batch, product_id, before, quantity, _now()])

    def undo(self, user: str) -> bool:
        """Revert the last change; False when there is none."""
        batch = self._last_batch(user)
        if batch is None:
            return False
        for pid, before, _after in self.undo_batch(user):
            self._write(user, pid, before)
        self.db.execute('UPDATE changes SET state = \'undone\' WHERE "user" = ? AND batch = ?', [user, batch])
        return True

    def checkout(self, user: str, catalog: Catalog | None = None) -> int | None:
        """Turn the cart into an order and empty it; the order id, or None when empty."""
        cart = self.cart(user)
        if not cart:
            return None
        lines = [(pid, qty, catalog[pid] if catalog and pid in catalog else None) for pid, qty in cart.items()]
        total = round(sum(qty * (p.price or 0) for _, qty, p in lines if p), 2)
        order_id = self.db.insert_id('INSERT INTO orders ("user", at, total, items) VALUES (?, ?, ?, ?)',
                                     [user, _now(), total, sum(cart.values())])
        for pid, qty, product in lines:
            self.db.execute("INSERT INTO order_items (order_id, product_id, name, quantity, price) "
                            "VALUES (?, ?, ?, ?, ?)",
                            [order_id, pid, product.name if product else pid, qty, product.price if product else None])
        self.db.execute('DELETE FROM cart_items WHERE "user" = ?', [user])
        self.db.execute('UPDATE changes SET state = \'closed\' WHERE "user" = ? AND state = \'done\'', [user])
        return order_id

    def apply(self, user: str, ops: list[CartOp], catalog: Catalog | None = None) -> None:
        """Carry out a turn's cart operations as one change in the history."""
        batch = self._rows(user, 'SELECT coalesce(max(batch), 0) + 1 FROM changes WHERE "user" = ?', [user])[0][0]
        for op in ops:
            if op.kind == "set":
                self.set_quantity(user, op.product_id, op.quantity, batch)
            elif op.kind == "undo":
                self.undo(user)
            elif op.kind == "checkout":
                self.checkout(user, catalog)
            elif op.kind == "forget":
                self.forget(user)

    def record(self, user: str, session: str, ops: list[CartOp], said: str = "",
               cart: dict[str, int] | None = None) -> None:
        """A turn's operations that are not cart changes, after its log line: an effort score
        (`ces`), a handover case with the transcript so far and the cart (`open_case`)."""
        for op in ops:
            if op.kind == "ces":
                self.add_ces(user, session, op.quantity, said)
            elif op.kind == "open_case":
                self.open_case(user, session, op.note or "asked", dict(cart if cart is not None else self.cart(user)))

    def clear(self, user: str) -> int:
        """Empty a cart as one undoable change; how many products were removed."""
        cart = self.cart(user)
        self.apply(user, [CartOp("set", pid, 0) for pid in cart])
        return len(cart)

    def forget(self, user: str) -> None:
        """Delete everything stored about a shopper (`forget_me`), in the current transaction."""
        self.db.hold(user)
        self.db.execute('DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE "user" = ?)', [user])
        for table in FORGET_TABLES:
            self.db.execute(f'DELETE FROM {table} WHERE "user" = ?', [user])

    def save_state(self, session: str, user: str, state: dict[str, Any]) -> None:
        self.db.execute('INSERT INTO sessions (session, "user", state, updated) VALUES (?, ?, ?, ?) '
                        'ON CONFLICT (session) DO UPDATE SET "user" = excluded."user", state = excluded.state, '
                        "updated = excluded.updated", [session, user, json.dumps(state), _now()])

    def processed(self, key: str) -> dict[str, Any] | None:
        """The stored result of a request handled before, if any."""
        row = self.db.execute("SELECT result FROM processed_requests WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def remember(self, key: str, result: dict[str, Any]) -> None:
        """Keep a request's result for retries (filed under its `user`); forget those older than a day."""
        now = datetime.now(timezone.utc)
        if time.monotonic() - self._pruned > PRUNE_EVERY_S or not self._pruned:
            self._pruned = time.monotonic()
            cutoff = datetime.fromtimestamp(now.timestamp() - REQUEST_MEMORY_S, timezone.utc).isoformat()
            self.db.execute("DELETE FROM processed_requests WHERE at < ?", [cutoff])
        self.db.execute('INSERT INTO processed_requests (key, result, at, "user") VALUES (?, ?, ?, ?) '
                        'ON CONFLICT (key) DO UPDATE SET result = excluded.result, at = excluded.at, '
                        '"user" = excluded."user"',
                        [key, json.dumps(result), now.isoformat(timespec="milliseconds"), result.get("user")])

    def write_problem(self) -> str | None:
        """Why the database takes no write right now (None when it does), for `/healthz` and at open."""
        try:
            with self.transaction():
                self.db.execute("INSERT INTO health (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE "
                                "SET at = excluded.at", [_now()])
        except StorageError as exc:
            return f"the cart database {self.db.where} takes no writes ({exc.reason})"
        return None

    def log(self, entry: LogEntry) -> None:
        row = asdict(entry)
        row["at"] = row["at"] or _now()
        self.db.execute('INSERT INTO conversation_log (at, "user", session, text, intent, confidence, reply, outcome) '
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [row[k] for k in ("at", "user", "session", "text", "intent", "confidence", "reply", "outcome")])
