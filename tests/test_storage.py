"""The cart database refuses, at open, every database it could not serve, and fails a turn cleanly when
writes stop; on SQLite (files) and on PostgreSQL (a real server, tests/pg.py) alike where both apply."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pg import PASSWORD, free_port, refuse_writes, snapshot

from voiceskill import Assistant
from voiceskill.cart import CartStore
from voiceskill.cli import main
from voiceskill.errors import StorageError
from voiceskill.paths import safe_url
from voiceskill.schema import MIGRATIONS, SCHEMA_VERSION
from voiceskill.storage import open_backend


def _refused(path: Path | str, *words: str) -> str:
    """Opening ``path`` is a StorageError that names the database (never its password) and each of ``words``."""
    with pytest.raises(StorageError) as info:
        CartStore(path)
    message = str(info.value)
    assert safe_url(str(path)) in message and PASSWORD not in message, message
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
            store.db.execute('INSERT INTO conversation_log ("user", text) VALUES (?, ?)', [f"u{n}", "x" * 300])
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page: 5 * page] = b"\xff" * (3 * page)
    path.write_bytes(bytes(data))
    _refused(path, "damaged", "move it aside")


def _prepared(target: str, *statements: str, migrations: int = 0, version: int | None = None) -> None:
    """A database at ``target`` made by hand: the first ``migrations`` steps, ``statements``, ``version``."""
    db = open_backend(target)
    with db.transaction():
        for migration in MIGRATIONS[:migrations]:
            migration(db)
        for statement in statements:
            db.execute(statement)
        if version is not None:
            db.set_version(version)
    db.close()


def test_tables_without_a_schema_version(any_db: str) -> None:
    _prepared(any_db, 'CREATE TABLE cart_items ("user" TEXT, product_id TEXT)')
    _refused(any_db, "no schema version", "another program")


def test_current_version_with_missing_columns(any_db: str) -> None:
    _prepared(any_db, "ALTER TABLE orders DROP COLUMN total", migrations=SCHEMA_VERSION, version=SCHEMA_VERSION)
    _refused(any_db, "orders lacks total")


def test_old_version_with_wrong_columns(any_db: str) -> None:
    _prepared(any_db, "CREATE TABLE processed_requests (key TEXT PRIMARY KEY, at TEXT)", migrations=1, version=2)
    _refused(any_db, "cannot upgrade", "schema 2 to 3")


@pytest.mark.parametrize("url", ["mysql://shop:hunter2@db/carts", "sqlite:///carts.db"])
def test_a_url_of_another_database_is_refused_and_makes_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  url: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StorageError) as info:
        CartStore(url)
    message = str(info.value)
    assert "SQLite" in message and "--db carts.db" in message and "postgresql://" in message
    assert "hunter2" not in message
    assert list(tmp_path.iterdir()) == []


def test_immutable_file_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "frozen.db"
    CartStore(path).close()
    for extra in tmp_path.glob("frozen.db-*"):
        extra.unlink()
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        _refused(path, "--db")
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_database_that_stops_taking_writes_fails_the_turn_and_changes_nothing(catalog, any_db: str) -> None:
    """Like a disk that fills up or a file made read-only (SQLite), or a server or login turned read-only
    (PostgreSQL), while serving: a clear error, nothing half-done."""
    bot = Assistant(catalog, any_db)
    bot.turn("twee bananen", user="anna")
    before = snapshot(bot.store)
    word = refuse_writes(bot.store)
    with pytest.raises(StorageError, match="took no change") as info:
        bot.turn("en drie appels", user="anna")
    assert safe_url(any_db) in str(info.value) and PASSWORD not in str(info.value)
    assert word in (bot.store.write_problem() or "")
    assert snapshot(bot.store) == before
    assert bot.cart("anna") == {"bananen": 2}
    refuse_writes(bot.store, on=False)
    assert bot.turn("en drie appels", user="anna").cart == {"bananen": 2, "appels": 3}
    bot.store.close()


@pytest.mark.parametrize("command", [["chat"], ["cart", "show"], ["cart", "clear"], ["serve", "--port", "0"]])
def test_commands_refuse_a_bad_database_without_a_traceback(tmp_path: Path, command: list[str]) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 100)
    result = CliRunner().invoke(main, [*command, "--db", str(bad)], input="/stop\n")
    assert result.exit_code == 2, result.output
    assert "Error: cannot open the cart database" in result.output and "move it aside" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", [["cart", "show"], ["serve", "--port", "0", "--workers", "2"]])
def test_commands_refuse_a_postgresql_server_that_is_down(command: list[str], monkeypatch) -> None:
    """Nothing listens on the port: one line naming the URL without its password, and the fix."""
    monkeypatch.setenv("VOICESKILL_DB", f"postgresql://shop:{PASSWORD}@127.0.0.1:{free_port()}/carts")
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2, result.output
    assert "Error: cannot reach the PostgreSQL server" in result.output and "postgresql://shop:***@127.0.0.1" in result.output
    assert "start it" in result.output and PASSWORD not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("url", [f"postgresql://shop:{PASSWORD}@[::1:1/carts",
                                 f"postgresql://shop:{PASSWORD}@127.0.0.1:notaport/carts",
                                 f"postgresql:///carts?host=/nonexistent&password={PASSWORD}"])
def test_a_bad_postgresql_url_is_refused_without_its_password(url: str) -> None:
    """libpq quotes a URL it cannot parse: the message shows it with `***` for the password."""
    _refused(url, "--db")


def test_a_refused_login_and_a_missing_database_name_the_fix(postgres) -> None:
    _refused(postgres.url("postgres", password="wrong-password"), "refused the login", "password")
    _refused(postgres.url("no_such_db"), "does not exist", "createdb")


def test_webhook_answers_503_when_the_database_stops_taking_writes(any_db: str) -> None:
    from voiceskill.webhook import create_app

    app = create_app({"catalog": str(Path(__file__).parent / "catalogs" / "spec.csv"), "db": any_db,
                      "alexa_verify": False})
    client = app.test_client()
    body = {"session": "projects/p/agent/sessions/s1", "responseId": "r1",
            "queryResult": {"queryText": "twee bananen"}}
    assert client.post("/dialogflow", json=body).status_code == 200
    store = app.extensions["voiceskill"].store
    before = snapshot(store)
    word = refuse_writes(store)
    body = {**body, "responseId": "r2", "queryResult": {"queryText": "drie appels"}}
    answer = client.post("/dialogflow", json=body)
    assert answer.status_code == 503 and "not applied" in answer.get_json()["error"]
    health = client.get("/healthz")
    assert health.status_code == 503 and word in health.get_json()["error"]
    assert PASSWORD not in health.get_data(as_text=True)
    assert snapshot(store) == before
    store.close()


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
