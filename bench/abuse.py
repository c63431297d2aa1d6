"""Abuse run of the real webhook servers on loopback (issue 10, item 11): bounded and repeatable.

    python bench/abuse.py [--rounds 3] [--json bench/results/abuse.json] [--port 0]

Two `voiceskill serve` processes, each with a secret header and a temporary SQLite database: A with
Alexa verification off (and basic auth) for the JSON, type and byte probes of every platform, B with
verification on for the certificate probes. Every round sends each probe class; status codes are
counted, the database is compared before and after every request (an error answer must change
nothing), victims' carts and replies are checked, and /healthz of both is polled every ~20 ms.
Prints a table, writes JSON, exits 1 when an aim is missed (no 5xx, no change on an error answer,
no violation, no traceback in the logs, /healthz p99 < 100 ms). The client talks to loopback only;
server B itself tries (and offline fails) to download the made-up certificate URLs it is sent.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import itertools
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec" / "webhooks"
TEMPLATES = {"/dialogflow": "dialogflow_es/request_add_item.json", "/dialogflow-cx": "dialogflow_cx/request_add_item.json",
             "/actions": "actions_builder/request_add_item.json", "/alexa": "alexa/request_intent_completed.json"}
SECRET = (b"X-Voiceskill-Secret", b"s3cr3t")
HEADERS = {b"Content-Type": b"application/json", SECRET[0]: SECRET[1],
           b"Authorization": b"Basic " + base64.b64encode(b"df:pw")}
SKILL, SHOP, IDS = "amzn1.ask.skill.abuse", "twee bananen", itertools.count()
TABLES = ("cart_items", "changes", "orders", "order_items", "conversation_log", "sessions", "processed_requests")
WRONG: tuple[Any, ...] = (42, "x", ["x"], {"x": 1}, True, None, 1.5)
SPOILS = {  # error answers from the issue, and their neighbours: `field=JSON value`
    "/actions": ['session.params={"voiceskill_turn": "x"}', 'session.params=["not", "an", "object"]',
                 'session.params="x"', "scene.name=42", 'scene.name=["Winkelen"]', "session.id=7",
                 'intent.params=["x"]', 'intent.query={"q": 1}', "handler.name=5"],
    "/dialogflow-cx": ["pageInfo.currentPage=42", 'pageInfo.currentPage=["p"]', "pageInfo.currentPage={}",
                       'intentInfo.parameters=["x"]', "sessionInfo.session=5", "detectIntentResponseId=5",
                       "triggerEvent=5", 'text=["twee bananen"]'],
    "/dialogflow": ["responseId=5", "session=5", 'queryResult.parameters=["x"]', "queryResult.intent.displayName=5",
                    "queryResult.action=5", 'originalDetectIntentRequest.payload.inputs="x"',
                    "originalDetectIntentRequest.payload.user.userId=5"],
    "/alexa": ['session.attributes=["x"]', 'session.attributes="x"', "session.attributes=5", "session.sessionId=5",
               "request.requestId=5", "session.user.userId=5", 'request.intent="x"', "request.type=5"],
}
RPA = "request.intent.slots.tekst.resolutions.resolutionsPerAuthority="
MATCH = '[{"status": {"code": "ER_SUCCESS_MATCH"}, "values": '
ALEXA_ODD = [  # the Alexa intent, its slots and resolutions, and the envelope in shapes Alexa never sends
    *(f"request.intent.slots={v}" for v in ("[]", '"x"', "5", "null")),
    'request.intent.slots.tekst="twee bananen"', 'request.intent.slots.tekst=["twee bananen"]',
    *(f"request.intent.slots.tekst.value={v}" for v in ("5", '["twee bananen"]', '{"v": "twee bananen"}')),
    *(f"request.intent.slots.tekst.resolutions={v}" for v in ('"x"', "[]", "5")),
    *(RPA + v for v in ("{}", '"x"', "5", '["x"]', '[{"status": "x"}]', '[{"status": {"code": []}}]',
                        MATCH + '"x"}]', MATCH + '["x"]}]', MATCH + '[{"value": "x"}]}]', MATCH + '[{"value": {}}]}]',
                        MATCH + '[{"value": {"name": 5}}]}]', MATCH + '[{"value": {"name": ["x"]}}]}]')),
    "request.intent.name=5", 'request.intent.name=["BoodschapIntent"]', "request.intent=[]", 'session="x"',
    'session.user="x"', 'context="x"', "context.System=[]", 'session.new="x"', "request.dialogState=5",
    "request.locale=5", "version=5",
]
BAD_URLS = ["http://s3.amazonaws.com/echo.api/a.pem", "https://evil.example/echo.api/a.pem",
            "https://s3.amazonaws.com:8443/echo.api/a.pem", "https://s3.amazonaws.com/echo.api/../a.pem",
            "https://s3.amazonaws.com/echo.api/%2e%2e/a.pem", "https://u:p@s3.amazonaws.com/echo.api/a.pem",
            "https://s3.amazonaws.com:99999/echo.api/a.pem", "https://[::1/echo.api/a.pem", "s3.amazonaws.com/echo.api"]
NOPE = "https://s3.amazonaws.com/echo.api/nope-{}.pem"
Headers = dict[bytes, "bytes | None"]


@dataclass
class Tally:
    """What one probe class saw, on server ``server``, in the time ``windows`` it ran."""

    server: str
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    changed_on_error: int = 0
    violations: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)

    def record(self, status: int, label: str, changed: bool = False) -> None:
        """One answer; ``changed``: the database differs from before the request."""
        bad_change = changed and not 200 <= status < 300
        self.requests, self.changed_on_error = self.requests + 1, self.changed_on_error + bad_change
        self.statuses[status] += 1
        if (status >= 500 or bad_change) and len(self.examples) < 8:
            self.examples.append(f"{status}{' changed the db' if bad_change else ''}: {label}")


class Server:
    """One `voiceskill serve` subprocess with its own database and log file."""

    def __init__(self, name: str, tmp: Path, port: int, extra: list[str], headers: Headers) -> None:
        self.name, self.port, self.headers, self.db, self.log = name, port, headers, tmp / f"{name}.db", tmp / f"{name}.log"
        cmd = [sys.executable, "-m", "voiceskill.cli", "serve", "--port", str(port), "--db", str(self.db),
               "--secret-header", f"{SECRET[0].decode()}={SECRET[1].decode()}", *extra]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        self.ro: sqlite3.Connection | None = None

    def wait_ready(self, timeout: float = 60) -> None:
        end = time.time() + timeout
        while send(self.port, "/healthz", method="GET", timeout=2)[0] != 200:
            if self.proc.poll() is not None or time.time() > end:
                raise SystemExit(f"server {self.name} did not start:\n{self.log.read_text()}")
            time.sleep(0.1)
        self.ro = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, check_same_thread=False)

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table a turn may write (not `health`, which /healthz writes)."""
        assert self.ro is not None
        return {t: sorted(map(repr, self.ro.execute(f"SELECT * FROM {t}"))) for t in TABLES}

    def cart(self, like: str) -> list[tuple[str, int]]:
        assert self.ro is not None
        return sorted(self.ro.execute("SELECT product_id, quantity FROM cart_items WHERE user LIKE ?", (like,)))

    def stop(self) -> dict[str, Any]:
        """SIGTERM, then the exit code and any traceback in the log."""
        if self.ro is not None:
            self.ro.close()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        text = self.log.read_text(errors="replace")
        return {"exit_code": code, "tracebacks": text.count("Traceback"),
                "first_traceback": text[text.find("Traceback"):][:2000] if "Traceback" in text else ""}


def send(port: int, path: str, body: bytes = b"", headers: Headers | None = None, method: str = "POST",
         timeout: float = 10.0) -> tuple[int, bytes, float]:
    """One request on its own connection, bytes exactly as given: (status or 0, body, ms)."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    lines += [b"Content-Length: %d" % len(body)] if method == "POST" else []
    lines += [k + b": " + v for k, v in (headers or {}).items() if v is not None]
    started, chunks = time.perf_counter(), []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            try:
                sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            except OSError:
                pass  # a huge body: the server may answer 413 and close before it is all sent
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError:
        pass
    head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    found = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return (int(found.group(1)) if found else 0), payload, (time.perf_counter() - started) * 1000


def at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads at the same time; their results, in order."""
    out: list[Any] = [None] * len(jobs)
    threads = [threading.Thread(target=lambda i=i, job=job: out.__setitem__(i, job())) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def encode(body: bytes | dict[str, Any]) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def probe(t: Tally, server: Server, path: str, body: bytes | dict[str, Any], label: str,
          headers: Headers | None = None) -> tuple[int, bytes]:
    """Send one request, snapshotting the database before and after it."""
    before = server.snapshot()
    status, payload, _ = send(server.port, path, encode(body), {**server.headers, **(headers or {})})
    t.record(status, f"{path} {label}", server.snapshot() != before)
    return status, payload


def reply(path: str, payload: bytes) -> str:
    """The reply text in the platform's own answer format ('' when there is none)."""
    try:
        data = json.loads(payload)
        return str({"/dialogflow": lambda: data["fulfillmentText"],
                    "/dialogflow-cx": lambda: data["fulfillmentResponse"]["messages"][0]["text"]["text"][0],
                    "/actions": lambda: data["prompt"]["firstSimple"]["text"],
                    "/alexa": lambda: data["response"]["outputSpeech"]["ssml"]}[path]())
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def build(path: str, session: str, text: str = SHOP, rid: str = "", user: str | None = None) -> dict[str, Any]:
    """The platform's example request, valid, for ``text`` by ``user`` (None: no user id, session only)."""
    body = json.loads((SPEC / TEMPLATES[path]).read_text())
    if path == "/dialogflow":
        body.update(session=f"projects/p/agent/sessions/{session}", responseId=rid)
        body["queryResult"]["queryText"] = text
        body["originalDetectIntentRequest"]["payload"]["user"] = {"userId": user}
    elif path == "/dialogflow-cx":
        body.update(text=text, detectIntentResponseId=rid)
        body["sessionInfo"]["session"] = f"projects/p/locations/l/agents/a/sessions/{session}"
    elif path == "/actions":
        body["session"]["id"], body["session"]["params"]["nonce"], body["intent"]["query"] = session, rid, text
    else:
        body["session"].update(sessionId=session, user={"userId": user})
        body["context"]["System"]["user"] = {"userId": user}
        body["session"]["application"]["applicationId"] = body["context"]["System"]["application"]["applicationId"] = SKILL
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body["request"].update(requestId=rid, timestamp=stamp,
                               intent={"name": "BoodschapIntent", "slots": {"tekst": {"name": "tekst", "value": text}}})
    for holder in (body.get("originalDetectIntentRequest", {}).get("payload"), body.get("session"),
                   body.get("context", {}).get("System")):
        if user is None and isinstance(holder, dict):
            holder.pop("user", None)
    return body


def put(body: dict[str, Any], spoil: str, value: Any = None) -> dict[str, Any]:
    """Set the field ``spoil`` to ``value``, or ``spoil`` is `field=JSON value`; objects made on the way."""
    dotted, _, raw = spoil.partition("=")
    *parents, last = dotted.split(".")
    node = body
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = json.loads(raw) if raw else value
    return body


def paths(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every field of nested objects (not inside lists), in document order."""
    out: list[tuple[str, Any]] = []
    for key, value in node.items() if isinstance(node, dict) else ():
        out += [(prefix + key, value), *paths(value, prefix + key + ".")]
    return out


def rid(r: int) -> str:
    return f"r{r}-{next(IDS)}"


# -- the probe classes: each takes the two servers, the round and its tally -----------------------

def cross_user(a: Server, b: Server, r: int, t: Tally) -> None:
    """A session named like a user, or another shopper's request id, reaches nobody's cart or reply."""
    asks = ("wat zit er in mijn mandje", "maak mijn mandje leeg", "ja", "wat kost dat bij elkaar")
    for path, victim, sessions in (("/dialogflow", f"anna-{r}", ["user:", "projects/p/agent/sessions/user:", "dialogflow:user:"]),
                                   ("/alexa", f"amzn1.ask.account.anna-{r}", ["user:", "alexa:user:"])):
        key = f"{path.strip('/')}:user:{victim}"
        probe(t, a, path, build(path, f"own-{r}", "drie komkommers", rid(r), user=victim), "seed victim")
        seeded = a.cart(key)
        for session, text in itertools.product((s + victim for s in sessions), asks):
            body = {"session": session, "responseId": rid(r), "queryResult": {"queryText": text}} \
                if path == "/dialogflow" else build(path, session, text, rid(r))
            answer = reply(path, probe(t, a, path, body, f"session {session!r}: {text}")[1])
            if "komkommer" in answer:
                t.violations.append(f"{path} session {session!r} read {key}: {answer[:80]}")
        if a.cart(key) != seeded or not seeded:
            t.violations.append(f"{path}: {key} was {seeded}, is {a.cart(key)} after sessions named like it")
    for path in ("/dialogflow", "/dialogflow-cx", "/alexa"):
        shared = rid(r)
        first = reply(path, probe(t, a, path, build(path, f"anna-s-{r}", SHOP, shared, user=f"anna-{r}"), "anna")[1])
        for session, user in [(f"bob-s-{r}", f"bob-{r}")] + ([(f"anna-s-{r}", f"bob2-{r}")] if "cx" not in path else []):
            second = reply(path, probe(t, a, path, build(path, session, asks[0], shared, user=user), f"{user} reuses id")[1])
            if second == first or "banan" in second:
                t.violations.append(f"{path}: {user} reusing request id {shared} got anna's reply")


def error_answers(a: Server, b: Server, r: int, t: Tally) -> None:
    """Requests the issue found answered with an error after the cart changed, and their neighbours."""
    for n, (path, spoil) in enumerate((path, spoil) for path, spoils in SPOILS.items() for spoil in spoils):
        probe(t, a, path, put(build(path, f"spoil-{r}-{n}", SHOP, rid(r), user=f"spoil-{r}-{n}"), spoil), spoil)


def wrong_types(a: Server, b: Server, r: int, t: Tally) -> None:
    """The first 30 fields of each platform's request, each given a value of another type."""
    for path in TEMPLATES:
        for n, (dotted, original) in enumerate(paths(build(path, "x"))[:30]):
            wrong = [v for v in WRONG if type(v) is not type(original)][(n + r) % 6]
            body = put(build(path, f"wt-{r}-{n}", SHOP, rid(r), user=f"wt-{r}-{n}"), dotted, wrong)
            probe(t, a, path, body, f"{dotted}={json.dumps(wrong)}")


def broken_bodies(path: str, r: int) -> list[tuple[str, bytes]]:
    """Bodies that are no usable JSON object: too deep, too large, not Unicode, cut off."""
    good = json.dumps(build(path, f"bb-{r}", SHOP, rid(r), user=f"bb-{r}"), ensure_ascii=False).encode()
    field_ = lambda raw: good.replace(b"{", b"{" + raw + b", ", 1)  # noqa: E731
    return [("3000 nested objects", b'{"a":' * 3000 + b"1" + b"}" * 3000), ("5000 nested lists", b"[" * 5000 + b"]" * 5000),
            ("30000 nested lists", b"[" * 30000 + b"]" * 30000), ("a value 100 deep", field_(b'"x": ' + b"[" * 100 + b"]" * 100)),
            ("lone surrogate in text", encode(build(path, f"bb-{r}", SHOP + " \ud800", rid(r)))),
            ("lone surrogate session", encode(build(path, "\udfff", SHOP, rid(r)))), ("lone surrogate key", field_(b'"\\ud800": 1')),
            ("invalid UTF-8", good.replace(b"bananen", b"banan\xff\xfeen")),
            ("overlong UTF-8", good.replace(b"bananen", b"banan\xc0\xafen")),
            ("cut UTF-8", good.replace(b"bananen", b"bananen\xc3")), ("UTF-8 BOM", b"\xef\xbb\xbf" + good),
            *((f"truncated at {k}", good[:k]) for k in (1, len(good) // 3, len(good) // 2, len(good) - 1)),
            ("empty", b""), ("null", b"null"), ("a list", b"[1, 2]"), ("1e999", field_(b'"n": 1e999')),
            ("NaN", field_(b'"n": NaN')), ("10000 digits", field_(b'"n": ' + b"9" * 10000)),
            ("70 KiB", field_(b'"pad": "' + b"a" * 70_000 + b'"')), ("2 MiB", field_(b'"pad": "' + b"a" * 2_000_000 + b'"'))]


def bad_bytes(a: Server, b: Server, r: int, t: Tally) -> None:
    """Broken bodies on every endpoint; non-ASCII or malformed credentials on the protected ones."""
    for path in TEMPLATES:
        for label, raw in broken_bodies(path, r):
            probe(t, a, path, raw, label)
    secrets = [{SECRET[0]: v} for v in (b"\xc3\xa9", b"\xff", b"s3cr3t\xe9", b"s3cr3t\x00", b"")]
    auths = [{b"Authorization": v} for v in (b"Basic " + base64.b64encode(b"df:\xc3\xa9"), b"Basic \xc3\xa9", b"Basic \xff",
                                             b"Basic " + base64.b64encode(b"df:\xff"), b"Basic " + base64.b64encode(b"\xff:pw"),
                                             b"Basic ####", b"Bearer x", b"")]
    for path, headers in itertools.product(("/dialogflow", "/dialogflow-cx", "/actions"), secrets + auths):
        status, _ = probe(t, a, path, build(path, f"cred-{r}", SHOP, rid(r)), f"headers {headers!r}", headers)
        if 200 <= status < 300:
            t.violations.append(f"{path} accepted the credentials {headers!r}")
    for path in ("/dialogflow", "/alexa"):
        probe(t, a, path, build(path, f"hdr-{r}", SHOP, rid(r)), "header name X-\\xc3\\xa9", {b"X-\xc3\xa9": b"1"})


def alexa_shapes(a: Server, b: Server, r: int, t: Tally) -> None:
    """Slots, resolutions and the envelope in shapes Alexa never sends."""
    for n, odd in enumerate(ALEXA_ODD):
        probe(t, a, "/alexa", put(build("/alexa", f"odd-{r}-{n}", SHOP, rid(r), user=f"odd-{r}-{n}"), odd), odd)


def signed(url: str | bytes, signature: bytes | None = None) -> Headers:
    """Verification headers: a certificate URL and a (never valid) Signature-256."""
    raw = url.encode() if isinstance(url, str) else url
    return {b"SignatureCertChainUrl": raw, b"Signature-256": signature or base64.b64encode(os.urandom(256))}


def alexa_cert(a: Server, b: Server, r: int, t: Tally) -> None:
    """Unsigned, bad-URL, stale and foreign requests are refused before any download; downloads hold no one."""
    body = lambda: encode(build("/alexa", f"cert-{r}", SHOP, rid(r), user=f"cert-{r}"))  # noqa: E731
    stale, other = build("/alexa", f"cert-{r}", SHOP, rid(r)), build("/alexa", f"cert-{r}", SHOP, rid(r))
    stale["request"]["timestamp"] = "2020-01-01T00:00:00Z"
    other["session"]["application"]["applicationId"] = "amzn1.ask.skill.other"
    no_download = [*((f"unsigned {n}", body(), {b"SignatureCertChainUrl": NOPE.format(f"{r}-u{n}").encode()}) for n in range(20)),
                   ("legacy Signature only", body(), {b"SignatureCertChainUrl": NOPE.format(r).encode(), b"Signature": b"AAAA"}),
                   ("no verification headers", body(), {}), *((f"cert URL {u}", body(), signed(u)) for u in BAD_URLS),
                   ("stale timestamp", encode(stale), signed(NOPE.format(f"{r}-s"))),
                   ("another skill", encode(other), signed(NOPE.format(f"{r}-o")))]
    for label, raw, headers in no_download:
        _, payload = probe(t, b, "/alexa", raw, label, headers)
        if b"download" in payload or b"verification failed" not in payload:
            t.violations.append(f"{label}: not refused before a download: {payload[:120]!r}")
    for n, (label, raw) in enumerate(broken_bodies("/alexa", r)[:12]):
        probe(t, b, "/alexa", raw, f"signed-looking, {label}", signed(NOPE.format(f"{r}-b{n}")))
    for headers in (signed(b"https://s3.amazonaws.com/echo.api/\xc3\xa9.pem"), signed(NOPE.format(r), b"\xc3\xa9"),
                    signed(NOPE.format(r), b"A" * 5000), signed(NOPE.format(r), b"====")):
        probe(t, b, "/alexa", body(), f"headers {headers!r}"[:100], headers)
    # The lever: distinct certificate URLs downloading at once from 8 threads, while unsigned requests go on.
    before, stop, held, tried = b.snapshot(), threading.Event(), [], []

    def bystander() -> None:
        for n in itertools.count():
            if stop.wait(0.01):
                return
            held.append(send(b.port, "/alexa", body(), {**b.headers, b"SignatureCertChainUrl": NOPE.format(f"{r}-y{n}").encode()}))

    def lever(n: int) -> None:
        for k in (0, 1, 0):  # the third is a URL that failed: answered from the negative cache
            tried.append(send(b.port, "/alexa", body(), {**b.headers, **signed(NOPE.format(f"{r}-l{n}-{k}"))}))

    watcher = threading.Thread(target=bystander)
    watcher.start()
    at_once([lambda n=n: lever(n) for n in range(8)])
    stop.set()
    watcher.join()
    for status, _, _ in tried + held:
        t.record(status, "concurrent certificate probe")
    if b.snapshot() != before:
        t.changed_on_error += 1
        t.examples.append("the concurrent certificate probes changed the database")
    slowest = max(ms for _, _, ms in held)
    answers = Counter(re.sub(rb".*failed: |\"}.*|nope-[^ ]*", b"", p, flags=re.S).decode()[:40] for _, p, _ in tried)
    t.notes.append(f"{len(tried)} signed-looking ({dict(answers)}, slowest {max(ms for _, _, ms in tried):.0f} ms), "
                   f"{len(held)} unsigned alongside (slowest {slowest:.0f} ms)")
    if slowest > 1000:
        t.violations.append(f"an unsigned request waited {slowest:.0f} ms while certificate downloads ran")


def connections(a: Server, b: Server, r: int, t: Tally) -> None:
    """150 idle and half-sent connections held open for 2 s while a shopper and /healthz carry on."""
    partial = [b"", b"POST /dialogflow HTTP/1.1\r\nHost: x\r\n",
               b'POST /dialogflow HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"session"']
    socks = [socket.create_connection(("127.0.0.1", a.port), timeout=5) for _ in range(150)]
    for n, sock in enumerate(socks):
        sock.sendall(partial[n % 3])
    end = time.time() + 2.0
    while time.time() < end:
        body = encode(build("/dialogflow", f"conn-{r}", SHOP, rid(r), user=f"conn-{r}"))
        t.record(send(a.port, "/dialogflow", body, a.headers)[0], "a shopper while 150 connections hang")
        time.sleep(0.05)
    for sock in socks:
        sock.close()
    t.notes[:] = ["150 connections held 2 s: 50 idle, 50 with half the headers, 50 with half a body"]


def retries(a: Server, b: Server, r: int, t: Tally) -> None:
    """The same request 5 times, in a row and at once, changes the cart once and gets one reply."""
    for path, mode in itertools.product(TEMPLATES, ("in a row", "at once")):
        name = f"retry-{r}-{mode.replace(' ', '')}-{path.strip('/')}"
        raw = encode(build(path, name, SHOP, rid(r), user=name))
        if mode == "in a row":
            answers = [probe(t, a, path, raw, f"retry {n + 1} of 5")[1] for n in range(5)]
        else:
            out = at_once([lambda: send(a.port, path, raw, a.headers)] * 5)
            for status, _, _ in out:
                t.record(status, f"{path} concurrent retry")
            answers = [payload for _, payload, _ in out]
        if a.cart(f"%{name}") != [("bananen", 2)] or len({reply(path, p) for p in answers}) != 1:
            t.violations.append(f"{path} {mode}: 5 copies left {a.cart(f'%{name}')}, {len(set(answers))} replies")


CLASSES = {"cross_user": cross_user, "error_answers": error_answers, "wrong_types": wrong_types, "bad_bytes": bad_bytes,
           "alexa_shapes": alexa_shapes, "alexa_cert": alexa_cert, "connections": connections, "retries": retries}


class Poller(threading.Thread):
    """GET /healthz every ~20 ms, each on a new connection as a load balancer's probe; failures counted apart."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.samples, self.failures = port, threading.Event(), [], 0

    def run(self) -> None:
        while not self.stop.wait(0.02):
            started = time.perf_counter()
            status, _, ms = send(self.port, "/healthz", method="GET", timeout=2)
            if status == 200:
                self.samples.append((started, ms))
            self.failures += status != 200

    def stats(self, windows: list[tuple[float, float]] | None = None) -> dict[str, Any]:
        ms = sorted(m for s, m in self.samples if windows is None or any(a <= s <= b for a, b in windows))
        pick = lambda q: round(ms[min(len(ms) - 1, int(len(ms) * q))], 2) if ms else None  # noqa: E731
        return {"polls": len(ms), "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": pick(1.0),
                **({"failures": self.failures} if windows is None else {})}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times every probe class runs (fresh ids each round)")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "abuse.json"))
    parser.add_argument("--port", type=int, default=0, help="port of server A; B takes the next one (0: free ports)")
    args = parser.parse_args()
    ports = [args.port, args.port + 1] if args.port else [free_port(), free_port()]
    tallies = {name: Tally("b" if name == "alexa_cert" else "a") for name in CLASSES}
    started, pollers = time.time(), {}
    with tempfile.TemporaryDirectory(prefix="voiceskill-abuse-") as tmp:
        servers = {"a": Server("a", Path(tmp), ports[0], ["--no-alexa-verify", "--auth", "df:pw"], HEADERS),
                   "b": Server("b", Path(tmp), ports[1], ["--alexa-skill-id", SKILL], {b"Content-Type": b"application/json"})}
        try:
            for server in servers.values():
                server.wait_ready()
            pollers = {name: Poller(server.port) for name, server in servers.items()}
            for poller in pollers.values():
                poller.start()
            for r, (name, run) in itertools.product(range(args.rounds), CLASSES.items()):
                begin = time.perf_counter()
                run(servers["a"], servers["b"], r, tallies[name])
                tallies[name].windows.append((begin, time.perf_counter()))
        finally:
            for poller in pollers.values():
                poller.stop.set()
                poller.join()
            logs = {name: server.stop() for name, server in servers.items()}
    report = summarise(tallies, pollers, logs, args.rounds, time.time() - started)
    print_table(report)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.json}")
    return 0 if all(report["aims"].values()) else 1


def summarise(tallies: dict[str, Tally], pollers: dict[str, Poller], logs: dict[str, Any], rounds: int,
              seconds: float) -> dict[str, Any]:
    classes = {name: {
        "server": t.server, "requests": t.requests, "statuses": {str(k): v for k, v in sorted(t.statuses.items())},
        "server_errors": sum(v for k, v in t.statuses.items() if k >= 500), "no_answer": t.statuses.get(0, 0),
        "changed_on_error": t.changed_on_error, "violations": t.violations, "examples": t.examples, "notes": t.notes,
        "healthz": pollers[t.server].stats(t.windows)} for name, t in tallies.items()}
    healthz = {name: poller.stats() for name, poller in pollers.items()}
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "rounds": rounds, "seconds": round(seconds, 1),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "classes": classes, "healthz": healthz, "servers": logs,
        "aims": {"no_5xx": all(c["server_errors"] == 0 for c in classes.values()),
                 "no_change_on_error": all(c["changed_on_error"] == 0 for c in classes.values()),
                 "no_violation": all(not c["violations"] for c in classes.values()),
                 "no_traceback": all(log["tracebacks"] == 0 for log in logs.values()),
                 "healthz_p99_under_100ms": all((h["p99_ms"] or 1e9) < 100 and not h["failures"] for h in healthz.values())},
    }


def print_table(report: dict[str, Any]) -> None:
    print(f"{'class':<14}{'requests':>9}  {'status codes':<36}{'5xx':>4}{'changed on error':>18}{'violations':>11}"
          f"{'healthz p99':>13}  notes")
    for name, c in report["classes"].items():
        codes = " ".join(f"{k}×{v}" for k, v in c["statuses"].items())
        notes = "; ".join(c["notes"][-1:] + c["examples"][:2] + c["violations"][:2])
        print(f"{name:<14}{c['requests']:>9}  {codes:<36}{c['server_errors']:>4}{c['changed_on_error']:>18}"
              f"{len(c['violations']):>11}{str(c['healthz']['p99_ms']) + ' ms':>13}  {notes}")
    for name, h in report["healthz"].items():
        print(f"/healthz of server {name}: {h['polls']} polls, p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, "
              f"max {h['max_ms']} ms, {h['failures']} failures or timeouts")
    for name, log in report["servers"].items():
        print(f"server {name}: exit code {log['exit_code']}, {log['tracebacks']} tracebacks in its log")
    print("aims: " + ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in report["aims"].items())
          + f"  ({report['rounds']} rounds, {report['seconds']} s)")


if __name__ == "__main__":
    sys.exit(main())
