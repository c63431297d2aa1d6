"""`voiceskill serve` for real: waitress on loopback, access log, graceful stop on SIGTERM."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CATALOG = str(Path(__file__).parent / "catalogs" / "spec.csv")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: dict | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 {"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def wait_healthy(port: int) -> None:
    """Until the server on ``port`` answers /healthz (at most about 10 s)."""
    for _ in range(100):
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)


def test_serve_answers_logs_and_stops_gracefully(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "voiceskill.cli", "serve", "--port", str(port), "--threads", "4",
         "--catalog", CATALOG, "--db", str(tmp_path / "s.db"), "--secret-header", "X-S=abc"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(port)
        body = {"responseId": "r1", "session": "projects/p/agent/sessions/s1",
                "queryResult": {"queryText": "twee bananen"}}
        status, data = request(port, "POST", "/dialogflow", body, {"X-S": "abc"})
        assert status == 200 and "twee bananen" in data["fulfillmentText"]
        assert request(port, "POST", "/dialogflow", body)[0] == 401
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0
    assert '"POST /dialogflow" 200' in output and '"POST /dialogflow" 401' in output
    assert "stopped" in output and "Traceback" not in output


def test_idle_and_half_sent_connections_cannot_lock_others_out(tmp_path: Path) -> None:
    """More silent connections than the limit: the server closes them after the channel timeout and
    then answers `/healthz` again (waitress' defaults kept such clients for two minutes)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "voiceskill.cli", "serve", "--port", str(port), "--threads", "2",
         "--catalog", CATALOG, "--db", str(tmp_path / "s.db"), "--connection-limit", "10",
         "--channel-timeout", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    idle: list[socket.socket] = []
    try:
        wait_healthy(port)
        for n in range(15):
            sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            if n % 2:
                sock.sendall(b"POST /dialogflow HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
            idle.append(sock)
        closed = sum(sock.recv(1) == b"" for sock in idle[:10])
        assert closed == 10
        assert request(port, "GET", "/healthz")[0] == 200
    finally:
        for sock in idle:
            sock.close()
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    assert "at most 10 connections" in output and "Traceback" not in output
