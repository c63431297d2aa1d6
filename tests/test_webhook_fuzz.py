"""A request fuzzer for the four webhooks (issue 10, items 2 and 3).

Every request starts as a platform's example request carrying a shopping sentence, then is spoilt:
fields replaced by values of other types and odd Unicode, fields deleted, values nested deeply,
the body's bytes broken (invalid UTF-8, truncated, NaN, huge numbers), the secret header wrong or
non-ASCII. Whatever arrives: never a 5xx, no traceback or exception name in the answer or the log,
and an answer that is not 2xx leaves the database (carts, log, states, stored replies) byte for byte
as it was.
"""

from __future__ import annotations

import base64
import builtins
import copy
import json
import logging
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from test_webhook import CATALOG, PLATFORMS, SECRET, SPEC, Platform  # tests/ is on sys.path (rootdir-style)
from voiceskill.webhook import create_app
from voiceskill.webhook.platform import MAX_DEPTH

pytestmark = pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/spec/webhooks is not beside this checkout")

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
SHOPPING = "twee bananen"
SECRET_ENV = "HTTP_" + SECRET[0].upper().replace("-", "_")
EXCEPTION_NAMES = {name for name, obj in vars(builtins).items()
                   if isinstance(obj, type) and issubclass(obj, BaseException)}
EXCEPTION_NAMES |= {"JSONDecodeError", "OperationalError", "IntegrityError", "WebhookError", "VoiceskillError",
                    "StorageError", "HTTPException", "BadRequest"}
LEAK = re.compile(r"Traceback|File \"|\b(" + "|".join(sorted(EXCEPTION_NAMES)) + r")\b")


# -- the app, its database and one checked exchange ------------------------------------------------

@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory):
    """One app for the whole file (building one loads the catalog): the checks compare before and after."""
    db = tmp_path_factory.mktemp("fuzz") / "w.db"
    app = create_app({"catalog": CATALOG, "db": str(db), "secret_header": SECRET, "alexa_verify": False})
    return app, db


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory):
    """The same with HTTP basic authentication instead of the secret header."""
    db = tmp_path_factory.mktemp("basic") / "b.db"
    return create_app({"catalog": CATALOG, "db": str(db), "basic_auth": ("df", "pw")}), db


def snapshot(db: Path) -> list[str]:
    """Every table as SQL, read from the file itself; without `health`, which /healthz rewrites."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [line for line in conn.iterdump()
                if not re.match(r'(CREATE TABLE|INSERT INTO) \W?health\W', line)]
    finally:
        conn.close()


@dataclass(frozen=True)
class Sent:
    status: int
    data: bytes
    changed: bool


def exchange(app, db: Path, caplog: pytest.LogCaptureFixture, url: str, raw: bytes,
             content_type: str | None = "application/json", environ: dict[str, str] | None = None) -> Sent:
    """POST ``raw`` (with the right secret unless ``environ`` says otherwise) and check the promises of
    issue 10 that hold for every request whatsoever."""
    caplog.clear()
    before = snapshot(db)
    response = app.test_client().post(url, data=raw, content_type=content_type,
                                      environ_overrides={SECRET_ENV: SECRET[1]} if environ is None else environ)
    after = snapshot(db)
    data = response.get_data()
    shown = data.decode("utf-8", "replace")
    assert response.status_code < 500, shown
    assert not LEAK.search(shown), shown
    assert response.is_json and isinstance(response.get_json(), dict), shown
    logged = [f"{r.levelname} {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert logged == [], logged
    if not 200 <= response.status_code < 300:
        assert isinstance(response.get_json().get("error"), str), shown
        assert after == before, f"{response.status_code} {shown} changed the database"
    return Sent(response.status_code, data, after != before)


# -- values to put where the adapter expects something else -----------------------------------------

@dataclass(frozen=True)
class Raw:
    """JSON text put into the body as it is: what json.dumps cannot or will not write."""

    text: str


ODD = ["\ud800", "\udfff", "\udc80", "\x00", "\u200f", "\u202e", "\u2066", "\ufeff", "\u0301", "\uffff",
       "\U0010ffff", "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f1f3\U0001f1f1",
       "e\u0301", "\r\n\t", "\\", '"', "</speak>&<", "ﬃ", "İ", "ß", "\u00a0",
       "None", "null", "{}", "1e999"]
odd_chars = st.lists(st.sampled_from(ODD) | st.characters(codec=None), min_size=1, max_size=6).map("".join)
odd_text = st.one_of(
    st.text(max_size=30),
    odd_chars,
    st.tuples(odd_chars, st.booleans()).map(lambda t: f"{SHOPPING} {t[0]}" if t[1] else f"{t[0]} {SHOPPING}"),
    st.integers(1, 12).map(lambda n: f"{SHOPPING} " * (n * 300)),   # long, but the body stays below 64 KiB
    st.sampled_from(["", " ", "\x00", "ja", "nee", "dat was het", "maak mijn mandje leeg",
                     "praat met de boodschappenhulp"]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**80, 2**80),
                    st.floats(allow_nan=True, allow_infinity=True), odd_text)
raws = st.one_of(
    st.sampled_from(["NaN", "-NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1E-400", "-0", "0.0e0",
                     "1" * 5000, "-" + "9" * 4301, "1" * 4300, '"\\ud800"', '"\\udc80x"', '"\\u0000"',
                     '"a\\ud83d\\ude00b"', "[]", "{}", '{"": null}']),
    st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3).map(lambda n: Raw("[" * n + "]" * n)),
    st.integers(1, 3000).map(lambda n: Raw("[" * n + "]" * n)),
    st.integers(sys.getrecursionlimit() - 40, sys.getrecursionlimit()).map(lambda n: Raw("[" * n + "]" * n)),
    st.integers(1, 1500).map(lambda n: Raw('{"a":' * n + "1" + "}" * n)),
).map(lambda v: v if isinstance(v, Raw) else Raw(v))
values = st.one_of(
    scalars,
    st.recursive(scalars, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(odd_text, kids, max_size=3),
                 max_leaves=6),
    raws,
)


# -- mutations of a platform's request ---------------------------------------------------------------

def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """The path of every value in a JSON document (the root excluded)."""
    found: list[tuple] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append(prefix + (key,))
        found.extend(paths(child, prefix + (key,)))
    return found


def parent(body: Any, path: tuple) -> Any:
    """The container holding ``path``'s last step, or None when an earlier mutation removed the way."""
    node = body
    for step in path[:-1]:
        if isinstance(node, dict) and step in node or isinstance(node, list) and isinstance(step, int) \
                and step < len(node):
            node = node[step]
        else:
            return None
    last = path[-1]
    if isinstance(node, dict) or isinstance(node, list) and isinstance(last, int) and last < len(node):
        return node
    return None


def mutate(body: dict[str, Any], mutation: tuple) -> None:
    kind, path, *rest = mutation
    holder = parent(body, path)
    if holder is None:
        return
    if kind == "set":
        holder[path[-1]] = rest[0]
    elif kind == "delete" and (isinstance(holder, dict) and path[-1] in holder or isinstance(holder, list)):
        del holder[path[-1]]
    elif kind == "nest" and (isinstance(holder, list) or path[-1] in holder):
        depth, as_list = rest
        value = holder[path[-1]]
        for _ in range(depth):
            value = [value] if as_list else {"x": value}
        holder[path[-1]] = value


def serialise(body: Any, ascii_only: bool) -> bytes:
    """The body as bytes; `Raw` values verbatim, lone surrogates as bytes that are no UTF-8 when not escaped."""
    raws: list[str] = []

    def mark(node: Any) -> Any:
        if isinstance(node, Raw):
            raws.append(node.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(node, dict):
            return {k: mark(v) for k, v in node.items()}
        if isinstance(node, list):
            return [mark(v) for v in node]
        return node

    text = json.dumps(mark(body), ensure_ascii=ascii_only)
    text = re.sub(r'"@@raw(\d+)@@"', lambda m: raws[int(m.group(1))], text)
    return text.encode("utf-8", "surrogatepass")


broken_bytes = st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00",
                                b"\xef\xbb\xbf", b"\x80", b"\xc0\xaf"]) | st.binary(min_size=1, max_size=4)


@st.composite
def corrupt(draw, raw: bytes) -> bytes:
    """The body's bytes, mostly as they are, sometimes broken."""
    how = draw(st.sampled_from(["keep"] * 16 + ["cut", "insert", "garbage", "wrap", "utf16", "bom", "tail", "nest"]))
    at = len(raw) * draw(st.integers(0, 1000)) // 1000   # a share, not an index: the ids' length varies
    if how == "cut":
        return raw[:at]
    if how == "insert":
        return raw[:at] + draw(broken_bytes) + raw[at:]
    if how == "garbage":
        return draw(st.binary(max_size=64))
    if how == "wrap":
        return b"[" + raw + b"]"
    if how == "utf16":
        return raw.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass")
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    if how == "tail":
        return raw + draw(st.sampled_from([b"x", b"}", b",", b" NaN", b"\x00"]))
    if how == "nest":
        depth = draw(st.integers(1, 2000))
        return b'{"x":' * depth + raw + b"}" * depth
    return raw


SHOPPERS = {url: Platform(url, PLATFORMS[url], session=f"fuzz-{url.strip('/')}") for url in PLATFORMS}
"""One request builder per platform for the whole run: every request it builds has a new request id."""
TEXT_PATHS = {"/dialogflow": ("queryResult", "queryText"), "/dialogflow-cx": ("text",),
              "/actions": ("intent", "query"),
              "/alexa": ("request", "intent", "slots", "tekst", "value")}
READS = {
    "/dialogflow": ["session", "queryResult", "queryResult.queryText", "queryResult.action", "queryResult.intent",
                    "queryResult.intent.displayName", "queryResult.parameters", "queryResult.parameters.product",
                    "originalDetectIntentRequest.payload.inputs", "originalDetectIntentRequest.payload.inputs.0",
                    "originalDetectIntentRequest.payload.inputs.0.intent", "originalDetectIntentRequest.payload.user",
                    "originalDetectIntentRequest.payload.user.userId", "responseId"],
    "/dialogflow-cx": ["sessionInfo", "sessionInfo.session", "text", "transcript", "intentInfo",
                       "intentInfo.displayName", "intentInfo.parameters", "intentInfo.parameters.product",
                       "intentInfo.parameters.product.resolvedValue", "triggerEvent", "detectIntentResponseId",
                       "pageInfo", "pageInfo.currentPage"],
    "/actions": ["session", "session.id", "session.params", "session.params.voiceskill_turn", "session.params.cart_id",
                 "intent", "intent.params", "intent.params.product", "intent.params.product.resolved", "intent.query",
                 "intent.name", "handler", "handler.name", "scene", "scene.name"],
    "/alexa": ["request", "request.type", "request.requestId", "request.intent", "request.intent.name",
               "request.intent.slots", "request.intent.slots.tekst", "request.intent.slots.tekst.value",
               "request.intent.slots.tekst.resolutions",
               "request.intent.slots.tekst.resolutions.resolutionsPerAuthority",
               "request.intent.slots.tekst.resolutions.resolutionsPerAuthority.0",
               "request.intent.slots.tekst.resolutions.resolutionsPerAuthority.0.status",
               "request.intent.slots.tekst.resolutions.resolutionsPerAuthority.0.status.code",
               "request.intent.slots.tekst.resolutions.resolutionsPerAuthority.0.values",
               "session", "session.sessionId", "session.user", "session.user.userId", "session.attributes",
               "session.attributes.cart_id", "session.application.applicationId", "context.System.user.userId"],
}
"""Every field each adapter reads, for the request or for its answer: mutated more often than the rest."""


def request(url: str) -> dict[str, Any]:
    """The platform's request for the shopping sentence, with a new request id each time; Alexa's slot
    also carries an entity resolution that did not match, so the fuzzer finds that part to spoil too."""
    body = SHOPPERS[url].request(SHOPPING)
    if url == "/alexa":
        body["request"]["intent"]["slots"]["tekst"]["resolutions"] = {"resolutionsPerAuthority": [
            {"authority": "amzn1.er-authority.echo-sdk.tekst", "status": {"code": "ER_SUCCESS_NO_MATCH"},
             "values": [{"value": {"name": "bananen", "id": "bananen"}}]}]}
    return body


def steps(dotted: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in dotted.split("."))


@dataclass(frozen=True)
class Case:
    mutations: tuple
    ascii_only: bool
    content_type: str | None
    secret: str | None
    """The secret header's value as WSGI gives it (latin-1 text of the bytes sent); None: no header."""


wrong_secrets = st.one_of(
    st.none(), st.just(""), st.just(SECRET[1].upper()), st.just(SECRET[1] + " "), st.just(SECRET[1][:-1]),
    st.just(SECRET[1] + "\x00"), st.just(SECRET[1] + "é".encode().decode("latin-1")),
    st.binary(max_size=12).map(lambda b: b.decode("latin-1")),
    st.text(max_size=8).filter(lambda s: "\n" not in s and "\r" not in s),
    odd_chars.filter(lambda s: "\n" not in s and "\r" not in s),
    odd_chars.map(lambda s: SECRET[1] + s.replace("\r", "").replace("\n", "")),
)
secrets = st.one_of(st.just(SECRET[1]), st.just(SECRET[1]), st.just(SECRET[1]), wrong_secrets)


def requests_for(url: str) -> st.SearchStrategy[Case]:
    where = st.sampled_from(paths(request(url))) | st.sampled_from([steps(p) for p in READS[url]])
    mutation = st.one_of(
        st.tuples(st.just("set"), where, values),
        st.tuples(st.just("delete"), where),
        st.tuples(st.just("nest"), where, st.integers(1, 2 * MAX_DEPTH), st.booleans()),
        st.tuples(st.just("set"), st.just(TEXT_PATHS[url]), odd_text),
    )
    return st.builds(Case, st.lists(mutation, max_size=3).map(tuple), st.booleans(),
                     st.sampled_from(["application/json"] * 4 + ["application/json; charset=latin-1", "text/plain",
                                                                  "application/x-www-form-urlencoded", None]),
                     secrets)


STRATEGIES = {url: requests_for(url) for url in PLATFORMS}


# -- the properties -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", PLATFORMS)
@FUZZ
@given(data=st.data())
def test_no_request_gets_a_5xx_and_an_error_changes_nothing(fuzzed, caplog, url: str, data) -> None:
    app, db = fuzzed
    case = data.draw(STRATEGIES[url])
    body = request(url)   # a new request id: a mutated request is a new turn, not a retry
    for mutation in case.mutations:
        mutate(body, copy.deepcopy(mutation))
    raw = data.draw(corrupt(serialise(body, case.ascii_only)))
    environ = {} if case.secret is None else {SECRET_ENV: case.secret}
    sent = exchange(app, db, caplog, url, raw, case.content_type, environ)
    event(f"{sent.status}{' and a turn stored' if sent.changed else ''}")   # --hypothesis-show-statistics
    if url != "/alexa" and case.secret != SECRET[1]:
        assert sent.status in (401, 413) and not sent.changed   # a body over 64 KiB is refused before it is read


@FUZZ
@given(token=st.one_of(st.binary(max_size=24).map(lambda b: "Basic " + base64.b64encode(b).decode()),
                       st.binary(max_size=24).map(lambda b: b.decode("latin-1")),
                       st.sampled_from(["Basic", "Basic ", "Basic ===", "Bearer x", 'Digest username="df"',
                                        "Basic " + base64.b64encode("df:pw\u00e9".encode()).decode(),
                                        "Basic " + base64.b64encode("df:p\udc80w".encode("utf-8", "surrogatepass"))
                                        .decode()])))
def test_basic_auth_refuses_whatever_is_not_the_password(basic, caplog, token: str) -> None:
    app, db = basic
    body = json.dumps(Platform("/dialogflow", PLATFORMS["/dialogflow"], "basic").request(SHOPPING)).encode()
    sent = exchange(app, db, caplog, "/dialogflow", body, environ={"HTTP_AUTHORIZATION": token})
    assert sent.status == 401 or token == "Basic " + base64.b64encode(b"df:pw").decode()


def test_the_checks_catch_a_crash_and_a_half_applied_turn(fuzzed, caplog, monkeypatch) -> None:
    """The fuzzer's net holds: a 500 fails it, and so does an error answered after the turn was stored."""
    app, db = fuzzed
    body = json.dumps(Platform("/alexa", PLATFORMS["/alexa"], "net").request(SHOPPING)).encode()
    monkeypatch.setattr(app.extensions["voiceskill"], "turn", lambda *a, **k: 1 / 0)
    with pytest.raises(AssertionError, match="internal error"):
        exchange(app, db, caplog, "/alexa", body)
    monkeypatch.undo()
    from voiceskill.webhook import alexa
    from voiceskill.webhook.platform import WebhookError

    real = alexa.Alexa.respond
    calls: list[int] = []

    def respond_then_refuse(self, result, request_body):
        calls.append(1)
        if len(calls) > 1:   # the trial answer passes, the real one fails after the turn
            raise WebhookError(400, "too late")
        return real(self, result, request_body)

    monkeypatch.setattr(alexa.Alexa, "respond", respond_then_refuse)
    with pytest.raises(AssertionError, match="changed the database"):
        exchange(app, db, caplog, "/alexa", body)


# -- what the fuzzer found, as plain regression tests ------------------------------------------------------

def spoilt(url: str, session: str, old: str, new: str) -> bytes:
    """A platform's request for the shopping sentence with ``old`` in its JSON text replaced by ``new``."""
    text = json.dumps(Platform(url, PLATFORMS[url], session).request(SHOPPING))
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize("old, new", [
    ('"voiceskill_turn": 1', '"voiceskill_turn": 1e999'),            # was a 500: int(inf), OverflowError
    ('"voiceskill_turn": 1', '"voiceskill_turn": ' + "1" * 4301),    # was a 500: json.loads' digit limit
    ('"cart_id": "c-42"', '"cart_id": NaN'),                         # was a 200 whose answer said NaN: no JSON
])
def test_numbers_that_json_does_not_have_are_a_400(fuzzed, caplog, old: str, new: str) -> None:
    app, db = fuzzed
    sent = exchange(app, db, caplog, "/actions", spoilt("/actions", "numbers", old, new))
    assert sent.status == 400 and b"not valid JSON" in sent.data


def test_nesting_just_below_the_recursion_limit_is_a_400_not_a_half_applied_turn(fuzzed, caplog) -> None:
    """Nesting Python could just parse but not write back (Actions echoes session.params) once stored the
    turn and then answered 500; now nesting is limited to MAX_DEPTH on its own, far from the stack's limit."""
    app, db = fuzzed
    limit = sys.getrecursionlimit()
    for depth in [MAX_DEPTH + 1, *range(limit - 80, limit + 5, 3)]:
        raw = spoilt("/actions", f"deep{depth}", '"cart_id": "c-42"', '"cart_id": ' + "[" * depth + "]" * depth)
        sent = exchange(app, db, caplog, "/actions", raw)
        assert sent.status == 400 and b"nested too deeply" in sent.data, depth
    allowed = MAX_DEPTH - 3   # the value sits three levels down
    fine = spoilt("/actions", "deep-ok", '"cart_id": "c-42"', '"cart_id": ' + "[" * allowed + "]" * allowed)
    assert exchange(app, db, caplog, "/actions", fine).status == 200


@pytest.mark.parametrize("value", ["\ud800", "s3cret\udfff", "\U0001f600"])
def test_a_secret_with_a_surrogate_or_beyond_latin1_is_a_401(fuzzed, caplog, value: str) -> None:
    """Was a 500: _same encoded with surrogateescape, which refuses \\ud800."""
    app, db = fuzzed
    raw = json.dumps(Platform("/dialogflow", PLATFORMS["/dialogflow"], "sur").request(SHOPPING)).encode()
    assert exchange(app, db, caplog, "/dialogflow", raw, environ={SECRET_ENV: value}).status == 401


def test_a_shape_error_names_the_problem_not_the_exception(fuzzed, caplog) -> None:
    """Was `... unexpected type or shape (AttributeError)`: an exception class name in the answer."""
    app, db = fuzzed
    raw = spoilt("/alexa", "shape", '"name": "tekst", "value": "twee bananen"',
                 '"name": "tekst", "value": "twee bananen", "resolutions": {"resolutionsPerAuthority": [1]}')
    sent = exchange(app, db, caplog, "/alexa", raw)
    assert sent.status == 400 and b"unexpected type or shape" in sent.data


def test_raw_non_ascii_basic_auth_bytes_are_a_401(tmp_path) -> None:
    """Found by bench/abuse.py: werkzeug's decoding of `Basic \\xc3\\xa9` raised ValueError (a 500)."""
    from voiceskill.webhook import create_app

    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "a.db"), "basic_auth": ("df", "pw"),
                      "alexa_verify": False})
    for value in ("Basic \xc3\xa9", "Basic \xff", "Basic é"):
        answer = app.test_client().post("/dialogflow", data=b"{}", content_type="application/json",
                                        environ_overrides={"HTTP_AUTHORIZATION": value})
        assert answer.status_code == 401, value


def test_a_deep_body_to_a_verifying_alexa_endpoint_is_a_400(tmp_path) -> None:
    """Found by bench/abuse.py: with verification on, 3,000 levels of nesting reached json.loads
    in the verifier and raised RecursionError (a 500)."""
    from voiceskill.webhook import create_app

    app = create_app({"catalog": CATALOG, "db": str(tmp_path / "a.db"), "alexa_skill_ids": frozenset({"s"})})
    deep = b'{"a":' * 3000 + b"1" + b"}" * 3000
    answer = app.test_client().post("/alexa", data=deep, content_type="application/json", headers={
        "SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/nope-1.pem", "Signature-256": "AAAA"})
    assert answer.status_code == 400 and "nested too deeply" in answer.get_json()["error"]
