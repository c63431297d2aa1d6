"""Load test of the real webhook server on loopback: concurrent sessions, throughput,
p50/p99 latency, errors, and items lost (every session's cart is checked afterwards).

    python bench/webhook.py [--sessions 64] [--rate 500] [--turns 100] [--duration 30] [--threads 8]

Two runs tell the story: `--rate 500` (shoppers pausing between turns, 500 turns/s
offered in all) for latency, and `--rate 0` (no pauses at all) for the ceiling.

Starts `voiceskill serve` on 127.0.0.1 with a temporary database, drives it from
client processes (bounded in turns and seconds), stops it, prints a table and
writes JSON. Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = ("X-Bench-Secret", "bench")
SENTENCE = "een komkommer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def body(session: str, turn: int) -> bytes:
    """A Dialogflow ES request: one session, one user, a unique response id per turn."""
    return json.dumps({
        "responseId": f"{session}-{turn}", "session": f"projects/bench/agent/sessions/{session}",
        "queryResult": {"queryText": SENTENCE, "languageCode": "nl"},
        "originalDetectIntentRequest": {"payload": {"user": {"userId": session}}},
    }).encode()


def client(port: int, sessions: list[str], turns: int, deadline: float, interval: float, out: mp.Queue) -> None:
    """One process driving several sessions, each on its own keep-alive connection.

    With ``interval`` > 0 each session sends one turn per interval (open loop, like
    shoppers who pause between sentences); latency counts from the planned send time.
    """
    import threading

    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()

    def session_loop(session: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local = []
        offset = interval * (hash(session) % 1000) / 1000
        begin = time.perf_counter() + offset
        for turn in range(turns):
            if time.time() > deadline:
                break
            planned = begin + turn * interval
            pause = planned - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            start = planned if interval else time.perf_counter()
            try:
                conn.request("POST", "/dialogflow", body(session, turn),
                             {"Content-Type": "application/json", SECRET[0]: SECRET[1]})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local.append((session, (time.perf_counter() - start) * 1000, status))
        with lock:
            results.extend(local)

    threads = [threading.Thread(target=session_loop, args=(s,)) for s in sessions]
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((results, time.process_time() - cpu))


def wait_ready(port: int, workers: int = 1, timeout: float = 60) -> None:
    """Until ``workers`` distinct workers answer /healthz: the sessions' keep-alive connections are
    opened at the start, and the kernel spreads them only over workers already listening."""
    end = time.time() + timeout
    seen: set[str] = set()
    while time.time() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                seen.add(response.getheader("X-Voiceskill-Worker") or "1")
                if len(seen) >= workers:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not start ({len(seen)} of {workers} workers answered)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=64)
    parser.add_argument("--turns", type=int, default=100, help="turns per session (upper bound)")
    parser.add_argument("--duration", type=float, default=30, help="seconds (upper bound)")
    parser.add_argument("--threads", type=int, default=8, help="server threads")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--rate", type=float, default=500,
                        help="offered turns per second over all sessions (0: as fast as possible)")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "webhook.json"))
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (serve --workers)")
    parser.add_argument("--db", help="the server's database (default: a fresh SQLite file), e.g. postgresql://...")
    parser.add_argument("--postgres", action="store_true",
                        help="start a throwaway PostgreSQL cluster (tests/pg.py) and serve from it")
    args = parser.parse_args()

    port = free_port()
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        db: str = args.db or str(Path(tmp) / "bench.db")
        if args.postgres:
            sys.path.insert(0, str(ROOT / "tests"))
            from pg import Cluster

            cluster = Cluster().start()
            db = cluster.database()
        run = f"r{os.getpid()}x{int(time.time())}"
        server = subprocess.Popen(
            [sys.executable, "-m", "voiceskill.cli", "serve", "--port", str(port), "--threads", str(args.threads),
             "--workers", str(args.workers), "--db", db, "--secret-header", f"{SECRET[0]}={SECRET[1]}",
             "--no-alexa-verify"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            wait_ready(port, args.workers)
            time.sleep(2)  # the workers' own start-up work (template compiling) is done before the load
            sessions = [f"{run}s{i}" for i in range(args.sessions)]
            out: mp.Queue = mp.Queue()
            started = time.time()
            deadline = started + args.duration
            interval = args.sessions / args.rate if args.rate else 0.0
            procs = [mp.Process(target=client,
                                args=(port, sessions[i::args.clients], args.turns, deadline, interval, out))
                     for i in range(args.clients)]
            for proc in procs:
                proc.start()
            parts = [out.get() for _ in procs]
            for proc in procs:
                proc.join()
            elapsed = time.time() - started
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)
        results = [row for rows, _ in parts for row in rows]
        client_cpu = sum(cpu for _, cpu in parts)
        report = summarise(results, elapsed, db, args)
        report["client_cpu_share"] = round(client_cpu / elapsed / (os.cpu_count() or 1), 3)
        report["store"] = "postgresql" if db.startswith("postgresql") else "sqlite"
        report["workers"] = args.workers
        if cluster:
            cluster.close()
    print_table(report)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    print(f"wrote {args.json}")
    return 0 if report["errors"] == 0 and report["items_lost"] == 0 else 1


def summarise(results: list[tuple[str, float, int]], elapsed: float, db: str, args: argparse.Namespace) -> dict:
    from voiceskill.cart import CartStore

    store = CartStore(db)
    ok = [r for r in results if r[2] == 200]
    latencies = sorted(r[1] for r in results)
    expected = {s: sum(1 for r in ok if r[0] == s) for s in {r[0] for r in results}}
    lost = sum(abs(n - store.cart(f"dialogflow:user:{s}").get("komkommer", 0)) for s, n in expected.items())
    return {
        "sessions": args.sessions, "offered_rate": args.rate or "max", "server_threads": args.threads, "client_processes": args.clients,
        "turns": len(results), "seconds": round(elapsed, 2), "turns_per_s": round(len(results) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        "mean_ms": round(statistics.mean(latencies), 2), "errors": len(results) - len(ok), "items_lost": lost,
        "cpu_count": os.cpu_count(),
    }


def print_table(report: dict) -> None:
    keys = ["store", "workers", "sessions", "offered_rate", "turns", "seconds", "turns_per_s", "p50_ms", "p99_ms",
            "errors", "items_lost", "client_cpu_share"]
    widths = [max(13, len(k) + 2) for k in keys]
    print("".join(f"{k:>{w}}" for k, w in zip(keys, widths)))
    print("".join(f"{report[k]:>{w}}" for k, w in zip(keys, widths)))


if __name__ == "__main__":
    sys.exit(main())
