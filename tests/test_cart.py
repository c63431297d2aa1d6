"""The SQLite cart store: transactions, history, undo, orders, log, schema upgrades."""

import sqlite3
from pathlib import Path

import pytest

from voiceskill.cart import SCHEMA_VERSION, CartStore, LogEntry
from voiceskill.dialogue import CartOp
from voiceskill.errors import VoiceskillError


@pytest.fixture()
def store(tmp_path: Path) -> CartStore:
    return CartStore(tmp_path / "carts.db")


def test_wal_and_schema_version(store: CartStore) -> None:
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


def test_upgrades_an_old_database_and_refuses_a_newer_one(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    assert CartStore(path).db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(VoiceskillError, match="newer"):
        CartStore(path)


def test_unwritable_database_names_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises((VoiceskillError, OSError)):
        CartStore(blocker / "sub" / "carts.db")
