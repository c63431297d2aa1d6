"""The cart store on both backends (SQLite, PostgreSQL): transactions, history, undo, orders, log,
schema upgrades. Every test here runs on each (the `any_db` fixture in conftest.py)."""

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from voiceskill.cart import SCHEMA_VERSION, CartStore, LogEntry
from voiceskill.dialogue import CartOp
from voiceskill.errors import VoiceskillError
from voiceskill.storage import open_backend


@pytest.fixture()
def store(any_db: str) -> Iterator[CartStore]:
    opened = CartStore(any_db)
    yield opened
    opened.close()


def test_schema_version(store: CartStore) -> None:
    assert store.db.version() == SCHEMA_VERSION


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    store = CartStore(tmp_path / "carts.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_apply_undo_and_history(store: CartStore, catalog) -> None:
    with store.transaction():
        store.apply("anna", [CartOp("set", "bananen", 2), CartOp("set", "komkommer", 1)], catalog)
    with store.transaction():
        store.apply("anna", [CartOp("set", "bananen", 5)], catalog)
    assert store.cart("anna") == {"bananen": 5, "komkommer": 1}
    assert store.undo_batch("anna") == (("bananen", 2, 5),)
    with store.transaction():
        assert store.undo("anna")
    assert store.cart("anna") == {"bananen": 2, "komkommer": 1}
    with store.transaction():
        assert store.undo("anna")
        assert not store.undo("anna")
    assert store.cart("anna") == {}


def test_carts_are_per_user(store: CartStore) -> None:
    with store.transaction():
        store.apply("anna", [CartOp("set", "bananen", 2)])
        store.apply("bert", [CartOp("set", "cola", 1)])
    assert store.cart("anna") == {"bananen": 2} and store.cart("bert") == {"cola": 1}


def test_checkout_makes_an_order_and_closes_history(store: CartStore, catalog) -> None:
    with store.transaction():
        store.apply("anna", [CartOp("set", "bananen", 4), CartOp("set", "cola", 1)], catalog)
    with store.transaction():
        store.apply("anna", [CartOp("checkout")], catalog)
    assert store.cart("anna") == {}
    (order,) = store.orders("anna")
    assert order["total"] == pytest.approx(4 * 0.25 + 1.89) and order["items"] == 5
    assert store.undo_batch("anna") == ()


def test_failed_turn_writes_nothing(store: CartStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.apply("anna", [CartOp("set", "bananen", 2)])
        raise RuntimeError("boom")
    assert store.cart("anna") == {}


def test_log_and_state(store: CartStore) -> None:
    with store.transaction():
        store.log(LogEntry("anna", "s1", "twee bananen", "add_item", 1.0, "Ik heb ...", "changed"))
        store.save_state("s1", "anna", {"turns": 1})
    (entry,) = store.log_entries("anna")
    assert entry["intent"] == "add_item" and entry["outcome"] == "changed" and entry["at"]
    assert store.load_state("s1") == {"turns": 1}


def test_clear_is_one_undoable_change(store: CartStore) -> None:
    with store.transaction():
        store.apply("anna", [CartOp("set", "bananen", 2), CartOp("set", "cola", 1)])
    with store.transaction():
        assert store.clear("anna") == 2
    assert store.cart("anna") == {}
    with store.transaction():
        store.undo("anna")
    assert store.cart("anna") == {"bananen": 2, "cola": 1}


def test_upgrades_an_empty_database_and_refuses_a_newer_one(any_db: str) -> None:
    if "://" not in any_db:
        sqlite3.connect(any_db).close()
    assert CartStore(any_db).db.version() == SCHEMA_VERSION
    backend = open_backend(any_db)
    with backend.transaction():
        backend.set_version(SCHEMA_VERSION + 1)
    backend.close()
    with pytest.raises(VoiceskillError, match="newer"):
        CartStore(any_db)


def test_unwritable_database_names_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises((VoiceskillError, OSError)):
        CartStore(blocker / "sub" / "carts.db")


def _shop_and_talk(store: CartStore, user: str, session: str, catalog) -> None:
    """A user with a past order, a cart, history, dialogue state, log lines and a stored request result."""
    with store.transaction():
        store.apply(user, [CartOp("set", "bananen", 4), CartOp("set", "cola", 1)], catalog)
    with store.transaction():
        store.apply(user, [CartOp("checkout")], catalog)
    with store.transaction():
        store.apply(user, [CartOp("set", "komkommer", 2)], catalog)
        store.save_state(session, user, {"turns": 3})
        store.log(LogEntry(user, session, "twee komkommers", "add_item", 1.0, "Ik heb ...", "changed"))
        store.remember(f"req-{user}", {"user": user, "session": session, "text": "twee komkommers"})


def test_last_order_is_the_most_recent_one(store: CartStore, catalog) -> None:
    assert store.last_order("anna") == {}
    _shop_and_talk(store, "anna", "s1", catalog)
    assert store.last_order("anna") == {"bananen": 4, "cola": 1}
    with store.transaction():
        store.apply("anna", [CartOp("checkout")], catalog)
    assert store.last_order("anna") == {"komkommer": 2}
    assert store.last_order("bert") == {}


@pytest.mark.parametrize("how", ["forget", "op"])
def test_forget_deletes_one_users_data_only(store: CartStore, catalog, how: str) -> None:
    _shop_and_talk(store, "anna", "s-anna", catalog)
    _shop_and_talk(store, "bert", "s-bert", catalog)
    with store.transaction():
        if how == "forget":
            store.forget("anna")
        else:
            store.apply("anna", [CartOp("forget")], catalog)
    assert store.cart("anna") == {} and store.orders("anna") == [] and store.last_order("anna") == {}
    assert store.log_entries("anna") == [] and store.load_state("s-anna") is None
    assert store.processed("req-anna") is None and store.undo_batch("anna") == ()
    leftovers = store.db.execute("SELECT count(*) FROM order_items WHERE order_id NOT IN "
                                 "(SELECT id FROM orders)").fetchone()[0]
    assert leftovers == 0
    assert store.cart("bert") == {"komkommer": 2} and store.last_order("bert") == {"bananen": 4, "cola": 1}
    assert len(store.orders("bert")) == 1 and len(store.log_entries("bert")) == 1
    assert store.load_state("s-bert") == {"turns": 3} and store.processed("req-bert")
    assert store.undo_batch("bert") == (("komkommer", 0, 2),)


def test_forget_is_undone_with_a_failed_turn(store: CartStore, catalog) -> None:
    _shop_and_talk(store, "anna", "s1", catalog)
    with pytest.raises(RuntimeError), store.transaction():
        store.forget("anna")
        raise RuntimeError("boom")
    assert store.cart("anna") == {"komkommer": 2} and store.last_order("anna") and store.log_entries("anna")


def old_database(target: str, version: int, rows: dict[str, list[dict]]) -> CartStore:
    """A database at schema ``version`` (the first ``version`` migrations) holding ``rows`` per table,
    opened (and so upgraded) now."""
    from voiceskill.cart import MIGRATIONS

    db = open_backend(target)
    with db.transaction():
        for migration in MIGRATIONS[:version]:
            migration(db)
        db.set_version(version)
        for table, inserted in rows.items():
            for row in inserted:
                names = ", ".join(f'"{name}"' for name in row)
                db.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    db.close()
    return CartStore(target)


def test_v2_database_upgrades_and_keeps_its_data(any_db: str) -> None:
    """Schema 3 files each stored request result under its user; older rows get theirs from the result."""
    store = old_database(any_db, 2, {"processed_requests": [
        {"key": "r1", "result": json.dumps({"user": "anna", "text": "ja"}), "at": "2099-01-01T00:00:00+00:00"},
        {"key": "r2", "result": "not json", "at": "2099-01-01T00:00:00+00:00"}],
        "cart_items": [{"user": "anna", "product_id": "cola", "quantity": 3, "updated": "x"}]})
    assert store.db.version() == SCHEMA_VERSION == 8
    assert store.cart("anna") == {"cola": 3} and store.processed("r1") == {"user": "anna", "text": "ja"}
    rows = store.db.execute('SELECT key, "user" FROM processed_requests ORDER BY key').fetchall()
    assert rows == [("r1", "anna"), ("r2", None)]
    with store.transaction():
        store.forget("anna")
    assert store.processed("r1") is None and store.cart("anna") == {}


def test_v3_database_gives_webhook_session_keys_their_kind(any_db: str) -> None:
    """Carts and conversations kept per session move to `platform:session:<id>`; user keys stay."""
    store = old_database(any_db, 3, {"cart_items": [
        {"user": "alexa:abc", "product_id": "cola", "quantity": 2, "updated": "x"},
        {"user": "dialogflow:user:anna", "product_id": "sla", "quantity": 1, "updated": "x"},
        {"user": "dialogflow-cx:s1", "product_id": "sla", "quantity": 4, "updated": "x"},
        {"user": "anna", "product_id": "ui", "quantity": 5, "updated": "x"}],
        "sessions": [{"session": "actions:act1", "user": "actions:act1", "state": "{}", "updated": "x"}]})
    assert store.cart("alexa:session:abc") == {"cola": 2} and store.cart("alexa:abc") == {}
    assert store.cart("dialogflow:user:anna") == {"sla": 1} and store.cart("dialogflow-cx:session:s1") == {"sla": 4}
    assert store.cart("anna") == {"ui": 5}
    assert store.load_state("actions:session:act1") == {}
