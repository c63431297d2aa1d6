"""The cart database's schema: one migration per version, and the checks that an opened file is ours.

`upgrade` brings a file to SCHEMA_VERSION inside one transaction per step;
`check` then compares its tables and columns with what a fresh database has,
so a damaged or foreign file is refused at open with the fix, instead of a
server that starts and then fails every turn.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

import sqlite_utils

from .errors import StorageError


def _v1(db: sqlite_utils.Database) -> None:
    db.table("cart_items").create({"user": str, "product_id": str, "quantity": int, "updated": str},
                                  pk=("user", "product_id"))
    db.table("changes").create({"id": int, "user": str, "batch": int, "product_id": str, "before": int,
                                "after": int, "at": str, "state": str}, pk="id")
    db.table("changes").create_index(["user", "batch"])
    db.table("orders").create({"id": int, "user": str, "at": str, "total": float, "items": int}, pk="id")
    db.table("order_items").create({"order_id": int, "product_id": str, "name": str, "quantity": int,
                                    "price": float}, foreign_keys=[("order_id", "orders", "id")])
    db.table("conversation_log").create({"id": int, "at": str, "user": str, "session": str, "text": str,
                                         "intent": str, "confidence": float, "reply": str, "outcome": str},
                                        pk="id")
    db.table("conversation_log").create_index(["user", "at"])
    db.table("sessions").create({"session": str, "user": str, "state": str, "updated": str}, pk="session")


def _v2(db: sqlite_utils.Database) -> None:
    """Replies to webhook requests already handled, so a platform's retry changes nothing twice."""
    db.table("processed_requests").create({"key": str, "result": str, "at": str}, pk="key")
    db.table("processed_requests").create_index(["at"])


def _v3(db: sqlite_utils.Database) -> None:
    """Whose each stored request result is, so `forget` can delete a shopper's results too."""
    db.table("processed_requests").add_column("user", str)
    db.execute("UPDATE processed_requests SET user = json_extract(result, '$.user') "
               "WHERE json_valid(result)")
    db.table("processed_requests").create_index(["user"])


WEBHOOK_PLATFORMS = ("dialogflow", "dialogflow-cx", "actions", "alexa")
KEYED_COLUMNS = (("cart_items", "user"), ("changes", "user"), ("orders", "user"), ("conversation_log", "user"),
                 ("conversation_log", "session"), ("sessions", "session"), ("sessions", "user"),
                 ("processed_requests", "user"))


def _v4(db: sqlite_utils.Database) -> None:
    """Webhook session keys gain their kind (`alexa:abc` -> `alexa:session:abc`), so that a session id
    can no longer name a user's cart (`user:anna`); carts and conversations move along, nothing is lost."""
    for platform in WEBHOOK_PLATFORMS:
        head = len(platform) + 1
        for table, column in KEYED_COLUMNS:
            db.execute(f"UPDATE {table} SET {column} = substr({column}, 1, ?) || 'session:' || substr({column}, ?) "
                       f"WHERE substr({column}, 1, ?) = ? AND substr({column}, ?, 5) != 'user:' "
                       f"AND substr({column}, ?, 8) != 'session:'",
                       [head, head + 1, head, platform + ":", head + 1, head + 1])


def _v5(db: sqlite_utils.Database) -> None:
    """One row a health check rewrites: proof that the database takes writes (disk full, read-only)."""
    db.table("health").create({"id": int, "at": str}, pk="id")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5]
SCHEMA_VERSION = len(MIGRATIONS)
MOVE_ASIDE = "move it aside (voiceskill then starts a new one) or restore a backup"


def upgrade(db: sqlite_utils.Database, path: Path | str) -> None:
    """Bring the schema up to SCHEMA_VERSION, one version at a time; StorageError names what is wrong."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorageError(f"the cart database {path} has schema {version}, newer than this voiceskill "
                           f"({SCHEMA_VERSION}); upgrade voiceskill")
    if version == 0 and set(db.table_names()) & set(expected_columns()):
        raise StorageError(f"the cart database {path} holds voiceskill's tables but no schema version "
                           f"(PRAGMA user_version is 0): another program made or changed it; {MOVE_ASIDE}")
    for number in range(version, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            db.execute("ROLLBACK")
            raise StorageError(f"cannot upgrade the cart database {path} from schema {number} to "
                               f"{number + 1} ({exc}); {MOVE_ASIDE}") from None


def check(db: sqlite_utils.Database, path: Path | str) -> None:
    """Refuse a file whose pages are damaged or whose tables lack columns this voiceskill uses."""
    damage = [row[0] for row in db.execute("PRAGMA quick_check(3)").fetchall()]
    if damage != ["ok"]:
        raise StorageError(f"the cart database {path} is damaged ({'; '.join(damage)}); {MOVE_ASIDE}")
    for table, columns in expected_columns().items():
        present = set(db.table(table).columns_dict) if db.table(table).exists() else set()
        missing = [c for c in columns if c not in present]
        if missing:
            raise StorageError(f"the cart database {path} is not in voiceskill's schema {SCHEMA_VERSION}: "
                               f"table {table} lacks {', '.join(missing)}; {MOVE_ASIDE}")


_EXPECTED: dict[str, list[str]] = {}


def expected_columns() -> dict[str, list[str]]:
    """Table -> columns of a database built by the migrations, computed once in memory."""
    if not _EXPECTED:
        fresh = sqlite_utils.Database(memory=True)
        for migration in MIGRATIONS:
            migration(fresh)
        _EXPECTED.update({name: list(fresh.table(name).columns_dict) for name in fresh.table_names()})
    return _EXPECTED
