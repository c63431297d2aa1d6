"""Two real `voiceskill serve` servers (as on two hosts) on one PostgreSQL database: concurrent turns
for the same shoppers through both, each request also retried at the other server at the same moment;
afterwards every cart is exact and every retry counted once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pg import PASSWORD, free_port
from test_workers import call, dialogflow, start_server, stop, wait_healthy

from voiceskill.cart import CartStore

USERS, SESSIONS, TURNS = 4, 8, 10


def test_two_servers_on_one_database_keep_every_cart_exact(pg_url: str) -> None:
    ports = [free_port(), free_port()]
    servers = [start_server(ports[0], pg_url, "--workers", "2", "--threads", "4"),
               start_server(ports[1], pg_url, "--threads", "4")]
    errors: list[str] = []
    answered: set[tuple[int, str]] = set()
    lock = threading.Lock()

    def shopper(n: int) -> None:
        with ThreadPoolExecutor(2) as both:
            for turn in range(TURNS):
                body = dialogflow(f"c{n}", f"u{n % USERS}", turn)
                first, second = (ports[turn % 2], ports[1 - turn % 2])
                answers = list(both.map(lambda port, body=body: call(port, "POST", "/dialogflow", body), (first, second)))
                with lock:
                    answered.update((port, worker) for port, (_, _, worker) in zip((first, second), answers))
                if any(status != 200 for status, _, _ in answers) or answers[0][1] != answers[1][1]:
                    errors.append(f"{body['responseId']}: {answers}")

    outputs: list[str] = []
    try:
        for port, server in zip(ports, servers):
            wait_healthy(port, server)
        threads = [threading.Thread(target=shopper, args=(n,)) for n in range(SESSIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        outputs = [stop(server) for server in servers]
    assert errors == [], errors[:3]
    assert all(server.returncode == 0 and "Traceback" not in out for server, out in zip(servers, outputs)), outputs
    assert all("carts in postgresql://voiceskill:***@127.0.0.1" in out and PASSWORD not in out for out in outputs)
    assert {worker for port, worker in answered if port == ports[0]} == {"1", "2"}
    store = CartStore(pg_url)
    per_user = SESSIONS // USERS * TURNS
    assert [store.cart(f"dialogflow:user:u{k}") for k in range(USERS)] == [{"komkommer": per_user}] * USERS
    for k in range(USERS):
        assert len(store.log_entries(f"dialogflow:user:u{k}")) == per_user
    assert store.db.execute("SELECT count(*) FROM processed_requests").fetchone()[0] == SESSIONS * TURNS
    store.close()
