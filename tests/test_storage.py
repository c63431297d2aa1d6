"""The cart database refuses, at open, every file it could not serve, and fails a turn cleanly on a full disk."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from voiceskill import Assistant
from voiceskill.cart import CartStore
from voiceskill.cli import main
from voiceskill.errors import StorageError
from voiceskill.schema import MIGRATIONS, SCHEMA_VERSION


def _refused(path: Path | str, *words: str) -> str:
    """Opening ``path`` is a StorageError that names the file and each of ``words``."""
    with pytest.raises(StorageError) as info:
        CartStore(path)
    message = str(info.value)
    assert str(path) in message or str(path).split("://")[0] in message
    for word in words:
        assert word in message, message
    return message


def test_parent_path_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _refused(blocker / "sub" / "carts.db", "--db")


def test_path_is_a_folder(tmp_path: Path) -> None:
    _refused(tmp_path, "--db")


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my shopping notes, not a database\n" * 200)
    _refused(path, "not a voiceskill database", "move it aside")


def test_damaged_pages(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    store = CartStore(path)
    with store.transaction():
        for n in range(400):
            store.db.execute("INSERT INTO conversation_log (user, text) VALUES (?, ?)", [f"u{n}", "x" * 300])
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    del store
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page: 5 * page] = b"\xff" * (3 * page)
    path.write_bytes(bytes(data))
    _refused(path, "damaged", "move it aside")


def test_tables_without_a_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    db = sqlite_utils.Database(path)
    db.table("cart_items").create({"user": str, "product_id": str})
    db.close()
    _refused(path, "no schema version", "move it aside")


def test_current_version_with_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "wrong.db"
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS:
        migration(db)
    db.table("orders").transform(drop={"total"})
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.close()
    _refused(path, "orders lacks total")


def test_old_version_with_wrong_columns(tmp_path: Path) -> None:
    path = tmp_path / "v2-wrong.db"
    db = sqlite_utils.Database(path)
    MIGRATIONS[0](db)
    db.table("processed_requests").create({"key": str, "at": str}, pk="key")
    db.execute("PRAGMA user_version = 2")
    db.close()
    _refused(path, "cannot upgrade", "schema 2 to 3")


def test_database_url_is_not_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _refused("postgresql://shop@db/carts", "SQLite", "--db carts.db")
    assert list(tmp_path.iterdir()) == []


def test_immutable_file_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "frozen.db"
    CartStore(path)
    for extra in tmp_path.glob("frozen.db-*"):
        extra.unlink()
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        _refused(path, "--db")
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_database_that_stops_taking_writes_fails_the_turn_and_changes_nothing(catalog, tmp_path: Path) -> None:
    """Like a disk that fills up or a file made read-only while serving: a clear error, nothing half-done."""
    bot = Assistant(catalog, tmp_path / "stuck.db")
    bot.turn("twee bananen", user="anna")
    before = list(bot.store.db.iterdump())
    bot.store.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StorageError, match="stuck.db took no change"):
        bot.turn("en drie appels", user="anna")
    assert "readonly" in (bot.store.write_problem() or "")
    assert list(bot.store.db.iterdump()) == before
    assert bot.cart("anna") == {"bananen": 2}


@pytest.mark.parametrize("command", [["chat"], ["cart", "show"], ["cart", "clear"], ["serve", "--port", "0"]])
def test_commands_refuse_a_bad_database_without_a_traceback(tmp_path: Path, command: list[str]) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 100)
    result = CliRunner().invoke(main, [*command, "--db", str(bad)], input="/stop\n")
    assert result.exit_code == 2, result.output
    assert "Error: cannot open the cart database" in result.output and "move it aside" in result.output and "Traceback" not in result.output


def test_webhook_answers_503_when_the_database_stops_taking_writes(tmp_path: Path) -> None:
    from voiceskill.webhook import create_app

    app = create_app({"catalog": str(Path(__file__).parent / "catalogs" / "spec.csv"), "db": str(tmp_path / "w.db"),
                      "alexa_verify": False})
    client = app.test_client()
    body = {"session": "projects/p/agent/sessions/s1", "responseId": "r1",
            "queryResult": {"queryText": "twee bananen"}}
    assert client.post("/dialogflow", json=body).status_code == 200
    store = app.extensions["voiceskill"].store
    before = list(store.db.iterdump())
    store.db.execute("PRAGMA query_only = ON")
    body = {**body, "responseId": "r2", "queryResult": {"queryText": "drie appels"}}
    answer = client.post("/dialogflow", json=body)
    assert answer.status_code == 503 and "not applied" in answer.get_json()["error"]
    health = client.get("/healthz")
    assert health.status_code == 503 and "readonly" in health.get_json()["error"]
    assert list(store.db.iterdump()) == before


def test_the_wal_stays_bounded(tmp_path: Path) -> None:
    """Many turns later the write-ahead log is still about the checkpoint size, not the history's."""
    from voiceskill.cart import WAL_LIMIT_BYTES, LogEntry

    store = CartStore(tmp_path / "busy.db")
    for n in range(3000):
        with store.transaction():
            store.log(LogEntry(f"u{n % 7}", "s", "twee bananen " * 80, "add_item", 1.0, "Ik heb ..." * 100, "ok"))
    wal = tmp_path / "busy.db-wal"
    assert wal.exists() and wal.stat().st_size <= WAL_LIMIT_BYTES * 1.25
    assert (tmp_path / "busy.db").stat().st_size > WAL_LIMIT_BYTES * 1.5
