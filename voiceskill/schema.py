"""The cart database's schema: one migration per version, the same steps on SQLite and PostgreSQL,
and the checks that an opened database is ours.

Each step is SQL both databases accept; the only words that differ come from the backend's
DDL (`{id}`: an auto-numbered key; `{rowid}`: the insertion order SQLite keeps by itself).
`upgrade` brings a database to SCHEMA_VERSION in one transaction per step, under the
backend's schema lock, so two servers starting together on one database upgrade it once;
`check` then compares its tables and columns with what a fresh database has, so a damaged
or foreign database is refused at open with the fix, instead of a server that starts and
then fails every turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .errors import StorageError
from .storage.base import Backend


def _create(db: Backend, *statements: str) -> None:
    for statement in statements:
        db.execute(statement.format(**db.DDL))


def _v1(db: Backend) -> None:
    _create(db,
            'CREATE TABLE cart_items ({rowid}"user" TEXT, product_id TEXT, quantity INTEGER, updated TEXT, '
            'PRIMARY KEY ("user", product_id))',
            'CREATE TABLE changes (id {id}, "user" TEXT, batch INTEGER, product_id TEXT, before INTEGER, '
            'after INTEGER, at TEXT, state TEXT)',
            'CREATE INDEX idx_changes_user_batch ON changes ("user", batch)',
            'CREATE TABLE orders (id {id}, "user" TEXT, at TEXT, total FLOAT, items INTEGER)',
            'CREATE TABLE order_items ({rowid}order_id BIGINT REFERENCES orders (id), product_id TEXT, name TEXT, '
            'quantity INTEGER, price FLOAT)',
            'CREATE TABLE conversation_log (id {id}, at TEXT, "user" TEXT, session TEXT, text TEXT, intent TEXT, '
            'confidence FLOAT, reply TEXT, outcome TEXT)',
            'CREATE INDEX idx_conversation_log_user_at ON conversation_log ("user", at)',
            'CREATE TABLE sessions (session TEXT PRIMARY KEY, "user" TEXT, state TEXT, updated TEXT)')


def _v2(db: Backend) -> None:
    """Replies to webhook requests already handled, so a platform's retry changes nothing twice."""
    _create(db, "CREATE TABLE processed_requests (key TEXT PRIMARY KEY, result TEXT, at TEXT)",
            "CREATE INDEX idx_processed_requests_at ON processed_requests (at)")


def _result_user(result: str) -> str | None:
    try:
        stored = json.loads(result)
    except ValueError:
        return None
    owner = stored.get("user") if isinstance(stored, dict) else None
    return owner if isinstance(owner, str) else None


def _v3(db: Backend) -> None:
    """Whose each stored request result is, so `forget` can delete a shopper's results too."""
    _create(db, 'ALTER TABLE processed_requests ADD COLUMN "user" TEXT')
    for key, result in db.execute("SELECT key, result FROM processed_requests").fetchall():
        owner = _result_user(result) if isinstance(result, str) else None
        if owner is not None:
            db.execute('UPDATE processed_requests SET "user" = ? WHERE key = ?', [owner, key])
    _create(db, 'CREATE INDEX idx_processed_requests_user ON processed_requests ("user")')


WEBHOOK_PLATFORMS = ("dialogflow", "dialogflow-cx", "actions", "alexa")
KEYED_COLUMNS = (("cart_items", "user"), ("changes", "user"), ("orders", "user"), ("conversation_log", "user"),
                 ("conversation_log", "session"), ("sessions", "session"), ("sessions", "user"),
                 ("processed_requests", "user"))


def _v4(db: Backend) -> None:
    """Webhook session keys gain their kind (`alexa:abc` -> `alexa:session:abc`), so that a session id
    can no longer name a user's cart (`user:anna`); carts and conversations move along, nothing is lost."""
    for platform in WEBHOOK_PLATFORMS:
        head = len(platform) + 1
        for table, name in KEYED_COLUMNS:
            column = f'"{name}"'
            db.execute(f"UPDATE {table} SET {column} = substr({column}, 1, {head}) || 'session:' || "
                       f"substr({column}, {head + 1}) WHERE substr({column}, 1, {head}) = ? "
                       f"AND substr({column}, {head + 1}, 5) != 'user:' "
                       f"AND substr({column}, {head + 1}, 8) != 'session:'", [platform + ":"])


def _v5(db: Backend) -> None:
    """One row a health check rewrites: proof that the database takes writes (disk full, read-only)."""
    _create(db, "CREATE TABLE health (id INTEGER PRIMARY KEY, at TEXT)")


def _v6(db: Backend) -> None:
    """What a turn and `forget` look up by shopper is indexed: a shopper's last order and its items,
    sessions; without them each turn read every order ever placed."""
    _create(db, 'CREATE INDEX idx_orders_user ON orders ("user", id)',
            "CREATE INDEX idx_order_items_order_id ON order_items (order_id)",
            'CREATE INDEX idx_sessions_user ON sessions ("user")')


def _v7(db: Backend) -> None:
    """What the store's people work with (issue 12): the shoppers' effort scores after an order,
    handover cases for the desk (with the transcript and the cart), the messages a colleague leaves
    for a shopper's next conversation, and what colleagues taught (an overlay on catalog and intents)."""
    _create(db,
            'CREATE TABLE ces_answers (id {id}, "user" TEXT, session TEXT, at TEXT, score INTEGER, said TEXT)',
            'CREATE INDEX idx_ces_answers_user ON ces_answers ("user")',
            'CREATE TABLE handover_cases (id {id}, "user" TEXT, session TEXT, reason TEXT, opened TEXT, '
            "status TEXT, transcript TEXT, cart TEXT, changes TEXT, message TEXT, colleague TEXT, closed TEXT)",
            "CREATE INDEX idx_handover_cases_status ON handover_cases (status, id)",
            'CREATE INDEX idx_handover_cases_user ON handover_cases ("user")',
            'CREATE TABLE shopper_messages (id {id}, "user" TEXT, case_id BIGINT, text TEXT, at TEXT, '
            "delivered TEXT)",
            'CREATE INDEX idx_shopper_messages_user ON shopper_messages ("user", delivered)',
            "CREATE TABLE teachings (id {id}, kind TEXT, target TEXT, phrase TEXT, source TEXT, colleague TEXT, "
            "at TEXT, undone TEXT, undone_by TEXT)")


def _v8(db: Backend) -> None:
    """Insights read the log and the effort scores of a period: by time, not by shopper."""
    _create(db, "CREATE INDEX idx_conversation_log_at ON conversation_log (at)",
            "CREATE INDEX idx_ces_answers_at ON ces_answers (at)")


MIGRATIONS: list[Callable[[Backend], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8]
SCHEMA_VERSION = len(MIGRATIONS)


def upgrade(db: Backend) -> None:
    """Bring the schema up to SCHEMA_VERSION, one version at a time; StorageError names what is wrong."""
    if db.version() == SCHEMA_VERSION:
        return
    while True:
        with db.transaction():
            db.lock_schema()
            version = db.version()
            if version > SCHEMA_VERSION:
                raise StorageError(f"the cart database {db.where} has schema {version}, newer than this "
                                   f"voiceskill ({SCHEMA_VERSION}); upgrade voiceskill")
            if version == 0 and set(db.table_names()) & set(expected_columns()):
                raise StorageError(f"the cart database {db.where} holds voiceskill's tables but no schema version "
                                   f"(version 0): another program made or changed it; {db.START_AFRESH}")
            if version == SCHEMA_VERSION:
                return
            try:
                MIGRATIONS[version](db)
                db.set_version(version + 1)
            except db.errors as exc:
                raise StorageError(f"cannot upgrade the cart database {db.where} from schema {version} to "
                                   f"{version + 1} ({db.describe(exc)}); {db.START_AFRESH}") from None


def check(db: Backend) -> None:
    """Refuse a database whose pages are damaged or whose tables lack columns this voiceskill uses."""
    damage = db.damage()
    if damage:
        raise StorageError(f"the cart database {db.where} is damaged ({'; '.join(damage)}); {db.START_AFRESH}")
    tables = set(db.table_names())
    for table, columns in expected_columns().items():
        present = set(db.columns(table)) if table in tables else set()
        missing = [c for c in columns if c not in present]
        if missing:
            raise StorageError(f"the cart database {db.where} is not in voiceskill's schema {SCHEMA_VERSION}: "
                               f"table {table} lacks {', '.join(missing)}; {db.START_AFRESH}")


_EXPECTED: dict[str, list[str]] = {}


def expected_columns() -> dict[str, list[str]]:
    """Table -> columns of a database built by the migrations (in memory, once); every backend has these."""
    if not _EXPECTED:
        from .storage.sqlite import SQLiteBackend

        fresh = SQLiteBackend(":memory:")
        for migration in MIGRATIONS:
            migration(fresh)
        _EXPECTED.update({name: fresh.columns(name) for name in fresh.table_names()})
    return _EXPECTED
