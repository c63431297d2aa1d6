"""The cart store and the webhook on a real PostgreSQL server (tests/pg.py): turns of one shopper from
several hosts (here: stores with their own connections) serialize, a retry is applied once whichever
host gets it, hosts starting together upgrade once, and a server restart costs at most one turn."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


from voiceskill import Assistant
from voiceskill.cart import SCHEMA_VERSION, CartStore
from voiceskill.dialogue import CartOp
from voiceskill.errors import StorageError


def together(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(0..count-1)`` in threads that start at the same moment; their results (exceptions re-raised)."""
    barrier = threading.Barrier(count)

    def started(n: int) -> object:
        barrier.wait()
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(started, range(count)))


def test_hosts_starting_together_on_a_new_database_upgrade_it_once(pg_url: str) -> None:
    stores = together(4, lambda n: CartStore(pg_url))
    assert [s.db.version() for s in stores] == [SCHEMA_VERSION] * 4
    assert stores[0].db.execute("SELECT count(*) FROM voiceskill_schema").fetchone()[0] == 1
    for store in stores:
        store.close()


def test_read_modify_write_turns_of_one_shopper_on_several_hosts_lose_nothing(pg_url: str) -> None:
    """Each turn reads the quantity and writes it plus one: without the per-user lock, turns overwrite each other."""
    hosts = [CartStore(pg_url) for _ in range(3)]

    def turns(n: int) -> None:
        store = hosts[n % len(hosts)]
        for _ in range(15):
            with store.transaction("anna"):
                quantity = store.cart("anna").get("cola", 0)
                store.apply("anna", [CartOp("set", "cola", quantity + 1)])

    together(6, turns)
    assert hosts[0].cart("anna") == {"cola": 90}
    batches = hosts[0].db.execute("""SELECT count(DISTINCT batch) FROM changes WHERE "user" = 'anna'""").fetchone()[0]
    assert batches == 90
    for store in hosts:
        store.close()


def test_a_retry_sent_to_two_hosts_at_once_is_applied_once(catalog, pg_url: str) -> None:
    hosts = [Assistant(catalog, pg_url) for _ in range(2)]
    for turn in range(10):
        results = together(2, lambda n, turn=turn: hosts[n].turn("een komkommer", user="bea", session="s",
                                                                 request_id=f"r{turn}"))
        assert results[0] == results[1]
    assert hosts[1].cart("bea") == {"komkommer": 10}
    assert len(hosts[0].store.log_entries("bea")) == 10
    for host in hosts:
        host.store.close()


def test_text_with_a_nul_character_is_stored(catalog, pg_url: str) -> None:
    """PostgreSQL text holds no NUL: such a turn is still stored (as U+FFFD), not a 503 for ever."""
    bot = Assistant(catalog, pg_url)
    assert bot.turn("twee bananen\x00", user="n\x00ul").cart == {"bananen": 2}
    assert bot.cart("n\x00ul") == {"bananen": 2}
    assert bot.store.log_entries("n\x00ul")[0]["text"] == "twee bananen\ufffd"
    bot.store.close()


def test_a_server_restart_costs_at_most_one_turn_and_then_reconnects(catalog, postgres, pg_url: str) -> None:
    bot = Assistant(catalog, pg_url)
    bot.turn("twee bananen", user="anna")
    postgres.pg_ctl("restart")
    failed = 0
    for _ in range(2):
        try:
            bot.turn("een komkommer", user="anna")
        except StorageError as exc:
            failed += 1
            assert "took no change" in str(exc) or "cannot reach" in str(exc), exc
    assert failed <= 1
    assert bot.cart("anna") == {"bananen": 2, "komkommer": 2 - failed}
    assert bot.store.write_problem() is None
    bot.store.close()


def test_the_catalog_example_database_path_is_untouched(tmp_path: Path, pg_url: str) -> None:
    """A PostgreSQL URL makes no file or folder anywhere (it is no path)."""
    import os

    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        CartStore(pg_url).close()
    finally:
        os.chdir(here)
    assert list(tmp_path.iterdir()) == []
