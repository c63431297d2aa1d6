"""`voiceskill serve --workers N` for real: N processes answer on one port, a killed one is replaced,
SIGTERM stops them all, and on one SQLite file (WAL) every cart is exact after concurrent turns."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from pg import free_port

from voiceskill.cart import CartStore

CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")
SECRET = ("X-S", "abc")


def start_server(port: int, db: str, *extra: str) -> subprocess.Popen:
    """`voiceskill serve` on loopback ``port`` with ``db``. Its output is read as it comes (a full pipe
    would block the parent and its workers in the middle of a log line), and returned by stop()."""
    server = subprocess.Popen([sys.executable, "-m", "voiceskill.cli", "serve", "--port", str(port), "--catalog",
                               CATALOG, "--db", db, "--secret-header", f"{SECRET[0]}={SECRET[1]}", "--no-alexa-verify",
                               *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    reader.start()
    server.output = (reader, lines)  # type: ignore[attr-defined]
    return server


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict, str]:
    """(status, JSON answer, the worker that answered) over a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None,
                     {"Content-Type": "application/json", SECRET[0]: SECRET[1]})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}"), response.getheader("X-Voiceskill-Worker") or ""
    finally:
        conn.close()


def wait_healthy(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and server.poll() is None:
        try:
            if call(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the server did not answer /healthz: {server.poll()}")


def stop(server: subprocess.Popen) -> str:
    """SIGTERM, then the output once it has exited (it must, by itself, within 30 s)."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    reader, lines = server.output  # type: ignore[attr-defined]
    reader.join(timeout=10)
    return "".join(lines)


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def dialogflow(session: str, user: str, turn: int, text: str = "een komkommer") -> dict:
    return {"responseId": f"{session}-{turn}", "session": f"projects/p/agent/sessions/{session}",
            "queryResult": {"queryText": text, "languageCode": "nl"},
            "originalDetectIntentRequest": {"payload": {"user": {"userId": user}}}}


def answering_workers(port: int, rounds: int = 40) -> set[str]:
    """Which workers answer when 8 clients ask at once (until two different ones have)."""
    seen: set[str] = set()
    for _ in range(rounds):
        answers: list[str] = []
        threads = [threading.Thread(target=lambda found=answers: found.append(call(port, "GET", "/healthz")[2]))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seen.update(answers)
        if len(seen) >= 2:
            break
    return seen


def test_two_workers_are_two_processes_a_killed_one_is_replaced_and_sigterm_stops_all(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(port, str(tmp_path / "w.db"), "--workers", "2", "--threads", "2")
    try:
        wait_healthy(port, server)
        first = children(server.pid)
        assert len(first) == 2, first
        assert answering_workers(port) == {"1", "2"}
        killed = min(first)
        os.kill(killed, signal.SIGKILL)
        end = time.monotonic() + 30
        while time.monotonic() < end and (len(children(server.pid)) != 2 or killed in children(server.pid)):
            time.sleep(0.1)
        second = children(server.pid)
        assert len(second) == 2 and killed not in second and max(first) in second
        wait_healthy(port, server)
        assert call(port, "POST", "/dialogflow", dialogflow("s1", "anna", 1))[0] == 200
    finally:
        output = stop(server)
    assert server.returncode == 0, output
    assert "with 2 workers of 2 threads" in output and "ended with exit -9; starting a new one" in output
    assert "worker 1 (pid" in output and "worker 2 (pid" in output and output.count(") stopped") == 2
    assert "voiceskill webhook stopped" in output and "Traceback" not in output
    assert not any(Path(f"/proc/{pid}").exists() for pid in second)


def shoppers(ports: list[int], users: int, threads: int, turns: int, errors: list[str]) -> None:
    """``threads`` sessions, each of user u<n % users>, sending ``turns`` turns, in turn to each of ``ports``."""

    def shop(n: int) -> None:
        for turn in range(turns):
            port = ports[(n + turn) % len(ports)]
            try:
                status, answer, _ = call(port, "POST", "/dialogflow", dialogflow(f"c{n}", f"u{n % users}", turn))
            except OSError as exc:   # no answer within call()'s 30 s, or the connection dropped
                status, answer = 0, repr(exc)
            if status != 200:
                errors.append(f"{status} {answer}")

    workers = [threading.Thread(target=shop, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


def test_two_workers_on_one_sqlite_file_lose_no_turn(tmp_path: Path) -> None:
    """SQLite's WAL lets several processes share the file: each turn waits for the write lock in turn.

    The first turns come all at once, as a worker's first requests: workers forked from a process that
    had built the app hung on a lock its template-compiling thread held at the fork."""
    port, db = free_port(), str(tmp_path / "shared.db")
    server = start_server(port, db, "--workers", "2", "--threads", "8")
    errors: list[str] = []
    try:
        wait_healthy(port, server)
        shoppers([port], users=4, threads=16, turns=6, errors=errors)
    finally:
        output = stop(server)
    assert errors == [] and server.returncode == 0, output
    assert "worker 1" in output and "worker 2" in output and "still running" not in output
    store = CartStore(db)
    assert [store.cart(f"dialogflow:user:u{k}") for k in range(4)] == [{"komkommer": 24}] * 4
